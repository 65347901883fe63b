import { definePlugin } from '../../core/plugin';
import { CORE_VERSION } from '../../core/version';
import { inventoryConfig, type InventoryConfig } from './config';
import { registerAccessRoutes } from './routes/access-routes';
import { registerInventoryRoutes } from './routes/inventory-routes';
import { registerRepresentationRoutes } from './routes/representation-routes';
import { registerTitleRoutes } from './routes/title-routes';
import { createInventoryServices, services, type InventoryServices } from './services/inventory-services';

/** Digital inventory: the staff API for titles, representations, files, collections and access; ingest, thumbnails, fixity. */
export const inventoryPlugin = definePlugin<InventoryConfig>({
  manifest: {
    id: 'inventory',
    version: CORE_VERSION,
    core: `^${CORE_VERSION}`,
    description: 'Staff API for titles, representations, files, collections and access rights; ingest, thumbnails, fixity',
    config: inventoryConfig,
  },
  register(r, config) {
    registerInventoryRoutes(r);
    registerTitleRoutes(r);
    registerRepresentationRoutes(r);
    registerAccessRoutes(r);
    r.job({
      id: 'thumbnails',
      cron: config.thumbnailCron,
      timeoutMs: 30 * 60_000,
      description: 'Make thumbnails of newly ingested files (also started after each ingest)',
      run: (job, p) => services(p).thumbnails.run(job),
    });
    r.job({
      id: 'fixity',
      cron: config.fixityCron,
      timeoutMs: 6 * 3600_000,
      description: 'Re-read stored files and compare their sha256 with the one taken at ingest',
      run: (job, p) => services(p).fixity.run(job),
    });
    r.provide('inventory.collections', (ctx) => services(ctx).collections);
    r.provide('inventory.titles', (ctx) => services(ctx).titles);
    r.provide('inventory.representations', (ctx) => services(ctx).representations);
    r.provide('inventory.access', (ctx) => services(ctx).profiles);
  },
  async init(ctx) {
    ctx.state.set('svc', createInventoryServices(ctx.core, ctx.config));
  },
  async close(ctx) {
    (ctx.state.get('svc') as InventoryServices | undefined)?.thumbnails.close();
  },
});
