import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { MigrationKit } from '../migration-kit';

/**
 * Inventory write side: what ingest learns of a file (original name, section label), the state
 * of its thumbnail and fixity checks, and the remote IIIF manifest and staff thumbnail of a
 * representation.
 */
export class InventoryIngest1764500000000 implements MigrationInterface {
  name = 'InventoryIngest1764500000000';

  async up(qr: QueryRunner): Promise<void> {
    const k = new MigrationKit(qr);
    await qr.addColumns('file', [
      new TableColumn(k.varchar('original_name', 500, { isNullable: true })),
      new TableColumn(k.varchar('section', 500, { isNullable: true })),
      new TableColumn(k.varchar('thumbnail_status', 16, { default: "'pending'" })),
      new TableColumn(k.varchar('fixity_status', 16, { isNullable: true })),
      new TableColumn(k.time('fixity_checked_at', true)),
      new TableColumn(k.text('fixity_detail', true)),
    ]);
    await qr.createIndex('file', new TableIndex({ name: 'idx_file_thumbnail_status', columnNames: ['thumbnail_status'] }));
    await qr.createIndex('file', new TableIndex({ name: 'idx_file_fixity_checked_at', columnNames: ['fixity_checked_at'] }));
    await qr.addColumns('representation', [
      new TableColumn(k.varchar('remote_manifest_url', 2048, { isNullable: true })),
      new TableColumn(k.varchar('thumbnail_key', 1024, { isNullable: true })),
    ]);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn('representation', 'thumbnail_key');
    await qr.dropColumn('representation', 'remote_manifest_url');
    await qr.dropIndex('file', 'idx_file_fixity_checked_at');
    await qr.dropIndex('file', 'idx_file_thumbnail_status');
    for (const c of ['fixity_detail', 'fixity_checked_at', 'fixity_status', 'thumbnail_status', 'section', 'original_name']) {
      await qr.dropColumn('file', c);
    }
  }
}
