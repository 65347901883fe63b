import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import { MigrationKit } from '../migration-kit';

/**
 * One row holding the last datestamp handed out. Units of work that change titles take it
 * under a row lock just before commit, so datestamps follow commit order on every engine and
 * across instances; publishers (OAI-PMH) read it the same way to fix a harvest's upper bound.
 */
export class ChangeClock1764600000000 implements MigrationInterface {
  name = 'ChangeClock1764600000000';

  async up(qr: QueryRunner): Promise<void> {
    const k = new MigrationKit(qr);
    await qr.createTable(new Table({ name: 'change_clock', columns: [k.int('id', { isPrimary: true }), k.time('last')] }));
    await qr.query('INSERT INTO change_clock (id, last) VALUES (1, ?)', [k.mysql ? new Date(0) : '1970-01-01 00:00:00.000']);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('change_clock');
  }
}
