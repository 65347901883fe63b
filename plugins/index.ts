import type { AnyPlugin } from '../core/plugin/types';
import { inventoryPlugin } from './inventory';
import { storageLocalPlugin } from './storage-local';

/** Plugins shipped with Colophon, installed in every instance (each can be disabled). */
export const builtinPlugins: AnyPlugin[] = [storageLocalPlugin, inventoryPlugin];
