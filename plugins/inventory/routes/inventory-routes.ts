import type Koa from 'koa';
import type { Principal } from '../../../core/auth/roles';
import type { Collection } from '../../../core/db/entities/collection.entity';
import { readJson } from '../../../core/http/body';
import type { PluginContext, Registrar } from '../../../core/plugin/types';
import { collectionCreate, collectionUpdate, type CollectionService } from '../services/collection-service';
import { titleListQuery, titleView, type TitleReader } from '../services/title-reader';
import { renderHome, renderTitlePage } from './public-pages';
import { evaluateAccess } from '../services/access-profile-service';
import { representationThumbnail, titleThumbnail } from '../services/representation-service';
import { InventoryErrors } from '../errors';
import type { InventoryConfig } from '../config';
import { services } from '../services/inventory-services';

const READ = ['inventory:read'] as const;
const COLLECTIONS = ['collections:manage'] as const;

function collectionView(c: Collection): Record<string, unknown> {
  return {
    id: c.id, code: c.code, name: c.name, description: c.description, published: c.published,
    parentId: c.parentId, path: c.path, position: c.position,
    createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString(),
  };
}

const actor = (ctx: Koa.Context): string | undefined => (ctx.state.principal as Principal | undefined)?.keyId;
const collections = (p: PluginContext<InventoryConfig>): CollectionService => services(p).collections;
const titles = (p: PluginContext<InventoryConfig>): TitleReader => services(p).titles;

/** Routes of the inventory plugin. */
export function registerInventoryRoutes(r: Registrar<InventoryConfig>): void {
  r.route({
    method: 'GET', path: '/', auth: 'public', summary: 'Public home page listing published titles',
    handler: async (ctx, p) => {
      const { items, total } = await titles(p).list({ limit: p.config.homePageSize, offset: 0, suppressed: 'false', sort: 'title' });
      renderHome(ctx, p.core.config.repository.name, items, total);
    },
  });

  r.route({
    method: 'GET', path: '/titles/:id', auth: 'public', summary: 'Public landing page of a published title',
    docs: { tags: ['public pages'], responses: { 200: { description: 'HTML', contentType: 'text/html' } }, errors: [404] },
    handler: async (ctx, p) => {
      let t;
      try {
        t = await titles(p).get(String(ctx.params.id));
      } catch {
        throw InventoryErrors.TITLE_NOT_FOUND('No such published title');
      }
      if (t.suppressed) throw InventoryErrors.TITLE_NOT_FOUND('No such published title');
      const open = [];
      for (const rep of (t.representations ?? []).filter((x) => x.active)) {
        const profile = await services(p).profiles.effective(rep);
        if (evaluateAccess(profile, { ip: ctx.ip, authenticated: false }).allowed) open.push({ rep, files: rep.files ?? [] });
      }
      renderTitlePage(
        ctx,
        p.core.config.repository.name,
        t,
        titleThumbnail(open, p.core.url),
        open.map(({ rep, files }) => ({
          label: rep.label,
          usageType: rep.usageType,
          href: rep.remote ? (rep.deliveryUrl ?? '#') : p.core.url(`/view/${rep.id}`),
          thumbnail: representationThumbnail(rep, files, p.core.url),
          files: files.length,
        })),
      );
    },
  });

  r.route({
    method: 'GET', path: '/api/v1/titles', auth: READ, summary: 'List titles with paging and filters',
    docs: { tags: ['titles'], query: titleListQuery, errors: [400] },
    handler: async (ctx, p) => {
      const q = titleListQuery.parse(ctx.query);
      const { items, total } = await titles(p).list(q);
      ctx.body = { total, limit: q.limit, offset: q.offset, items: items.map((t) => titleView(t, p.core.url)) };
    },
  });
  r.route({
    method: 'GET', path: '/api/v1/titles/:id', auth: READ, summary: 'One title with its representations, files and collections',
    handler: async (ctx, p) => { ctx.body = titleView(await titles(p).get(String(ctx.params.id)), p.core.url, true); },
  });

  r.route({
    method: 'GET', path: '/api/v1/collections', auth: READ, summary: 'The collection tree, flat, in path order',
    handler: async (ctx, p) => { ctx.body = (await collections(p).list()).map(collectionView); },
  });
  r.route({
    method: 'GET', path: '/api/v1/collections/:id', auth: READ, summary: 'One collection',
    handler: async (ctx, p) => { ctx.body = collectionView(await collections(p).get(String(ctx.params.id))); },
  });
  r.route({
    method: 'POST', path: '/api/v1/collections', auth: COLLECTIONS, summary: 'Create a collection',
    handler: async (ctx, p) => {
      const body = collectionCreate.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes));
      const c = await collections(p).create(body, actor(ctx));
      ctx.status = 201;
      ctx.set('Location', p.core.url(`/api/v1/collections/${c.id}`));
      ctx.body = collectionView(c);
    },
  });
  r.route({
    method: 'PATCH', path: '/api/v1/collections/:id', auth: COLLECTIONS, summary: 'Update or move a collection',
    handler: async (ctx, p) => {
      const body = collectionUpdate.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes));
      ctx.body = collectionView(await collections(p).update(String(ctx.params.id), body, actor(ctx)));
    },
  });
  r.route({
    method: 'DELETE', path: '/api/v1/collections/:id', auth: COLLECTIONS, summary: 'Delete an empty-of-children collection',
    handler: async (ctx, p) => {
      await collections(p).remove(String(ctx.params.id), actor(ctx));
      ctx.status = 204;
    },
  });
  r.route({
    method: 'PUT', path: '/api/v1/collections/:id/titles/:titleId', auth: COLLECTIONS, summary: 'Add a title to a collection',
    handler: async (ctx, p) => {
      await collections(p).addTitle(String(ctx.params.id), String(ctx.params.titleId), actor(ctx));
      ctx.status = 204;
    },
  });
  r.route({
    method: 'DELETE', path: '/api/v1/collections/:id/titles/:titleId', auth: COLLECTIONS, summary: 'Remove a title from a collection',
    handler: async (ctx, p) => {
      await collections(p).removeTitle(String(ctx.params.id), String(ctx.params.titleId), actor(ctx));
      ctx.status = 204;
    },
  });
}
