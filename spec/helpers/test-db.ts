import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';

/**
 * The engine of this run: TEST_DATABASE_URL=mysql://root@127.0.0.1:3306/test runs every spec on
 * MariaDB; unset, on SQLite. Each test app gets a database of its own (a fresh SQLite file, or
 * a fresh MariaDB schema created beside the given one and dropped afterwards).
 */
export function testDatabaseUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

export function describeTestDatabase(): string {
  const u = testDatabaseUrl();
  return u ? `MariaDB/MySQL (${new URL(u).host})` : 'SQLite (better-sqlite3)';
}

export interface TestDatabase {
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

/** A fresh, empty database and data directory. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'colophon-spec-'));
  const base = testDatabaseUrl();
  if (!base) {
    return {
      url: `sqlite:${join(dataDir, 'colophon.sqlite')}`,
      dataDir,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const u = new URL(base);
  const name = `colophon_spec_${randomBytes(5).toString('hex')}`;
  const admin = await createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password) });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dataDir,
    drop: async () => {
      const c = await createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password) });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
