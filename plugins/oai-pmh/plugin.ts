import { definePlugin, type PluginContext } from '../../core/plugin';
import { CHANGES_FLUSH, nextDatestamp, transaction, type ChangesFlush } from '../../core/db/unit-of-work';
import { CORE_VERSION } from '../../core/version';
import { oaiConfig, type OaiConfig } from './config';
import { OaiItem, OaiItemSet, OaiRecord, OaiSetting } from './entities/oai-item.entity';
import { BUILTIN_FORMATS } from './formats';
import { OaiPmh1764700000000 } from './migrations/1764700000000-oai-pmh';
import { OaiRecordPrefixIndex1764700000001 } from './migrations/1764700000001-oai-record-prefix-index';
import { registerOaiRoutes } from './routes/oai-routes';
import { ItemBuilder } from './services/item-builder';
import { OaiService } from './services/oai-service';

const DOMAIN = /^[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+$/;

/** The repositoryIdentifier: configured, else the host of the public base URL when it is a domain name. */
export function repositoryIdentifierOf(config: OaiConfig, baseUrl: string): string {
  if (config.repositoryIdentifier) return config.repositoryIdentifier;
  const host = new URL(baseUrl).hostname;
  return DOMAIN.test(host) ? host : 'colophon.localhost';
}

const builder = (p: PluginContext<OaiConfig>): ItemBuilder => p.state.get('builder') as ItemBuilder;

/**
 * Bring items up to date with titles changed while the plugin was off (or never built):
 * titles newer than their item or without one, and items whose title is gone.
 */
async function catchUp(p: PluginContext<OaiConfig>, all = false): Promise<number> {
  const ds = p.core.ds;
  const stale = all
    ? ((await ds.query('SELECT id FROM title')) as { id: string }[])
    : ((await ds.query('SELECT t.id AS id FROM title t LEFT JOIN oai_item i ON i.title_id = t.id WHERE i.title_id IS NULL OR t.datestamp > i.datestamp')) as { id: string }[]);
  const orphans = (await ds.query('SELECT i.title_id AS id FROM oai_item i LEFT JOIN title t ON t.id = i.title_id WHERE t.id IS NULL AND i.deleted = 0')) as { id: string }[];
  const ids = [...stale, ...orphans].map((r) => r.id);
  for (let i = 0; i < ids.length; i += 200) {
    const batch = ids.slice(i, i + 200);
    await transaction(ds, async (m) => builder(p).update(m, await nextDatestamp(m, new Date()), batch, []));
  }
  return ids.length;
}

/** OAI-PMH 2.0 provider: every verb, oai_dc / marc21 / mods, sets from collections, persistent deletes. */
export const oaiPmhPlugin = definePlugin<OaiConfig>({
  manifest: {
    id: 'oai-pmh',
    version: CORE_VERSION,
    core: `^${CORE_VERSION}`,
    dependsOn: ['inventory'],
    description: 'OAI-PMH 2.0 provider for discovery systems',
    config: oaiConfig,
  },
  register(r, config) {
    r.entities(OaiItem, OaiItemSet, OaiRecord, OaiSetting);
    r.migrations(OaiPmh1764700000000, OaiRecordPrefixIndex1764700000001);
    // Links into this repository that a stored record carries are replaced by the current ones.
    for (const i of BUILTIN_FORMATS().keys()) {
      r.metadataFormat((ctx) => {
        const f = BUILTIN_FORMATS({ repositoryUrls: [ctx.core.url('/')] })[i];
        if (!f) throw new Error(`oai-pmh: no built-in format ${i}`);
        return f;
      });
    }
    registerOaiRoutes(r, config);
    // Items change in the transaction that changed their titles.
    r.filter<ChangesFlush>(CHANGES_FLUSH, async (change, _meta, p) => {
      // Before init has run (another plugin writing during boot), catchUp() at init covers it.
      const b = p.state.get('builder') as ItemBuilder | undefined;
      if (b) await b.update(change.uow.manager, change.datestamp, change.changed, change.deleted);
    });
    r.job({
      id: 'rebuild',
      cron: '0 4 1 1 *',
      timeoutMs: 6 * 3600_000,
      description: 'Render every item again (after formats or sets changed); run it by hand',
      run: async (_job, p) => ({ message: `rebuilt ${await catchUp(p, true)} items` }),
    });
  },
  async init(ctx) {
    const id = repositoryIdentifierOf(ctx.config, ctx.core.config.server.baseUrl);
    const b = new ItemBuilder(ctx.core, ctx.config, id);
    ctx.state.set('builder', b);
    const oai = new OaiService(ctx.core, ctx.config, id);
    await oai.init();
    ctx.state.set('oai', oai);
    const clash = ((await ctx.core.ds.query('SELECT path FROM collection')) as { path: string }[]).filter((c) => c.path in ctx.config.sets);
    if (clash.length) ctx.logger.warn({ sets: clash.map((c) => c.path) }, 'configured OAI-PMH sets share a setSpec with collections; the configured sets win');
    const n = await catchUp(ctx);
    if (n) ctx.logger.info({ items: n }, 'OAI-PMH items brought up to date');
  },
});
