import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { MigrationKit } from '../../../core/db/migration-kit';

/** iiif_derivative: one pyramidal TIFF per image file. */
export class IiifImage1764800000000 implements MigrationInterface {
  name = 'IiifImage1764800000000';

  async up(qr: QueryRunner): Promise<void> {
    const k = new MigrationKit(qr);
    await qr.createTable(
      new Table({
        name: 'iiif_derivative',
        columns: [
          { ...k.ref('file_id'), isPrimary: true },
          k.varchar('status', 16),
          k.varchar('source_sha256', 64),
          k.varchar('connector_id', 64, { isNullable: true }),
          k.varchar('storage_key', 1024, { isNullable: true }),
          k.int('width', { isNullable: true }),
          k.int('height', { isNullable: true }),
          k.int('tile_size', { isNullable: true }),
          k.longText('levels', true),
          k.bigint('size', true),
          k.text('error', true),
          k.time('updated_at'),
        ],
      }),
    );
    await qr.createIndex('iiif_derivative', new TableIndex({ name: 'idx_iiif_derivative_status', columnNames: ['status'] }));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('iiif_derivative');
  }
}
