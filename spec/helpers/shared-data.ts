import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../../core/version';

/** ../shared beside the project root (real-world test data and schemas); absent in a user's clone. */
export const SHARED_DIR = resolve(PROJECT_ROOT, '..', 'shared');
export const SHARED_DATA = join(SHARED_DIR, 'data');
export const hasSharedData = (): boolean => existsSync(SHARED_DATA);

/** Path of a file under ../shared/data. */
export const sharedData = (...parts: string[]): string => join(SHARED_DATA, ...parts);

/** In a mocha `before`/`it` with `function () {}`: skip, saying why, when ../shared/data is absent. */
export function requireSharedData(ctx: Mocha.Context): void {
  if (!hasSharedData()) {
    console.log(`      (skipped: ${SHARED_DATA} is absent; these specs need ../shared/data)`);
    ctx.skip();
  }
}
