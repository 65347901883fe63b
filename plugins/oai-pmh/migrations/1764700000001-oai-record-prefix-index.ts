import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/**
 * A narrow index on oai_record (prefix, title_id): "does this item have a record in this format"
 * is then answered without reading the XML-laden rows of the primary key (MariaDB clusters rows
 * by it), which made the first page's completeListSize count of a large harvest take seconds.
 */
export class OaiRecordPrefixIndex1764700000001 implements MigrationInterface {
  name = 'OaiRecordPrefixIndex1764700000001';

  async up(qr: QueryRunner): Promise<void> {
    await qr.createIndex('oai_record', new TableIndex({ name: 'idx_oai_record_prefix_title', columnNames: ['prefix', 'title_id'] }));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropIndex('oai_record', 'idx_oai_record_prefix_title');
  }
}
