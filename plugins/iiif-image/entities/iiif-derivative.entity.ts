import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, timestamp } from '../../../core/db/base.entity';

export const DERIVATIVE_STATUSES = ['ready', 'failed', 'unsupported'] as const;
export type DerivativeStatus = (typeof DERIVATIVE_STATUSES)[number];

/**
 * The tiled pyramidal TIFF made from one image file (IIIF Image responses read its levels).
 * A file without a row, or whose row names another sha256, still waits for conversion.
 */
@Entity('iiif_derivative')
@Index('idx_iiif_derivative_status', ['status'])
export class IiifDerivative {
  @PrimaryColumn({ type: 'varchar', length: 36, name: 'file_id' })
  fileId: string;

  @Column({ type: 'varchar', length: 16 })
  status: DerivativeStatus;

  /** sha256 of the source file the pyramid was made from: a replaced file makes it stale. */
  @Column({ type: 'varchar', length: 64, name: 'source_sha256' })
  sourceSha256: string;

  @Column({ type: 'varchar', length: 64, name: 'connector_id', nullable: true })
  connectorId: string | null;

  @Column({ type: 'varchar', length: 1024, name: 'storage_key', nullable: true })
  storageKey: string | null;

  @Column({ type: 'integer', nullable: true })
  width: number | null;

  @Column({ type: 'integer', nullable: true })
  height: number | null;

  @Column({ type: 'integer', name: 'tile_size', nullable: true })
  tileSize: number | null;

  /** Level sizes, full resolution first. */
  @Column({ type: 'simple-json', nullable: true })
  levels: { width: number; height: number }[] | null;

  @Column({ type: 'bigint', transformer: bigintNumber, nullable: true })
  size: number | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ ...timestamp, name: 'updated_at' })
  updatedAt: Date;
}
