import { definePlugin } from '../../core/plugin';
import { CORE_VERSION } from '../../core/version';
import { inventoryConfig, type InventoryConfig } from './config';
import { registerInventoryRoutes } from './routes/inventory-routes';
import { CollectionService } from './services/collection-service';
import { TitleReader } from './services/title-reader';

/** Digital inventory: the staff API for titles and collections, and the public home page. */
export const inventoryPlugin = definePlugin<InventoryConfig>({
  manifest: {
    id: 'inventory',
    version: CORE_VERSION,
    core: `^${CORE_VERSION}`,
    description: 'Staff API for titles and collections; public home page',
    config: inventoryConfig,
  },
  register(r) {
    registerInventoryRoutes(r);
    r.provide('inventory.collections', (ctx) => ctx.state.get('collections') as CollectionService);
    r.provide('inventory.titles', (ctx) => ctx.state.get('titles') as TitleReader);
  },
  async init(ctx) {
    ctx.state.set('collections', new CollectionService(ctx.core));
    ctx.state.set('titles', new TitleReader(ctx.core));
  },
});
