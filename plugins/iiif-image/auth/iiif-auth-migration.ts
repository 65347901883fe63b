import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import { MigrationKit } from '../../../core/db/migration-kit';

/** iiif_auth_setting: the key sealing IIIF session cookies and access tokens, shared by instances. */
export class IiifAuth1764800000100 implements MigrationInterface {
  name = 'IiifAuth1764800000100';

  async up(qr: QueryRunner): Promise<void> {
    const k = new MigrationKit(qr);
    await qr.createTable(new Table({
      name: 'iiif_auth_setting',
      columns: [{ ...k.varchar('name', 64), isPrimary: true }, k.longText('value')],
    }));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('iiif_auth_setting');
  }
}
