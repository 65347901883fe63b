import { join } from 'node:path';
import type { ChangeEvent } from '../../core/db/entities/change-event.entity';
import { CHANGES_COMMITTED } from '../../core/db/unit-of-work';
import { definePlugin, type PluginContext } from '../../core/plugin';
import { CORE_VERSION } from '../../core/version';
import { authEntities, authMigrations, IiifAuth, registerAuthRoutes } from './auth';
import { RenderCache } from './cache/render-cache';
import { iiifImageConfig, type IiifImageConfig } from './config';
import { IiifDerivative } from './entities/iiif-derivative.entity';
import { RenderCacheEntry } from './entities/render-cache-entry.entity';
import { IiifImage1764800000000 } from './migrations/1764800000000-iiif-image';
import { IiifRenderCache1764800000001 } from './migrations/1764800000001-iiif-render-cache';
import { registerImageRoutes, renderImageError } from './routes/image-routes';
import { DERIVATIVE_JOB, DerivativeService } from './services/derivative-service';
import { ImageFiles } from './services/image-files';
import { TileMemo } from './services/tile-memo';
import { iiifImage, type IiifImageState } from './services/iiif-image-state';

/** React to committed changes: convert new images, drop what changed from the lookups and caches. */
async function onChanges(events: ChangeEvent[], p: PluginContext<IiifImageConfig>): Promise<void> {
  const s = p.state.get('iiif') as IiifImageState | undefined;
  if (!s) return;
  let convert = false;
  for (const e of events) {
    if (e.objectType === 'file') {
      s.files.forget(e.objectId);
      s.auth.files.invalidate(e.objectId);
      if (e.action === 'create' || e.action === 'update') convert = true;
      if (e.action === 'delete') await s.derivatives.remove(e.objectId);
    } else if (['representation', 'title', 'access-rights-profile'].includes(e.objectType)) {
      s.files.forget();
      s.auth.files.invalidate();
      // A deleted representation takes its files with it; their pyramids go in the job's orphan sweep.
      if (e.action === 'delete') convert = true;
    }
  }
  if (convert) s.derivatives.kick();
}

/** IIIF Image API 3.0 (level 2) and 2.1 over pyramidal derivatives, with a rendered-response cache and Authorization Flow 2.0. */
export const iiifImagePlugin = definePlugin<IiifImageConfig>({
  manifest: {
    id: 'iiif-image',
    version: CORE_VERSION,
    core: `^${CORE_VERSION}`,
    dependsOn: ['inventory'],
    description: 'IIIF Image API 3.0 and 2.1, pyramidal derivatives, IIIF Authorization Flow 2.0',
    config: iiifImageConfig,
  },
  register(r) {
    r.entities(IiifDerivative, RenderCacheEntry, ...authEntities);
    r.migrations(IiifImage1764800000000, IiifRenderCache1764800000001, ...authMigrations);
    r.errorRenderer(renderImageError);
    registerImageRoutes(r);
    registerAuthRoutes(r);
    r.action<ChangeEvent[]>(CHANGES_COMMITTED, (events, _meta, p) => onChanges(events, p));
    r.job({
      id: 'derivatives',
      cron: '*/10 * * * *',
      timeoutMs: 6 * 3600_000,
      description: 'Make tiled pyramidal TIFFs of image files (also started after each ingest)',
      run: (job, p) => iiifImage(p).derivatives.run(job),
    });
    r.provide('iiif-image', (p) => iiifImage(p));
  },
  async init(ctx) {
    const files = new ImageFiles(ctx.core.ds);
    const c = ctx.config.cache;
    const cache = c.enabled
      ? RenderCache.fromConfig({
          backend: c.backend,
          dir: join(ctx.core.config.dataDir, 'iiif-cache'),
          connector: c.backend === 'storage' ? ctx.core.storage.get(c.connector ?? 'local') : undefined,
          maxBytes: c.maxBytes,
          memoryBytes: c.memoryBytes,
          ds: ctx.core.ds,
          logger: ctx.logger,
        })
      : null;
    const tiles = new TileMemo(c.enabled ? c.memoryBytes : 0);
    const derivatives = new DerivativeService(ctx.core, ctx.config, async (fileId) => {
      files.forget(fileId);
      tiles.forget(fileId);
      await cache?.invalidateFile(fileId);
    });
    const auth = await IiifAuth.create(ctx);
    const state: IiifImageState = { files, derivatives, cache, tiles, auth };
    ctx.state.set('iiif', state);
    // Files ingested while the plugin was off wait for the sweep; start it now.
    if ((await derivatives.pending(1)).length) derivatives.kick();
  },
  async close(ctx) {
    const s = ctx.state.get('iiif') as IiifImageState | undefined;
    s?.derivatives.close();
    await s?.cache?.close?.();
  },
});

export { DERIVATIVE_JOB };
