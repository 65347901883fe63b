import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { MigrationKit } from '../../../core/db/migration-kit';

/** Tables of the OAI-PMH provider: items (persistent deletes), set membership, stored records. */
export class OaiPmh1764700000000 implements MigrationInterface {
  name = 'OaiPmh1764700000000';

  async up(qr: QueryRunner): Promise<void> {
    const k = new MigrationKit(qr);
    await qr.createTable(new Table({
      name: 'oai_item',
      columns: [k.id('title_id'), k.time('datestamp'), k.bool('deleted', false), k.longText('set_specs')],
      indices: [new TableIndex({ name: 'idx_oai_item_datestamp', columnNames: ['datestamp', 'title_id'] })],
    }));
    await qr.createTable(new Table({
      name: 'oai_item_set',
      columns: [k.id('title_id'), { ...k.varchar('set_spec', 255), isPrimary: true }, k.time('datestamp')],
      indices: [new TableIndex({ name: 'idx_oai_item_set_range', columnNames: ['set_spec', 'datestamp', 'title_id'] })],
    }));
    await qr.createTable(new Table({
      name: 'oai_record',
      columns: [k.id('title_id'), { ...k.varchar('prefix', 64), isPrimary: true }, k.longText('xml')],
    }));
    await qr.createTable(new Table({
      name: 'oai_setting',
      columns: [{ ...k.varchar('name', 64), isPrimary: true }, k.longText('value')],
    }));
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['oai_setting', 'oai_record', 'oai_item_set', 'oai_item']) await qr.dropTable(t);
  }
}
