import type { Principal } from '../../../core/auth/roles';
import { readBody, readJson } from '../../../core/http/body';
import type { Registrar } from '../../../core/plugin/types';
import type { InventoryConfig } from '../config';
import { RECORD_CONTENT_TYPES } from '../records';
import { services } from '../services/inventory-services';
import { titleView } from '../services/title-reader';
import { parseTitleBody, titleCreateQuery, titlePatch } from '../services/title-writer';

const WRITE = ['inventory:write'] as const;
const DELETE = ['inventory:delete'] as const;
const READ = ['inventory:read'] as const;
const TAGS = ['titles'];

const recordBodies = Object.fromEntries(
  RECORD_CONTENT_TYPES.map((t) => [t, { description: 'A bibliographic record (see the route description)' }]),
);
const RECORD_DOC = [
  'The record itself, its kind told by Content-Type: MARCXML (application/marcxml+xml), ISO 2709 MARC21',
  '(application/marc; MARC-8 or UTF-8 per leader/09, or a `charset` parameter; converted to UTF-8), MODS',
  '(application/mods+xml, also METS with MODS), Dublin Core (application/xml with oai_dc, simple DC or DSpace',
  'dublin_core, or application/json with DC element names). Dublin Core is derived by crosswalk on every save.',
  'A malformed record answers 400 with a `fault` code naming what is wrong and `where` it is.',
].join(' ');

const actor = (p: { state: Record<string, unknown> }): string | undefined => (p.state.principal as Principal | undefined)?.keyId;

/** Routes writing titles: create from a record, batch create, replace, suppress, delete, read the source record. */
export function registerTitleRoutes(r: Registrar<InventoryConfig>): void {
  r.route({
    method: 'POST', path: '/api/v1/titles', auth: WRITE, summary: 'Create a title from a bibliographic record',
    docs: {
      tags: TAGS, description: RECORD_DOC, query: titleCreateQuery, requestContentTypes: recordBodies,
      responses: { 201: { description: 'Created; the body carries its id' } }, errors: [400, 404, 413, 415],
    },
    handler: async (ctx, p) => {
      const q = titleCreateQuery.parse(ctx.query);
      const [rec] = parseTitleBody(ctx.get('content-type') || undefined, await readBody(ctx, p.config.maxRecordBytes), false);
      const [t] = await services(p).writer.create(rec ? [rec] : [], { collections: q.collection, suppressed: q.suppressed === 'true' }, actor(ctx));
      if (!t || !rec) throw new Error('no title created');
      ctx.status = 201;
      ctx.set('Location', p.core.url(`/api/v1/titles/${t.id}`));
      ctx.body = { ...titleView(t, p.core.url), warnings: rec.warnings };
    },
  });
  r.route({
    method: 'POST', path: '/api/v1/titles/batch', auth: WRITE, summary: 'Create many titles from one file of records, all or none',
    docs: {
      tags: TAGS, description: `${RECORD_DOC} Every record of the body (a MARC file, a MARCXML or MODS collection) becomes a title, in one transaction.`,
      query: titleCreateQuery, requestContentTypes: recordBodies,
      responses: { 201: { description: 'Created; ids in record order' } }, errors: [400, 404, 413, 415],
    },
    handler: async (ctx, p) => {
      const q = titleCreateQuery.parse(ctx.query);
      const recs = parseTitleBody(ctx.get('content-type') || undefined, await readBody(ctx, p.config.maxRecordBytes), true);
      const created = await services(p).writer.create(recs, { collections: q.collection, suppressed: q.suppressed === 'true' }, actor(ctx));
      ctx.status = 201;
      ctx.body = {
        created: created.length,
        items: created.map((t, i) => ({ id: t.id, title: t.displayTitle, sourceId: t.sourceId, warnings: recs[i]?.warnings ?? [] })),
      };
    },
  });
  r.route({
    method: 'PUT', path: '/api/v1/titles/:id', auth: WRITE, summary: 'Replace the record of a title',
    docs: { tags: TAGS, description: RECORD_DOC, requestContentTypes: recordBodies, errors: [400, 404, 413, 415] },
    handler: async (ctx, p) => {
      const [rec] = parseTitleBody(ctx.get('content-type') || undefined, await readBody(ctx, p.config.maxRecordBytes), false);
      if (!rec) throw new Error('no record parsed');
      const t = await services(p).writer.replace(String(ctx.params.id), rec, actor(ctx));
      ctx.body = { ...titleView(t, p.core.url), warnings: rec.warnings };
    },
  });
  r.route({
    method: 'PATCH', path: '/api/v1/titles/:id', auth: WRITE, summary: 'Suppress a title from discovery, or publish it again',
    docs: { tags: TAGS, body: titlePatch, errors: [400, 404] },
    handler: async (ctx, p) => {
      const body = titlePatch.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes));
      ctx.body = titleView(await services(p).writer.patch(String(ctx.params.id), body, actor(ctx)), p.core.url);
    },
  });
  r.route({
    method: 'DELETE', path: '/api/v1/titles/:id', auth: DELETE, summary: 'Delete a title with its representations and files (announced as deleted by publishing)',
    docs: { tags: TAGS, responses: { 204: { description: 'Deleted' } }, errors: [404] },
    handler: async (ctx, p) => {
      await services(p).writer.remove(String(ctx.params.id), actor(ctx));
      ctx.status = 204;
    },
  });
  r.route({
    method: 'GET', path: '/api/v1/titles/:id/record', auth: READ, summary: 'The source record of a title, as stored (MARCXML, MODS or oai_dc)',
    docs: { tags: TAGS, responses: { 200: { description: 'The record', contentType: 'application/xml' } }, errors: [404] },
    handler: async (ctx, p) => {
      const t = await services(p).titles.get(String(ctx.params.id));
      ctx.type = { marc21: 'application/marcxml+xml', mods: 'application/mods+xml', dc: 'application/xml' }[t.sourceFormat] + '; charset=utf-8';
      ctx.body = t.sourceRecord;
    },
  });
}

