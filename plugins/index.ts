import type { Plugin } from '../core/plugin/types';
import { inventoryPlugin } from './inventory';
import { storageLocalPlugin } from './storage-local';

/** Plugins shipped with Colophon, installed in every instance (each can be disabled). */
export const builtinPlugins: Plugin<never>[] = [storageLocalPlugin as Plugin<never>, inventoryPlugin as Plugin<never>];
