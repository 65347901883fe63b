import pino from 'pino';
import supertest from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApp, type ColophonApp, type CreateAppOptions } from '../../core/app';
import { loadConfig, type ConfigInput } from '../../core/config';
import { deepMerge } from '../../core/config/load';
import type { RoleId } from '../../core/auth/roles';
import { createTestDatabase, type TestDatabase } from './test-db';

export interface TestApp {
  app: ColophonApp;
  db: TestDatabase;
  http: TestAgent;
  /** Create an API key with these roles. */
  key(...roles: RoleId[]): Promise<string>;
  /** Close the app and drop its database. */
  close(): Promise<void>;
}

/** Silent logger for specs (set SPEC_LOG=debug to see the app's logs). */
export const specLogger = pino({ level: process.env.SPEC_LOG ?? 'silent' });

/**
 * Boot a real app (real database, real migrations) on a fresh database. Pass `db` to share
 * one database between several instances.
 */
export async function startTestApp(
  opts: { config?: ConfigInput; db?: TestDatabase; app?: CreateAppOptions } = {},
): Promise<TestApp> {
  const db = opts.db ?? (await createTestDatabase());
  const ownDb = !opts.db;
  const config = loadConfig({
    env: {},
    overrides: deepMerge(
      {
        dataDir: db.dataDir,
        database: { url: db.url },
        server: { port: 0, baseUrl: 'http://colophon.test' },
        jobs: { enabled: false },
        plugins: { syncIntervalMs: 0 },
        log: { level: 'silent' },
      },
      opts.config ?? {},
    ),
  });
  let app: ColophonApp;
  try {
    app = await createApp(config, { logger: specLogger, ...opts.app });
  } catch (err) {
    if (ownDb) await db.drop();
    throw err;
  }
  return {
    app,
    db,
    http: supertest(app.callback()),
    key: async (...roles) => (await app.apiKeys.create({ roles, name: 'spec' })).key,
    close: async () => {
      await app.close();
      if (ownDb) await db.drop();
    },
  };
}
