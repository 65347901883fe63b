import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, timestamp } from '../../../core/db/base.entity';

/**
 * One rendered IIIF Image response held by the render cache (plugins/iiif-image/cache).
 *
 * Not a ColophonEntity: a cache entry is never updated in place and has a natural key, so a
 * UUID id and updated_at would only cost space. Rows belong to an object store (`store_id`):
 * instances sharing a store (one S3 bucket and prefix, or one shared directory) share entries;
 * a disk cache private to one host keeps its own rows, so that other hosts never delete rows
 * whose objects they cannot see.
 */
@Entity('iiif_render_cache')
@Index('idx_iiif_render_cache_age', ['storeId', 'createdAt', 'keyHash'])
@Index('idx_iiif_render_cache_file', ['storeId', 'fileId'])
export class RenderCacheEntry {
  @PrimaryColumn({ type: 'varchar', length: 64, name: 'store_id' })
  storeId: string;

  /** sha1 (hex) of the cache key: keys are long canonical URI paths. */
  @PrimaryColumn({ type: 'varchar', length: 40, name: 'key_hash' })
  keyHash: string;

  /** The cache key itself, to tell a hash collision from a hit and for operators. */
  @Column({ type: 'text', name: 'cache_key' })
  cacheKey: string;

  @Column({ type: 'varchar', length: 64, name: 'file_id' })
  fileId: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  size: number;

  @Column({ type: 'varchar', length: 127, name: 'media_type' })
  mediaType: string;

  /** Strong HTTP validator of the body, quoted. */
  @Column({ type: 'varchar', length: 64 })
  etag: string;

  /** Eviction takes the oldest first (FIFO, not LRU: a hit writes nothing). */
  @Column({ ...timestamp, name: 'created_at' })
  createdAt: Date;
}
