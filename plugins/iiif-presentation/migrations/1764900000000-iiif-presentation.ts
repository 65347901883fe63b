import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { MigrationKit } from '../../../core/db/migration-kit';

/** iiif_document: built manifests and collections, removed when their sources change. */
export class IiifPresentation1764900000000 implements MigrationInterface {
  name = 'IiifPresentation1764900000000';

  async up(qr: QueryRunner): Promise<void> {
    const k = new MigrationKit(qr);
    await qr.createTable(
      new Table({
        name: 'iiif_document',
        columns: [
          { ...k.varchar('key', 191), isPrimary: true },
          k.varchar('kind', 32),
          k.ref('title_id', true),
          k.varchar('build', 64),
          k.varchar('etag', 64),
          k.longText('json'),
          k.time('built_at'),
        ],
      }),
    );
    await qr.createIndex('iiif_document', new TableIndex({ name: 'idx_iiif_document_title', columnNames: ['title_id'] }));
    await qr.createIndex('iiif_document', new TableIndex({ name: 'idx_iiif_document_kind', columnNames: ['kind'] }));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('iiif_document');
  }
}
