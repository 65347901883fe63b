import type Koa from 'koa';
import type { Principal } from '../../../core/auth/roles';
import { readBody, readJson } from '../../../core/http/body';
import { CoreErrors } from '../../../core/errors';
import type { Registrar } from '../../../core/plugin/types';
import { StorageNotFoundError } from '../../../core/storage';
import type { InventoryConfig } from '../config';
import { InventoryErrors } from '../errors';
import { fixityQuery } from '../jobs/fixity-service';
import { fileRegistration } from '../services/ingest-service';
import { services } from '../services/inventory-services';
import {
  fileOrder, filePatch, fileView, representationCreate, representationUpdate, representationView,
} from '../services/representation-service';
import { connectorOf } from '../services/stored-objects';
import { parseRange } from '../../../core/http/range';

const READ = ['inventory:read'] as const;
const WRITE = ['inventory:write'] as const;
const DELETE = ['inventory:delete'] as const;
const REPS = ['representations'];
const FILES = ['files'];
const THUMB_LIMIT = 20 * 1024 * 1024;

const actor = (ctx: Koa.Context): string | undefined => (ctx.state.principal as Principal | undefined)?.keyId;
const id = (ctx: Koa.Context): string => String(ctx.params.id);

/** Read a staff-supplied thumbnail image (any image type sharp reads), raw in the body. */
async function thumbnailBody(ctx: Koa.Context): Promise<Buffer> {
  if (!ctx.request.type.startsWith('image/')) throw CoreErrors.UNSUPPORTED_MEDIA_TYPE(`Send the thumbnail as an image/* body, not ${ctx.request.type || 'no Content-Type'}`);
  const body = await readBody(ctx, THUMB_LIMIT);
  if (!body.length) throw InventoryErrors.EMPTY_FILE('The thumbnail is empty');
  return body;
}

