// Loaded by mocha before every spec file (see .mocharc.cjs).
import 'reflect-metadata';
import { describeTestDatabase } from './test-db';

// The AWS SDK warns on every client that Node 20 support ends in 2027; the specs know.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Root hooks: say once which engine this run exercises (CI runs the suite on SQLite and on MariaDB). */
export const mochaHooks = {
  beforeAll(): void {
    console.log(`  [spec] database: ${describeTestDatabase()}`);
  },
};
