import { Column, Entity, Index, JoinColumn, ManyToMany, ManyToOne } from 'typeorm';
import { ColophonEntity } from '../base.entity';
import type { Title } from './title.entity';

/** Characters allowed in an OAI-PMH setSpec segment (unreserved URI characters, no ':'). */
export const COLLECTION_CODE_PATTERN = /^[A-Za-z0-9\-_.!~*'()]{1,64}$/;

/** A node of the collection tree; published ones become OAI-PMH sets and IIIF collections. */
@Entity('collection')
export class Collection extends ColophonEntity {
  /** Unique; usable as an OAI-PMH setSpec segment. */
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 64 })
  code: string;

  @Column({ type: 'varchar', length: 500 })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  /** Published to discovery (OAI-PMH sets, IIIF collections). */
  @Column({ type: 'boolean', default: false })
  published: boolean;

  @Column({ type: 'varchar', length: 36, name: 'parent_id', nullable: true })
  parentId: string | null;

  @ManyToOne('Collection', { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'parent_id' })
  parent?: Collection | null;

  /** Codes from the root down joined by ':' — the setSpec; kept in step with parent changes. */
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 700 })
  path: string;

  @Column({ type: 'integer', default: 0 })
  position: number;

  @ManyToMany('Title', 'collections')
  titles?: Title[];
}
