import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { bigintNumber, ColophonEntity } from '../base.entity';
import type { Representation } from './representation.entity';

/** One stored file of a representation, in sequence. */
@Entity('file')
@Index('idx_file_representation_sequence', ['representationId', 'sequence'])
export class DigitalFile extends ColophonEntity {
  @Column({ type: 'varchar', length: 36, name: 'representation_id' })
  representationId: string;

  @ManyToOne('Representation', 'files', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'representation_id' })
  representation?: Representation;

  @Column({ type: 'integer' })
  sequence: number;

  @Column({ type: 'varchar', length: 500, default: '' })
  label: string;

  @Column({ type: 'varchar', length: 1024, name: 'storage_key' })
  storageKey: string;

  @Column({ type: 'varchar', length: 255, name: 'mime_type' })
  mimeType: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  size: number;

  @Column({ type: 'varchar', length: 64 })
  sha256: string;

  @Column({ type: 'integer', nullable: true })
  width: number | null;

  @Column({ type: 'integer', nullable: true })
  height: number | null;

  /** Seconds, for audio and video. */
  @Column({ type: 'double', nullable: true })
  duration: number | null;

  @Column({ type: 'integer', name: 'page_count', nullable: true })
  pageCount: number | null;

  @Column({ type: 'varchar', length: 1024, name: 'thumbnail_key', nullable: true })
  thumbnailKey: string | null;
}
