import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, type DataSourceOptions, type MixedList } from 'typeorm';
import type { ColophonConfig } from '../config';

/** What the plugins and the core contribute to the one DataSource. */
export interface DataSourceParts {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function>;
}

export type DatabaseKind = 'sqlite' | 'mysql';

/** Parse `database.url`: `sqlite:/path/file.sqlite`, `sqlite::memory:` or `mysql://user@host:port/db`. */
export function describeDatabase(url: string): { kind: DatabaseKind; path?: string; url?: URL } {
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: url.slice('sqlite:'.length) };
  if (/^(mysql|mariadb):\/\//.test(url)) return { kind: 'mysql', url: new URL(url) };
  throw new Error(`database.url: unsupported scheme in "${url}" (use sqlite:PATH or mysql://...)`);
}

/** Build (not initialize) the DataSource. Schema changes only ever come from migrations. */
export function buildDataSource(config: ColophonConfig, parts: DataSourceParts): DataSource {
  const db = describeDatabase(config.database.url);
  let options: DataSourceOptions;
  if (db.kind === 'sqlite') {
    const path = db.path ?? ':memory:';
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    options = {
      type: 'better-sqlite3',
      database: path,
      // WAL lets readers go on while one writer commits; busy_timeout makes a second writer
      // (another process on the same file, e.g. the CLI) wait instead of failing at once.
      prepareDatabase: (d: { pragma(s: string): unknown }) => {
        d.pragma('journal_mode = WAL');
        d.pragma('busy_timeout = 10000');
        d.pragma('synchronous = NORMAL');
        d.pragma('foreign_keys = ON');
      },
      entities: parts.entities,
      migrations: parts.migrations,
      migrationsRun: false,
      synchronize: false,
      logging: config.database.logging,
    };
  } else {
    const u = db.url as URL;
    options = {
      type: 'mysql',
      host: u.hostname,
      port: u.port ? Number(u.port) : 3306,
      username: decodeURIComponent(u.username || 'root'),
      password: config.secrets.databasePassword ?? (u.password ? decodeURIComponent(u.password) : undefined),
      database: decodeURIComponent(u.pathname.replace(/^\//, '')),
      charset: 'utf8mb4_unicode_ci',
      // Store and read every DATETIME as UTC, whatever the server's time zone.
      timezone: 'Z',
      poolSize: config.database.poolSize,
      entities: parts.entities,
      migrations: parts.migrations,
      migrationsRun: false,
      synchronize: false,
      logging: config.database.logging,
      // Numbers stay numbers while they fit a double exactly (sequences, sizes).
      supportBigNumbers: true,
      bigNumberStrings: false,
    };
  }
  return new DataSource(options);
}

/** True for MySQL/MariaDB connections (some queries differ). */
export function isMysql(ds: DataSource): boolean {
  return ['mysql', 'mariadb'].includes(ds.options.type);
}

/**
 * A time as a query parameter compares correctly with `datetime(3)` columns on either engine:
 * SQLite keeps TypeORM's UTC text form ("YYYY-MM-DD HH:MM:SS.SSS"), MariaDB binds the Date
 * (the connection's time zone is UTC).
 */
export function sqlTime(ds: DataSource, d: Date): Date | string {
  return isMysql(ds) ? d : d.toISOString().replace('T', ' ').replace('Z', '');
}
