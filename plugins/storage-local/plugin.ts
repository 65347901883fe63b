import { isAbsolute, join } from 'node:path';
import { definePlugin } from '../../core/plugin';
import { CORE_VERSION } from '../../core/version';
import { localStorageConfig, type LocalStorageConfig } from './config';
import { LocalStorageConnector } from './connectors/local-storage-connector';

/** Storage connector for a local directory tree. */
export const storageLocalPlugin = definePlugin<LocalStorageConfig>({
  manifest: {
    id: 'storage-local',
    version: CORE_VERSION,
    core: `^${CORE_VERSION}`,
    description: 'Files in a local directory tree',
    config: localStorageConfig,
  },
  register(r, config) {
    r.storageConnector((ctx) =>
      LocalStorageConnector.fromConfig({
        id: config.id,
        root: isAbsolute(config.root) ? config.root : join(ctx.core.config.dataDir, config.root),
      }),
    );
  },
});
