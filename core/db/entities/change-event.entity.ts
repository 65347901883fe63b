import { Column, Entity, Generated, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, timestamp } from '../base.entity';

export const CHANGE_ACTIONS = ['create', 'update', 'delete'] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

/**
 * Append-only change log: the one source for OAI-PMH deletions and incremental publishing,
 * IIIF Change Discovery, cache invalidation and webhooks. Written in the same transaction as
 * the change it records (core/db/unit-of-work).
 */
@Entity('change_event')
@Index('idx_change_event_object', ['objectType', 'objectId'])
@Index('idx_change_event_at', ['at'])
@Index('idx_change_event_title', ['titleId'])
export class ChangeEvent {
  /** Monotonic sequence (auto-increment; a number on both engines). */
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  @Generated('increment')
  seq: number;

  /** UTC time of the change. */
  @Column({ ...timestamp })
  at: Date;

  /** title | representation | file | collection | access-rights-profile | ... */
  @Column({ type: 'varchar', length: 64, name: 'object_type' })
  objectType: string;

  @Column({ type: 'varchar', length: 64, name: 'object_id' })
  objectId: string;

  @Column({ type: 'varchar', length: 8 })
  action: ChangeAction;

  /** The title whose disseminated content this change affects, if any. */
  @Column({ type: 'varchar', length: 36, name: 'title_id', nullable: true })
  titleId: string | null;

  /** What a reader needs after the object is gone (e.g. a deleted title's set specs). */
  @Column({ type: 'simple-json', nullable: true })
  payload: Record<string, unknown> | null;
}
