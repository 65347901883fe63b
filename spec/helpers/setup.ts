// Loaded by mocha before every spec file (see .mocharc.cjs).
import 'reflect-metadata';
import { describeTestDatabase } from './test-db';

/** Root hooks: say once which engine this run exercises (CI runs the suite on SQLite and on MariaDB). */
export const mochaHooks = {
  beforeAll(): void {
    console.log(`  [spec] database: ${describeTestDatabase()}`);
  },
};
