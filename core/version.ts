import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Root of the checkout (dist/core/version.js or core/version.ts both sit two levels below it). */
export const PROJECT_ROOT = findRoot();

function findRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'colophon') return dir;
    } catch {
      // not here; go up
    }
    dir = join(dir, '..');
  }
  throw new Error('cannot find the Colophon package root');
}

/** The core's version; plugins declare the semver range of it they support. */
export const CORE_VERSION: string = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
