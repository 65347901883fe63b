import type { DataSource, Migration } from 'typeorm';
import { isMysql } from './data-source';

/**
 * Run pending migrations. On MariaDB several instances may boot at once: a named lock makes
 * them take turns, and the latecomers find nothing left to do.
 */
export async function migrate(ds: DataSource): Promise<Migration[]> {
  if (!isMysql(ds)) return ds.runMigrations({ transaction: 'each' });
  const qr = ds.createQueryRunner();
  await qr.connect();
  try {
    const [row] = (await qr.query("SELECT GET_LOCK('colophon_migrations', 120) AS got")) as { got: number | string }[];
    if (Number(row?.got) !== 1) throw new Error('could not take the migration lock within 120 s');
    try {
      return await ds.runMigrations({ transaction: 'each' });
    } finally {
      await qr.query("SELECT RELEASE_LOCK('colophon_migrations')");
    }
  } finally {
    await qr.release();
  }
}

/** Names of migrations not yet applied. */
export async function pendingMigrations(ds: DataSource): Promise<string[]> {
  const applied = new Set<string>();
  const qr = ds.createQueryRunner();
  try {
    if (await qr.hasTable('migrations')) {
      for (const r of (await qr.query('SELECT name FROM migrations')) as { name: string }[]) applied.add(r.name);
    }
  } finally {
    await qr.release();
  }
  return ds.migrations.map((m) => m.name ?? m.constructor.name).filter((n) => !applied.has(n));
}
