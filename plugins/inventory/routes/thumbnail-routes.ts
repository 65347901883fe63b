import type Koa from 'koa';
import { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import { Representation } from '../../../core/db/entities/representation.entity';
import { Title } from '../../../core/db/entities/title.entity';
import { CoreErrors } from '../../../core/errors';
import type { PluginContext, Registrar } from '../../../core/plugin/types';
import { StorageNotFoundError } from '../../../core/storage';
import type { InventoryConfig } from '../config';
import { InventoryErrors } from '../errors';
import { evaluateAccess } from '../services/access-profile-service';
import { services } from '../services/inventory-services';
import { filesByRepresentation, titleThumbnail } from '../services/representation-service';
import { connectorOf } from '../services/stored-objects';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

/**
 * Thumbnails for the public: only of active representations of titles not suppressed, and only
 * where the representation's access rights profile lets this (anonymous) requester in.
 */
async function visible(p: PluginContext<InventoryConfig>, ctx: Koa.Context, rep: Representation): Promise<void> {
  const title = await p.core.ds.getRepository(Title).findOneBy({ id: rep.titleId });
  if (!title || title.suppressed || !rep.active) throw InventoryErrors.THUMBNAIL_NOT_FOUND('No published thumbnail here');
  const profile = await services(p).profiles.effective(rep);
  if (!evaluateAccess(profile, { ip: ctx.ip, authenticated: false }).allowed) {
    throw CoreErrors.FORBIDDEN(profile?.deniedNote ?? 'Access to this content is restricted');
  }
}

async function send(p: PluginContext<InventoryConfig>, ctx: Koa.Context, rep: Representation, key: string, version: string): Promise<void> {
  const connector = connectorOf(p.core.storage, rep.storageConnectorId ?? p.config.defaultStorage);
  const etag = `"${version}"`;
  ctx.set('ETag', etag);
  ctx.set('Cache-Control', 'public, max-age=3600');
  if (ctx.get('if-none-match') === etag) {
    ctx.status = 304;
    return;
  }
  const chunks: Buffer[] = [];
  try {
    for await (const c of (await connector.get(key)) as AsyncIterable<Buffer>) chunks.push(c);
  } catch (err) {
    if (err instanceof StorageNotFoundError) throw InventoryErrors.THUMBNAIL_NOT_FOUND('The thumbnail is not stored');
    throw err;
  }
  const data = Buffer.concat(chunks);
  ctx.type = data.subarray(0, 4).equals(PNG) ? 'image/png' : 'image/jpeg';
  ctx.body = data;
}

export function registerThumbnailRoutes(r: Registrar<InventoryConfig>): void {
  r.route({
    method: 'GET', path: '/thumbnails/files/:id', auth: 'public', summary: 'Thumbnail of a file',
    docs: { tags: ['thumbnails'], responses: { 200: { description: 'JPEG or PNG', contentType: 'image/jpeg' }, 304: { description: 'Not modified' } }, errors: [403, 404] },
    handler: async (ctx, p) => {
      const f = await p.core.ds.getRepository(DigitalFile).findOneBy({ id: String(ctx.params.id) });
      if (!f?.thumbnailKey) throw InventoryErrors.THUMBNAIL_NOT_FOUND('No thumbnail for this file');
      const rep = await p.core.ds.getRepository(Representation).findOneBy({ id: f.representationId });
      if (!rep) throw InventoryErrors.THUMBNAIL_NOT_FOUND('No thumbnail for this file');
      await visible(p, ctx, rep);
      await send(p, ctx, rep, f.thumbnailKey, `${f.id}-${f.updatedAt.getTime()}`);
    },
  });
  r.route({
    method: 'GET', path: '/thumbnails/representations/:id', auth: 'public', summary: 'Thumbnail of a representation',
    docs: { tags: ['thumbnails'], responses: { 200: { description: 'JPEG or PNG', contentType: 'image/jpeg' }, 302: { description: 'The remote thumbnail' } }, errors: [403, 404] },
    handler: async (ctx, p) => {
      const rep = await p.core.ds.getRepository(Representation).findOneBy({ id: String(ctx.params.id) });
      if (!rep) throw InventoryErrors.THUMBNAIL_NOT_FOUND('No such representation');
      await visible(p, ctx, rep);
      if (rep.thumbnailKey) return send(p, ctx, rep, rep.thumbnailKey, `${rep.id}-${rep.updatedAt.getTime()}`);
      const files = (await filesByRepresentation(p.core.ds.manager, [rep.id])).get(rep.id) ?? [];
      const first = files.find((f) => f.thumbnailKey);
      if (first?.thumbnailKey) return send(p, ctx, rep, first.thumbnailKey, `${first.id}-${first.updatedAt.getTime()}`);
      if (rep.thumbnailUrl) return ctx.redirect(rep.thumbnailUrl);
      throw InventoryErrors.THUMBNAIL_NOT_FOUND('This representation has no thumbnail yet');
    },
  });
  r.route({
    method: 'GET', path: '/thumbnails/titles/:id', auth: 'public', summary: 'Thumbnail of a title (first derivative, else primary, else remote)',
    docs: { tags: ['thumbnails'], responses: { 302: { description: 'Redirect to the chosen thumbnail' } }, errors: [404] },
    handler: async (ctx, p) => {
      const title = await p.core.ds.getRepository(Title).findOneBy({ id: String(ctx.params.id) });
      if (!title || title.suppressed) throw InventoryErrors.THUMBNAIL_NOT_FOUND('No such published title');
      const reps = await p.core.ds.getRepository(Representation).find({ where: { titleId: title.id }, order: { createdAt: 'ASC' } });
      const files = await filesByRepresentation(p.core.ds.manager, reps.map((x) => x.id));
      const open = [];
      for (const rep of reps) {
        const profile = await services(p).profiles.effective(rep);
        if (evaluateAccess(profile, { ip: ctx.ip, authenticated: false }).allowed) open.push({ rep, files: files.get(rep.id) ?? [] });
      }
      const url = titleThumbnail(open, p.core.url);
      if (!url) throw InventoryErrors.THUMBNAIL_NOT_FOUND('This title has no thumbnail yet');
      ctx.set('Cache-Control', 'public, max-age=300');
      ctx.redirect(url);
    },
  });
}
