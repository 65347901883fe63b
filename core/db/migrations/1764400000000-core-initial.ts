import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { MigrationKit } from '../migration-kit';

/** The core schema: inventory (titles, representations, files, collections), access, log, auth, plugins, jobs. */
export class CoreInitial1764400000000 implements MigrationInterface {
  name = 'CoreInitial1764400000000';

  async up(qr: QueryRunner): Promise<void> {
    const k = new MigrationKit(qr);
    const fk = (column: string, table: string, onDelete: 'CASCADE' | 'RESTRICT' | 'SET NULL'): TableForeignKey =>
      new TableForeignKey({ columnNames: [column], referencedTableName: table, referencedColumnNames: ['id'], onDelete });

    await qr.createTable(
      new Table({
        name: 'access_rights_profile',
        columns: [
          k.id(), ...k.createdUpdated(),
          k.varchar('name', 255),
          k.longText('rules'),
          k.text('copyright_statement', true),
          k.varchar('rights_uri', 255, { isNullable: true }),
          k.text('denied_note', true),
          k.bool('is_default', false),
        ],
        indices: [new TableIndex({ name: 'uq_access_rights_profile_name', columnNames: ['name'], isUnique: true })],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'collection',
        columns: [
          k.id(), ...k.createdUpdated(),
          k.varchar('code', 64),
          k.varchar('name', 500),
          k.text('description', true),
          k.bool('published', false),
          k.ref('parent_id', true),
          k.varchar('path', 700),
          k.int('position', { default: 0 }),
        ],
        indices: [
          new TableIndex({ name: 'uq_collection_code', columnNames: ['code'], isUnique: true }),
          new TableIndex({ name: 'uq_collection_path', columnNames: ['path'], isUnique: true }),
          new TableIndex({ name: 'idx_collection_parent', columnNames: ['parent_id'] }),
        ],
        foreignKeys: [fk('parent_id', 'collection', 'RESTRICT')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'title',
        columns: [
          k.id(), ...k.createdUpdated(),
          k.varchar('source_format', 16),
          k.longText('source_record'),
          k.varchar('source_id', 255, { isNullable: true }),
          k.longText('dc'),
          k.varchar('display_title', 1000),
          k.bool('suppressed', false),
          k.time('datestamp'),
        ],
        indices: [
          new TableIndex({ name: 'idx_title_datestamp_id', columnNames: ['datestamp', 'id'] }),
          new TableIndex({ name: 'idx_title_source_id', columnNames: ['source_id'] }),
        ],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'title_collection',
        columns: [
          { ...k.ref('title_id'), isPrimary: true },
          { ...k.ref('collection_id'), isPrimary: true },
        ],
        indices: [new TableIndex({ name: 'idx_title_collection_collection', columnNames: ['collection_id'] })],
        foreignKeys: [fk('title_id', 'title', 'CASCADE'), fk('collection_id', 'collection', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'representation',
        columns: [
          k.id(), ...k.createdUpdated(),
          k.ref('title_id'),
          k.varchar('usage_type', 16),
          k.varchar('label', 500, { default: "''" }),
          k.bool('active', true),
          k.bool('remote', false),
          k.varchar('remote_repository', 255, { isNullable: true }),
          k.text('linking_parameters', true),
          k.varchar('originating_record_id', 255, { isNullable: true }),
          k.varchar('delivery_url', 2048, { isNullable: true }),
          k.varchar('thumbnail_url', 2048, { isNullable: true }),
          k.varchar('storage_connector_id', 64, { isNullable: true }),
          k.ref('access_rights_profile_id', true),
          k.text('public_note', true),
        ],
        indices: [
          new TableIndex({ name: 'idx_representation_title', columnNames: ['title_id'] }),
          new TableIndex({ name: 'idx_representation_arp', columnNames: ['access_rights_profile_id'] }),
        ],
        foreignKeys: [
          fk('title_id', 'title', 'CASCADE'),
          fk('access_rights_profile_id', 'access_rights_profile', 'SET NULL'),
        ],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'file',
        columns: [
          k.id(), ...k.createdUpdated(),
          k.ref('representation_id'),
          k.int('sequence'),
          k.varchar('label', 500, { default: "''" }),
          k.varchar('storage_key', 1024),
          k.varchar('mime_type', 255),
          k.bigint('size'),
          k.varchar('sha256', 64),
          k.int('width', { isNullable: true }),
          k.int('height', { isNullable: true }),
          k.double('duration', { isNullable: true }),
          k.int('page_count', { isNullable: true }),
          k.varchar('thumbnail_key', 1024, { isNullable: true }),
        ],
        indices: [new TableIndex({ name: 'idx_file_representation_sequence', columnNames: ['representation_id', 'sequence'] })],
        foreignKeys: [fk('representation_id', 'representation', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'change_event',
        columns: [
          k.seq(),
          k.time('at'),
          k.varchar('object_type', 64),
          k.varchar('object_id', 64),
          k.varchar('action', 8),
          k.ref('title_id', true),
          k.longText('payload', true),
        ],
        indices: [
          new TableIndex({ name: 'idx_change_event_object', columnNames: ['object_type', 'object_id'] }),
          new TableIndex({ name: 'idx_change_event_at', columnNames: ['at'] }),
          new TableIndex({ name: 'idx_change_event_title', columnNames: ['title_id'] }),
        ],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'app_user',
        columns: [
          k.id(), ...k.createdUpdated(),
          k.varchar('username', 255),
          k.varchar('display_name', 255, { default: "''" }),
          k.varchar('email', 255, { isNullable: true }),
          k.varchar('password_hash', 255, { isNullable: true }),
          k.text('groups'),
          k.text('roles'),
          k.bool('active', true),
        ],
        indices: [new TableIndex({ name: 'uq_app_user_username', columnNames: ['username'], isUnique: true })],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'api_key',
        columns: [
          k.id(), ...k.createdUpdated(),
          k.varchar('prefix', 32),
          k.varchar('key_hash', 64),
          k.varchar('name', 255, { default: "''" }),
          k.text('roles'),
          k.ref('user_id', true),
          k.time('last_used_at', true),
          k.time('expires_at', true),
          k.time('revoked_at', true),
        ],
        indices: [new TableIndex({ name: 'uq_api_key_prefix', columnNames: ['prefix'], isUnique: true })],
        foreignKeys: [fk('user_id', 'app_user', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'plugin_state',
        columns: [
          { ...k.varchar('plugin_id', 64), isPrimary: true },
          k.bool('enabled', true),
          k.longText('config'),
          k.int('revision', { default: 1 }),
          k.time('updated_at'),
        ],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'job_run',
        columns: [
          k.id(), ...k.createdUpdated(),
          k.varchar('job_id', 128),
          k.time('tick_at', true),
          k.varchar('trigger', 16),
          k.varchar('instance', 128),
          k.time('started_at'),
          k.time('ended_at', true),
          k.time('lease_until'),
          k.varchar('status', 16),
          k.double('progress', { default: 0 }),
          k.text('message', true),
          k.varchar('output_location', 2048, { isNullable: true }),
        ],
        indices: [
          new TableIndex({ name: 'uq_job_run_tick', columnNames: ['job_id', 'tick_at'], isUnique: true }),
          new TableIndex({ name: 'idx_job_run_started', columnNames: ['job_id', 'started_at'] }),
        ],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['job_run', 'plugin_state', 'api_key', 'app_user', 'change_event', 'file', 'representation',
      'title_collection', 'title', 'collection', 'access_rights_profile']) {
      await qr.dropTable(t);
    }
  }
}
