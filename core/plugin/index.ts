export * from './types';
export * from './plugin-host';
export * from './plugin-errors';
export * from './dependency-order';
export { collectContributions } from './registrar';

import type { Plugin } from './types';

/** Identity helper that types a plugin definition. */
export function definePlugin<C = Record<string, unknown>>(plugin: Plugin<C>): Plugin<C> {
  return plugin;
}
export * from './owned-registry';