/** Routes of representations and their files. */
export function registerRepresentationRoutes(r: Registrar<InventoryConfig>): void {
  r.route({
    method: 'GET', path: '/api/v1/titles/:id/representations', auth: READ, summary: 'Representations of a title',
    docs: { tags: REPS, errors: [404] },
    handler: async (ctx, p) => {
      const reps = await services(p).representations.listForTitle(id(ctx));
      ctx.body = reps.map((x) => representationView(x, undefined, p.core.url));
    },
  });
  r.route({
    method: 'POST', path: '/api/v1/titles/:id/representations', auth: WRITE, summary: 'Add a representation (local files, or remote in another repository)',
    docs: {
      tags: REPS, body: representationCreate, errors: [400, 404, 422],
      description: 'A local representation keeps files in a storage connector (default: the configured one). A remote one names a configured remote repository and linking parameters, from whose templates the delivery, thumbnail and IIIF manifest URLs are built, or gives those URLs.',
      responses: { 201: { description: 'Created; the body carries its id' } },
    },
    handler: async (ctx, p) => {
      const body = representationCreate.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes));
      const rep = await services(p).representations.create(id(ctx), body, actor(ctx));
      ctx.status = 201;
      ctx.set('Location', p.core.url(`/api/v1/representations/${rep.id}`));
      ctx.body = representationView(rep, [], p.core.url);
    },
  });
  r.route({
    method: 'GET', path: '/api/v1/representations/:id', auth: READ, summary: 'A representation with its files',
    docs: { tags: REPS, errors: [404] },
    handler: async (ctx, p) => {
      const { rep, files } = await services(p).representations.get(id(ctx));
      ctx.body = representationView(rep, files, p.core.url);
    },
  });
  r.route({
    method: 'PATCH', path: '/api/v1/representations/:id', auth: WRITE, summary: 'Update a representation (label, usage type, active, access rights profile, note, remote links)',
    docs: { tags: REPS, body: representationUpdate, errors: [400, 404, 422] },
    handler: async (ctx, p) => {
      const body = representationUpdate.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes));
      const rep = await services(p).representations.update(id(ctx), body, actor(ctx));
      const { files } = await services(p).representations.get(rep.id);
      ctx.body = representationView(rep, files, p.core.url);
    },
  });
  r.route({
    method: 'DELETE', path: '/api/v1/representations/:id', auth: DELETE, summary: 'Delete a representation and its stored files',
    docs: { tags: REPS, responses: { 204: { description: 'Deleted' } }, errors: [404] },
    handler: async (ctx, p) => {
      await services(p).representations.remove(id(ctx), actor(ctx));
      ctx.status = 204;
    },
  });
  r.route({
    method: 'GET', path: '/api/v1/representations/:id/files', auth: READ, summary: 'Files of a representation, in order',
    docs: { tags: FILES, errors: [404] },
    handler: async (ctx, p) => {
      const { files } = await services(p).representations.get(id(ctx));
      ctx.body = files.map((f) => fileView(f, p.core.url));
    },
  });
  r.route({
    method: 'POST', path: '/api/v1/representations/:id/files', auth: WRITE, summary: 'Add a file: upload it (multipart, field `file`) or register one from the upload area (JSON)',
    docs: {
      tags: FILES,
      description: 'multipart/form-data: the file in field `file`, optional fields `label`, `section` and `sha256` (refused if the content differs). The body streams into storage (never held in memory) while its sha256 is computed; its type is sniffed from the content; images get width/height, PDFs a page count, audio/video a duration; a thumbnail follows in the background. application/json: `{"storageKey": "upload/...", ...}` registers an object already in the upload area of the representation\'s storage connector; it is checked the same way and moved into place.',
      requestContentTypes: { 'multipart/form-data': { description: 'file, label?, section?, sha256?' } },
      body: fileRegistration,
      responses: { 201: { description: 'Created; the body carries its id' } },
      errors: [400, 404, 409, 413, 415, 422],
    },
    handler: async (ctx, p) => {
      const s = services(p);
      const file = ctx.request.is('application/json')
        ? await s.ingest.register(id(ctx), fileRegistration.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes)), actor(ctx))
        : await s.ingest.upload(id(ctx), ctx.req, actor(ctx));
      ctx.status = 201;
      ctx.set('Location', p.core.url(`/api/v1/files/${file.id}`));
      ctx.body = fileView(file, p.core.url);
    },
  });
  r.route({
    method: 'PUT', path: '/api/v1/representations/:id/files/order', auth: WRITE, summary: 'Reorder the files of a representation',
    docs: { tags: FILES, body: fileOrder, errors: [400, 404, 422] },
    handler: async (ctx, p) => {
      const body = fileOrder.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes));
      const files = await services(p).representations.reorder(id(ctx), body.fileIds, actor(ctx));
      ctx.body = files.map((f) => fileView(f, p.core.url));
    },
  });
  r.route({
    method: 'PUT', path: '/api/v1/representations/:id/thumbnail', auth: WRITE, summary: 'Supply the thumbnail of a representation (wins over generated ones)',
    docs: { tags: REPS, requestContentTypes: { 'image/*': { description: 'any image' } }, responses: { 204: { description: 'Stored' } }, errors: [404, 409, 413, 415, 422] },
    handler: async (ctx, p) => {
      await services(p).ingest.staffThumbnail({ representationId: id(ctx) }, await thumbnailBody(ctx), actor(ctx));
      ctx.status = 204;
    },
  });
  r.route({
    method: 'DELETE', path: '/api/v1/representations/:id/thumbnail', auth: WRITE, summary: 'Remove the staff thumbnail of a representation',
    docs: { tags: REPS, responses: { 204: { description: 'Removed' } }, errors: [404] },
    handler: async (ctx, p) => {
      await services(p).ingest.dropStaffThumbnail({ representationId: id(ctx) }, actor(ctx));
      ctx.status = 204;
    },
  });

  r.route({
    method: 'GET', path: '/api/v1/files/:id', auth: READ, summary: 'A file: technical metadata, thumbnail and fixity state',
    docs: { tags: FILES, errors: [404] },
    handler: async (ctx, p) => { ctx.body = fileView((await services(p).representations.getFile(id(ctx))).file, p.core.url); },
  });
  r.route({
    method: 'PATCH', path: '/api/v1/files/:id', auth: WRITE, summary: 'Update the label or section of a file',
    docs: { tags: FILES, body: filePatch, errors: [400, 404] },
    handler: async (ctx, p) => {
      const body = filePatch.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes));
      ctx.body = fileView(await services(p).representations.patchFile(id(ctx), body, actor(ctx)), p.core.url);
    },
  });
  r.route({
    method: 'DELETE', path: '/api/v1/files/:id', auth: DELETE, summary: 'Delete a file (the rest are renumbered)',
    docs: { tags: FILES, responses: { 204: { description: 'Deleted' } }, errors: [404] },
    handler: async (ctx, p) => {
      await services(p).representations.removeFile(id(ctx), actor(ctx));
      ctx.status = 204;
    },
  });
  r.route({
    method: 'GET', path: '/api/v1/files/:id/content', auth: READ, summary: 'Download the stored file (single byte ranges supported)',
    docs: { tags: FILES, responses: { 200: { description: 'The file', contentType: 'application/octet-stream' }, 206: { description: 'A byte range' } }, errors: [404, 416] },
    handler: async (ctx, p) => {
      const { file, rep } = await services(p).representations.getFile(id(ctx));
      const connector = connectorOf(p.core.storage, rep.storageConnectorId ?? p.config.defaultStorage);
      const range = parseRange(ctx.get('range'), file.size);
      ctx.set('Accept-Ranges', 'bytes');
      ctx.set('ETag', `"${file.sha256}"`);
      ctx.set('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.originalName ?? file.id)}`);
      if (range === 'unsatisfiable') {
        throw InventoryErrors.RANGE(`The file has ${file.size} bytes`, { extensions: { size: file.size }, headers: { 'Content-Range': `bytes */${file.size}` } });
      }
      try {
        ctx.body = await connector.get(file.storageKey, range ? { range } : {});
      } catch (err) {
        if (err instanceof StorageNotFoundError) throw InventoryErrors.FILE_NOT_FOUND(`The stored object of file ${file.id} is missing (run a fixity check)`);
        throw err;
      }
      ctx.type = file.mimeType;
      if (range) {
        ctx.status = 206;
        ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
        ctx.length = range.end - range.start + 1;
      } else ctx.length = file.size;
    },
  });
  r.route({
    method: 'PUT', path: '/api/v1/files/:id/thumbnail', auth: WRITE, summary: 'Supply the thumbnail of a file (never replaced by the thumbnail job)',
    docs: { tags: FILES, requestContentTypes: { 'image/*': { description: 'any image' } }, responses: { 204: { description: 'Stored' } }, errors: [404, 413, 415, 422] },
    handler: async (ctx, p) => {
      await services(p).ingest.staffThumbnail({ fileId: id(ctx) }, await thumbnailBody(ctx), actor(ctx));
      ctx.status = 204;
    },
  });
  r.route({
    method: 'DELETE', path: '/api/v1/files/:id/thumbnail', auth: WRITE, summary: 'Remove the staff thumbnail of a file (a generated one follows)',
    docs: { tags: FILES, responses: { 204: { description: 'Removed' } }, errors: [404] },
    handler: async (ctx, p) => {
      await services(p).ingest.dropStaffThumbnail({ fileId: id(ctx) }, actor(ctx));
      ctx.status = 204;
    },
  });
  r.route({
    method: 'POST', path: '/api/v1/files/:id/fixity', auth: WRITE, summary: 'Check the fixity of a file now',
    docs: { tags: ['fixity'], errors: [404] },
    handler: async (ctx, p) => { ctx.body = fileView(await services(p).fixity.checkById(id(ctx)), p.core.url); },
  });
  r.route({
    method: 'GET', path: '/api/v1/fixity', auth: READ, summary: 'Files by the outcome of their last fixity check (default: failures)',
    docs: { tags: ['fixity'], query: fixityQuery, errors: [400] },
    handler: async (ctx, p) => {
      const q = fixityQuery.parse(ctx.query);
      const { total, items } = await services(p).fixity.report(q);
      ctx.body = { total, limit: q.limit, offset: q.offset, items: items.map((f) => fileView(f, p.core.url)) };
    },
  });
}

