import { createHash } from 'node:crypto';
import type { ChangeEvent } from '../../core/db/entities/change-event.entity';
import { CHANGES_COMMITTED, CHANGES_FLUSH, type ChangesFlush } from '../../core/db/unit-of-work';
import { definePlugin } from '../../core/plugin';
import { CORE_VERSION } from '../../core/version';
import { iiifPresentationConfig, type IiifPresentationConfig } from './config';
import { IiifDocument } from './entities/iiif-document.entity';
import { IiifPresentation1764900000000 } from './migrations/1764900000000-iiif-presentation';
import { registerPresentationRoutes, renderPresentationError } from './routes/presentation-routes';
import { ChangeDiscovery } from './services/change-discovery-service';
import { DocumentStore } from './services/document-store';

/** IIIF Presentation 3.0 and 2.1 manifests per representation, IIIF collections, Change Discovery 1.0, the viewer page. */
export const iiifPresentationPlugin = definePlugin<IiifPresentationConfig>({
  manifest: {
    id: 'iiif-presentation',
    version: CORE_VERSION,
    core: `^${CORE_VERSION}`,
    dependsOn: ['inventory', 'iiif-image'],
    description: 'IIIF Presentation 3.0 and 2.1 manifests and collections, Change Discovery 1.0, Mirador viewer',
    config: iiifPresentationConfig,
  },
  register(r) {
    r.entities(IiifDocument);
    r.migrations(IiifPresentation1764900000000);
    r.errorRenderer(renderPresentationError);
    registerPresentationRoutes(r);
    // Documents built from changed titles go in the transaction that changed them.
    r.filter<ChangesFlush>(CHANGES_FLUSH, async (change, _meta, p) => {
      const s = p.state.get('store') as DocumentStore | undefined;
      const titles = [...change.changed, ...change.deleted.map((e) => e.objectId)];
      if (s && titles.length) await s.invalidateTitles(change.uow.manager, titles);
    });
    // Profiles and the collection tree reach many documents at once: start again from nothing.
    r.action<ChangeEvent[]>(CHANGES_COMMITTED, async (events, _meta, p) => {
      const s = p.state.get('store') as DocumentStore | undefined;
      if (s && events.some((e) => e.objectType === 'access-rights-profile' || e.objectType === 'collection')) await s.invalidateAll();
    });
  },
  async init(ctx) {
    const h = ctx.core.host;
    // What documents depend on besides the data: settings, base URL, which publishers are on.
    const settings = JSON.stringify([ctx.config.provider, ctx.core.config.server.baseUrl, ctx.core.config.repository.name, CORE_VERSION]);
    const build = (): string =>
      createHash('sha1')
        .update(`${settings}|${h.isEnabled('oai-pmh')}|${h.isEnabled('iiif-image')}`)
        .digest('hex');
    ctx.state.set('store', new DocumentStore(ctx.core.ds, build, ctx.config.memoryDocuments));
    ctx.state.set('discovery', new ChangeDiscovery(ctx));
  },
});
