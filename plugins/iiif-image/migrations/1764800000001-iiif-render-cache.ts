import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { MigrationKit } from '../../../core/db/migration-kit';

/** iiif_render_cache: rendered IIIF Image responses held by the render cache. */
export class IiifRenderCache1764800000001 implements MigrationInterface {
  name = 'IiifRenderCache1764800000001';

  async up(qr: QueryRunner): Promise<void> {
    const k = new MigrationKit(qr);
    await qr.createTable(new Table({
      name: 'iiif_render_cache',
      columns: [
        { ...k.varchar('store_id', 64), isPrimary: true },
        { ...k.varchar('key_hash', 40), isPrimary: true },
        k.text('cache_key'),
        k.varchar('file_id', 64),
        k.bigint('size'),
        k.varchar('media_type', 127),
        k.varchar('etag', 64),
        k.time('created_at'),
      ],
      indices: [
        // Eviction reads the oldest entries of a store in order.
        new TableIndex({ name: 'idx_iiif_render_cache_age', columnNames: ['store_id', 'created_at', 'key_hash'] }),
        // Invalidation drops every entry of a file.
        new TableIndex({ name: 'idx_iiif_render_cache_file', columnNames: ['store_id', 'file_id'] }),
      ],
    }));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('iiif_render_cache');
  }
}
