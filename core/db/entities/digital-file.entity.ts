import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { bigintNumber, ColophonEntity, timestamp } from '../base.entity';
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

  /** The file name the depositor gave (never used to build a storage key). */
  @Column({ type: 'varchar', length: 500, name: 'original_name', nullable: true })
  originalName: string | null;

  /** Section (chapter, part) this file begins or belongs to; IIIF ranges are built from it. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  section: string | null;

  @Column({ type: 'varchar', length: 16, name: 'thumbnail_status', default: 'pending' })
  thumbnailStatus: ThumbnailStatus;

  /** Outcome of the last fixity check; null before the first. */
  @Column({ type: 'varchar', length: 16, name: 'fixity_status', nullable: true })
  fixityStatus: FixityStatus | null;

  @Column({ ...timestamp, name: 'fixity_checked_at', nullable: true })
  fixityCheckedAt: Date | null;

  @Column({ type: 'text', name: 'fixity_detail', nullable: true })
  fixityDetail: string | null;
}

/** pending: to be made by the thumbnail job; generated | icon: made by it; staff: supplied by staff, never replaced; failed. */
export const THUMBNAIL_STATUSES = ['pending', 'generated', 'icon', 'staff', 'failed'] as const;
export type ThumbnailStatus = (typeof THUMBNAIL_STATUSES)[number];
export const FIXITY_STATUSES = ['ok', 'mismatch', 'missing', 'error'] as const;
export type FixityStatus = (typeof FIXITY_STATUSES)[number];
