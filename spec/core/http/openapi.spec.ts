import SwaggerParser from '@apidevtools/swagger-parser';
import { expect } from 'chai';
import { z } from 'zod';
import { escapeHtml, renderApiDocsPage } from '../../../core/admin/api-docs-page';
import { ROLE_IDS, ROLES, type Permission, type RoleId } from '../../../core/auth/roles';
import { buildOpenApi, openApiPaths, type JsonSchema, type OpenApiDocument, type OpenApiOperation } from '../../../core/http/openapi';
import { definePlugin } from '../../../core/plugin';
import type { MountedRoute } from '../../../core/plugin/plugin-host';
import { CORE_VERSION } from '../../../core/version';
import { builtinPlugins } from '../../../plugins';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const INFO = { title: 'Spec API', version: '9.9.9', serverUrl: 'http://api.test/' };

type ParserDocument = Awaited<ReturnType<typeof SwaggerParser.validate>>;

/** Validate with swagger-parser (it dereferences in place, hence the copy). */
async function validate(doc: OpenApiDocument): Promise<void> {
  await SwaggerParser.validate(structuredClone(doc) as unknown as ParserDocument);
}

function op(doc: OpenApiDocument, path: string, method: string): OpenApiOperation {
  const o = doc.paths[path]?.[method as 'get'];
  if (!o) throw new Error(`no ${method} ${path} in the document (paths: ${Object.keys(doc.paths).join(', ')})`);
  return o;
}

/** Roles whose permissions include all of `perms`, computed independently of the code under test. */
const granting = (perms: readonly Permission[]): RoleId[] =>
  ROLE_IDS.filter((r) => perms.every((p) => (ROLES[r].permissions as readonly string[]).includes(p)));

// --- A fixture plugin whose routes carry full docs -----------------------------------------------

const FixtureLabel = z.object({ lang: z.string().length(2), text: z.string() }).meta({ id: 'FixtureLabel', description: 'A label in one language' });
interface Section { title: string; sections?: Section[] }
const Section: z.ZodType<Section> = z.object({
  title: z.string(),
  get sections() {
    return z.array(Section).optional();
  },
});
const thingQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size'),
  q: z.string().optional().describe('Full-text filter'),
  state: z.enum(['draft', 'published']).optional(),
  since: z.coerce.date().optional(),
});
const thingBody = z.strictObject({
  name: z.string().min(1).describe('Display name'),
  labels: z.array(FixtureLabel),
  outline: Section.optional(),
});
const thing = z.object({ id: z.uuid(), name: z.string(), label: FixtureLabel.optional() });
const EVIL = '<script>alert("x")</script> & co';

const docsFixture = definePlugin({
  manifest: { id: 'api-docs-fixture', version: '1.0.0', core: `^${CORE_VERSION}`, description: 'Things, for the OpenAPI spec' },
  register(r) {
    r.route({
      method: 'GET', path: '/api/v1/fixture-things', auth: ['inventory:read'], summary: 'List things',
      docs: {
        tags: ['things'], description: 'Lists the things, newest first.', query: thingQuery,
        responses: { 200: { description: 'A page of things', schema: z.object({ items: z.array(thing) }) } },
      },
      handler: (ctx) => { ctx.body = { items: [] }; },
    });
    r.route({
      method: 'POST', path: '/api/v1/fixture-things', auth: ['inventory:write'], summary: 'Create a thing',
      docs: {
        tags: ['things'], body: thingBody,
        requestContentTypes: {
          'application/marc': { description: 'A MARC 21 record' },
          'multipart/form-data': { schema: z.object({ file: z.string().describe('The record file') }) },
        },
        responses: { 201: { description: 'Created', schema: thing } },
        errors: [409, 415],
      },
      handler: (ctx) => { ctx.status = 201; },
    });
    r.route({
      method: 'OPTIONS', path: '/api/v1/fixture-things', auth: 'public',
      handler: (ctx) => { ctx.status = 204; },
    });
    r.route({
      method: 'DELETE', path: '/api/v1/fixture-things/:thingId/labels/:lang', auth: ['inventory:read', 'inventory:delete'],
      summary: 'Remove a label', docs: { errors: [404], responses: { 204: { description: 'Removed' } } },
      handler: (ctx) => { ctx.status = 204; },
    });
    r.route({
      method: 'GET', path: '/api/v1/fixture-files{/:folder}/*rest', auth: 'public', summary: 'A file, optionally in a folder',
      handler: (ctx) => { ctx.body = { params: ctx.params }; },
    });
    r.route({
      method: 'GET', path: '/api/v1/fixture-evil', auth: 'public', summary: EVIL,
      docs: { description: 'Has <img src=x onerror=alert(1)> in it' },
      handler: (ctx) => { ctx.body = {}; },
    });
    r.route({ method: 'GET', path: '/fixture-page', auth: 'public', handler: (ctx) => { ctx.body = 'page'; } });
    r.route({
      method: 'GET', path: '/fixture-feed', auth: 'public', summary: 'An Atom feed',
      docs: { tags: ['feeds'], responses: { 200: { description: 'The feed', contentType: 'application/atom+xml' } } },
      handler: (ctx) => { ctx.type = 'application/atom+xml'; ctx.body = '<feed/>'; },
    });
  },
});

// --- Pure unit tests ------------------------------------------------------------------------------

describe('buildOpenApi', () => {
  const route = (over: Partial<MountedRoute> & Pick<MountedRoute, 'method' | 'path'>): MountedRoute => ({ pluginId: 'p', auth: 'public', ...over });

  it('converts koa-router paths: params, quoted names, escapes, wildcards, optional groups', () => {
    expect(openApiPaths('/api/v1/titles/:id').map((v) => v.template)).to.deep.equal(['/api/v1/titles/{id}']);
    expect(openApiPaths('/a/:"file name"/b').map((v) => v.template)).to.deep.equal(['/a/{file name}/b']);
    expect(openApiPaths('/a\\:b/:id').map((v) => v.template)).to.deep.equal(['/a:b/{id}']);
    expect(openApiPaths('/f{/:dir}/*rest').map((v) => [v.template, v.params])).to.deep.equal([
      ['/f/{rest}', [{ name: 'rest', wildcard: true }]],
      ['/f/{dir}/{rest}', [{ name: 'dir', wildcard: false }, { name: 'rest', wildcard: true }]],
    ]);
    expect(openApiPaths('/a{/b{/:c}}').map((v) => v.template)).to.deep.equal(['/a', '/a/b', '/a/b/{c}']);
  });

  it('describes API routes only (plus documented others), skipping HEAD twins, bare OPTIONS and duplicates', async () => {
    const doc = buildOpenApi([
      route({ method: 'GET', path: '/api/v1/b/:id', auth: ['inventory:read'], summary: 'first' }),
      route({ method: 'GET', path: '/api/v1/b/:id', summary: 'unreachable duplicate' }),
      route({ method: 'HEAD', path: '/api/v1/b/:id' }),
      route({ method: 'HEAD', path: '/api/v1/ping' }),
      route({ method: 'OPTIONS', path: '/api/v1/b/:id' }),
      route({ method: 'GET', path: '/' }),
      route({ method: 'GET', path: '/feed', docs: { description: 'documented' } }),
      route({ method: 'POST', path: '/api/v1/a' }),
    ], INFO);
    await validate(doc);
    expect(Object.keys(doc.paths)).to.deep.equal(['/api/v1/a', '/api/v1/b/{id}', '/api/v1/ping', '/feed']);
    expect(Object.keys(doc.paths['/api/v1/b/{id}'] ?? {})).to.deep.equal(['get']);
    expect(op(doc, '/api/v1/b/{id}', 'get').summary).to.equal('first');
    expect(Object.keys(doc.paths['/api/v1/ping'] ?? {})).to.deep.equal(['head']);
    expect(op(doc, '/api/v1/b/{id}', 'get').parameters).to.deep.equal([{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]);
    expect(doc.servers).to.deep.equal([{ url: 'http://api.test' }]);
  });

  it('gives stable, unique operation ids and the same JSON whatever the route order', () => {
    const routes = [
      route({ method: 'GET', path: '/api/a-b' }),
      route({ method: 'GET', path: '/api/a_b', pluginId: 'p' }),
      route({ method: 'PUT', path: '/api/x/:id', pluginId: 'q', auth: ['system:admin'] }),
      route({ method: 'GET', path: '/api/x/:id', pluginId: 'q' }),
    ];
    const doc = buildOpenApi(routes, INFO);
    expect(op(doc, '/api/a-b', 'get').operationId).to.equal('p.get_api_a_b');
    expect(op(doc, '/api/a_b', 'get').operationId).to.equal('p.get_api_a_b_2');
    expect(op(doc, '/api/x/{id}', 'put').operationId).to.equal('q.put_api_x_by_id');
    expect(Object.keys(doc.paths['/api/x/{id}'] ?? {})).to.deep.equal(['get', 'put']);
    const again = buildOpenApi([...routes].reverse(), INFO);
    expect(JSON.stringify(again)).to.equal(JSON.stringify(doc));
  });

  it('names the permissions and exactly the roles that grant all of them', () => {
    const doc = buildOpenApi([
      route({ method: 'DELETE', path: '/api/t/:id', auth: ['inventory:read', 'inventory:delete'] }),
      route({ method: 'GET', path: '/api/any', auth: [] }),
      route({ method: 'GET', path: '/api/open' }),
    ], INFO);
    const del = op(doc, '/api/t/{id}', 'delete');
    expect(del.description).to.contain('`inventory:read`, `inventory:delete`');
    expect(del['x-roles']).to.deep.equal(granting(['inventory:read', 'inventory:delete']));
    expect(del['x-roles']).to.deep.equal(['digital-inventory-operator-extended', 'general-system-administrator']);
    expect(del.description).to.contain('Digital Inventory Operator Extended (`digital-inventory-operator-extended`)');
    expect(del.description).to.not.contain('(`digital-inventory-operator`)');
    expect(del.security).to.deep.equal([{ apiKey: [] }]);
    expect(Object.keys(del.responses)).to.deep.equal(['200', '401', '403']);
    const any = op(doc, '/api/any', 'get');
    expect(any.security).to.deep.equal([{ apiKey: [] }]);
    expect(any.description).to.contain('any role');
    const open = op(doc, '/api/open', 'get');
    expect(open.security).to.equal(undefined);
    expect(open.responses).to.deep.equal({ 200: { description: 'OK' } });
  });

  it('moves zod definitions to components without clobbering each other or Problem', async () => {
    const a = z.object({ x: z.string() }).meta({ id: 'Clash' });
    const b = z.object({ y: z.number() }).meta({ id: 'Clash' });
    const imposter = z.object({ z: z.boolean() }).meta({ id: 'Problem' });
    interface Tree { kids: Tree[] }
    const tree: z.ZodType<Tree> = z.object({ get kids() { return z.array(tree); } });
    const doc = buildOpenApi([
      route({ method: 'POST', path: '/api/a', docs: { body: z.object({ a, imposter }), responses: { 200: { description: 'tree', schema: tree } } } }),
      route({ method: 'POST', path: '/api/b', docs: { body: z.object({ b }), responses: { 200: { description: 'a', schema: z.object({ a }) } } } }),
      // zod refuses two schemas with one id in one conversion; the document says so and stays valid.
      route({ method: 'POST', path: '/api/c', docs: { body: z.object({ a, b }) } }),
    ], INFO);
    await validate(doc);
    const s = doc.components.schemas;
    expect(s.Problem?.required).to.deep.equal(['type', 'title', 'status', 'code']);
    expect(s.Clash).to.deep.include({ properties: { x: { type: 'string' } } });
    const aBody = op(doc, '/api/a', 'post').requestBody?.content['application/json']?.schema as JsonSchema;
    expect(aBody.properties).to.deep.equal({ a: { $ref: '#/components/schemas/Clash' }, imposter: { $ref: '#/components/schemas/p.post_api_a_Body_Problem' } });
    const bBody = op(doc, '/api/b', 'post').requestBody?.content['application/json']?.schema as JsonSchema;
    const bProps = bBody.properties as Record<string, JsonSchema>;
    expect(Object.keys(bProps)).to.deep.equal(['b']);
    const aOut = op(doc, '/api/b', 'post').responses['200'] as { content: Record<string, { schema: JsonSchema }> };
    expect(aOut.content['application/json']?.schema.properties).to.deep.equal({ a: { $ref: '#/components/schemas/ClashOutput' } });
    expect(s.ClashOutput).to.deep.include({ properties: { x: { type: 'string' } }, additionalProperties: false });
    const cBody = op(doc, '/api/c', 'post').requestBody?.content['application/json']?.schema;
    expect(cBody?.description).to.match(/not representable: Duplicate schema id "Clash"/);
    const bRef = String(bProps.b?.$ref);
    expect(bRef).to.not.equal('#/components/schemas/Clash');
    expect(s[bRef.split('/').pop() ?? '']).to.deep.include({ properties: { y: { type: 'number' } } });
    const treeRef = op(doc, '/api/a', 'post').responses['200'] as { content: Record<string, { schema: JsonSchema }> };
    const name = String(treeRef.content['application/json']?.schema.$ref).split('/').pop() ?? '';
    expect(JSON.stringify(s[name])).to.contain(`"$ref":"#/components/schemas/${name}"`);
  });

  it('turns a non-object query schema into one form-exploded parameter', async () => {
    const doc = buildOpenApi([
      route({ method: 'GET', path: '/api/u', docs: { query: z.union([z.object({ a: z.string() }), z.object({ b: z.string() })]) } }),
    ], INFO);
    await validate(doc);
    expect(op(doc, '/api/u', 'get').parameters).to.deep.include({
      name: 'query', in: 'query', required: false, style: 'form', explode: true,
      schema: { anyOf: [
        { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        { type: 'object', properties: { b: { type: 'string' } }, required: ['b'] },
      ] },
    });
  });

  it('renders a page that escapes every text it shows', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).to.equal('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const doc = buildOpenApi([route({ method: 'GET', path: '/api/:"<b>"', summary: '<i>hi</i>', docs: { tags: ['<t>'] } })], { ...INFO, title: '<T>' });
    const html = renderApiDocsPage(doc);
    expect(html).to.contain('<title>&lt;T&gt;</title>');
    expect(html).to.contain('&lt;i&gt;hi&lt;/i&gt;');
    expect(html).to.contain('<code class="path">/api/{&lt;b&gt;}</code>');
    expect(html).to.not.match(/<(b|i|t)>/);
  });
});

// --- Against a real app ---------------------------------------------------------------------------

describe('GET /api/openapi.json and /api/docs', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let etag: string;

  before(async () => {
    t = await startTestApp({ app: { plugins: [...builtinPlugins, docsFixture] } });
    const res = await t.http.get('/api/openapi.json').expect(200);
    expect(res.type).to.equal('application/json');
    doc = res.body as OpenApiDocument;
    etag = String(res.headers.etag);
  });
  after(async () => t?.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.info.version).to.equal(CORE_VERSION);
    expect(doc.servers[0]?.url).to.equal('http://colophon.test');
    await validate(doc);
  });

  it('has every mounted /api/ route with its method and path parameters, attributed to its plugin', () => {
    const routes = t.app.host.routes().filter((r) => r.path.startsWith('/api/') && !['HEAD', 'OPTIONS'].includes(r.method));
    expect(new Set(routes.map((r) => r.pluginId))).to.include.keys('admin', 'inventory', 'api-docs-fixture');
    let checked = 0;
    for (const r of routes) {
      if (/[{*]/.test(r.path)) continue; // checked literally below
      const path = r.path.replace(/:(\w+)/g, '{$1}');
      const o = op(doc, path, r.method.toLowerCase());
      expect(o['x-plugin'], path).to.equal(r.pluginId);
      const names = [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
      expect(o.parameters?.filter((p) => p.in === 'path').map((p) => [p.name, p.required]) ?? [], path).to.deep.equal(names.map((n) => [n, true]));
      checked++;
    }
    expect(checked).to.be.greaterThan(20);
    expect(op(doc, '/api/v1/admin/plugins/{id}/enable', 'post').parameters).to.deep.equal([{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]);
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((o) => o.operationId));
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('leaves out HTML pages without docs, HEAD twins and bare OPTIONS; keeps documented non-API routes', () => {
    expect(doc.paths).to.not.have.property('/fixture-page');
    expect(doc.paths).to.not.have.property('/');
    expect(op(doc, '/fixture-feed', 'get').responses['200']).to.deep.equal({ description: 'The feed', content: { 'application/atom+xml': {} } });
    expect(doc.paths['/api/v1/fixture-things']).to.have.all.keys('get', 'post');
    for (const item of Object.values(doc.paths)) expect(item).to.not.have.property('head');
  });

  it('secures staff operations with the API key and names the roles; public ones are open', () => {
    expect(doc.components.securitySchemes.apiKey).to.include({ type: 'http', scheme: 'bearer' });
    expect(String(doc.components.securitySchemes.apiKey?.description)).to.contain('col_');
    for (const r of t.app.host.routes()) {
      if (!r.path.startsWith('/api/') || /[{*]/.test(r.path) || ['HEAD', 'OPTIONS'].includes(r.method)) continue;
      const o = op(doc, r.path.replace(/:(\w+)/g, '{$1}'), r.method.toLowerCase());
      const where = `${r.method} ${r.path}`;
      if (r.auth === 'public') {
        expect(o.security, where).to.equal(undefined);
        expect(o.responses, where).to.not.have.property('401');
        continue;
      }
      expect(o.security, where).to.deep.equal([{ apiKey: [] }]);
      expect(o.responses['401'], where).to.deep.equal({ $ref: '#/components/responses/UnauthorizedProblem' });
      expect(o.responses['403'], where).to.deep.equal({ $ref: '#/components/responses/ForbiddenProblem' });
      for (const p of r.auth) expect(o.description, where).to.contain(`\`${p}\``);
      const roles = granting(r.auth);
      expect(roles.length, where).to.be.greaterThan(0);
      for (const role of roles) expect(o.description, where).to.contain(`${ROLES[role].label} (\`${role}\`)`);
      for (const role of ROLE_IDS.filter((x) => !roles.includes(x))) expect(o.description, where).to.not.contain(`(\`${role}\`)`);
    }
    expect(op(doc, '/api/openapi.json', 'get').security).to.equal(undefined);
    expect(op(doc, '/api/v1/admin/plugins', 'get').description).to.contain('General System Administrator (`general-system-administrator`)');
  });

  it('converts the fixture query zod object into typed, described query parameters', () => {
    const params = op(doc, '/api/v1/fixture-things', 'get').parameters ?? [];
    const byName = Object.fromEntries(params.map((p) => [p.name, p]));
    expect(byName.limit).to.deep.equal({
      name: 'limit', in: 'query', required: false, description: 'Page size',
      schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    });
    expect(byName.q).to.deep.include({ required: false, description: 'Full-text filter', schema: { type: 'string' } });
    expect(byName.state?.schema).to.deep.equal({ type: 'string', enum: ['draft', 'published'] });
    expect(byName.since?.schema).to.deep.equal({ type: 'string', format: 'date-time' });
    expect(op(doc, '/api/v1/fixture-things', 'get').responses['400']).to.deep.equal({ $ref: '#/components/responses/BadRequestProblem' });
    expect(op(doc, '/api/v1/fixture-things', 'get').tags).to.deep.equal(['things']);
    expect(op(doc, '/api/v1/fixture-things', 'get').description).to.match(/^Lists the things, newest first\.\n\nRequires permission `inventory:read`/);
  });

  it('converts the fixture body, other media types, responses and problem errors', () => {
    const post = op(doc, '/api/v1/fixture-things', 'post');
    expect(post.requestBody?.required).to.equal(true);
    expect(Object.keys(post.requestBody?.content ?? {})).to.deep.equal(['application/json', 'application/marc', 'multipart/form-data']);
    expect(post.requestBody?.description).to.contain('application/marc: A MARC 21 record');
    const body = post.requestBody?.content['application/json']?.schema as JsonSchema;
    expect(body).to.deep.include({ type: 'object', required: ['name', 'labels'], additionalProperties: false });
    const props = body.properties as Record<string, JsonSchema>;
    expect(props.name).to.deep.equal({ type: 'string', minLength: 1, description: 'Display name' });
    expect(props.labels).to.deep.equal({ type: 'array', items: { $ref: '#/components/schemas/FixtureLabel' } });
    expect(doc.components.schemas.FixtureLabel).to.deep.include({ description: 'A label in one language', required: ['lang', 'text'] });
    // The recursive outline lives in components and refers to itself there.
    const outlineRef = String(props.outline?.$ref);
    const outline = doc.components.schemas[outlineRef.split('/').pop() ?? ''];
    expect(JSON.stringify(outline)).to.contain(`"$ref":"${outlineRef}"`);
    expect(post.requestBody?.content['multipart/form-data']?.schema).to.deep.include({ properties: { file: { type: 'string', description: 'The record file' } } });
    const created = post.responses['201'] as { description: string; content: Record<string, { schema: JsonSchema }> };
    expect(created.description).to.equal('Created');
    expect(created.content['application/json']?.schema.properties).to.deep.include({ id: { type: 'string', format: 'uuid', pattern: (thing.shape.id.toJSONSchema() as JsonSchema).pattern } });
    expect(Object.keys(post.responses)).to.deep.equal(['201', '400', '401', '403', '409', '415']);
    expect(doc.components.responses.ConflictProblem?.content?.['application/problem+json']?.schema).to.deep.equal({ $ref: '#/components/schemas/Problem' });
    expect(doc.components.responses.UnauthorizedProblem?.headers).to.have.property('WWW-Authenticate');
    const del = op(doc, '/api/v1/fixture-things/{thingId}/labels/{lang}', 'delete');
    expect(Object.keys(del.responses)).to.deep.equal(['204', '401', '403', '404']);
    expect(del['x-roles']).to.deep.equal(['digital-inventory-operator-extended', 'general-system-administrator']);
  });

  it('expands optional groups and wildcards into paths the router really serves', async () => {
    const a = op(doc, '/api/v1/fixture-files/{rest}', 'get');
    const b = op(doc, '/api/v1/fixture-files/{folder}/{rest}', 'get');
    expect(a.parameters?.map((p) => p.name)).to.deep.equal(['rest']);
    expect(b.parameters?.map((p) => p.name)).to.deep.equal(['folder', 'rest']);
    expect(a.operationId).to.not.equal(b.operationId);
    const got = await t.http.get('/api/v1/fixture-files/one/deep/file.txt').expect(200);
    expect(got.body.params).to.deep.include({ folder: 'one' });
    await t.http.get('/api/v1/fixture-files/file.txt').expect(200);
  });

  it('answers 304 to If-None-Match, and follows plugins being disabled and enabled at run time', async () => {
    expect(etag).to.match(/^"/);
    await t.http.get('/api/openapi.json').set('If-None-Match', etag).expect(304);
    const admin = await t.key('general-system-administrator');
    await t.http.post('/api/v1/admin/plugins/api-docs-fixture/disable').set('Authorization', `Bearer ${admin}`).expect(200);
    try {
      const res = await t.http.get('/api/openapi.json').set('If-None-Match', etag).expect(200);
      expect(res.headers.etag).to.not.equal(etag);
      expect(Object.keys((res.body as OpenApiDocument).paths).filter((p) => p.includes('fixture'))).to.deep.equal([]);
      expect((res.body as OpenApiDocument).tags.map((x) => x.name)).to.not.include('things');
    } finally {
      await t.http.post('/api/v1/admin/plugins/api-docs-fixture/enable').set('Authorization', `Bearer ${admin}`).expect(200);
    }
    const back = await t.http.get('/api/openapi.json').expect(200);
    expect(back.body).to.deep.equal(doc);
    expect(back.headers.etag).to.equal(etag);
  });

  it('GET /api/docs lists every operation by tag, with roles, and escapes what plugins wrote', async () => {
    const res = await t.http.get('/api/docs').expect(200);
    expect(res.type).to.equal('text/html');
    expect(res.headers['content-security-policy']).to.contain("default-src 'none'");
    const html = res.text;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        expect(html, `${method} ${path}`).to.contain(`${method.toUpperCase()}</span> <code class="path">${escapeHtml(path)}</code>`);
      }
    }
    for (const tag of ['admin', 'inventory', 'things', 'feeds', 'meta']) expect(html).to.contain(`id="tag-${tag}"`);
    expect(html).to.contain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
    expect(html).to.contain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).to.not.match(/<(script|img|link|iframe|object)\b/i);
    expect(html).to.contain('href="http://colophon.test/api/openapi.json"');
    expect(html).to.contain('General System Administrator');
    expect(html).to.contain('<code>inventory:delete</code>');
    expect(html).to.contain('<td><code>limit</code></td><td>query</td><td><code>integer (1..100, default 20)</code></td><td>no</td><td>Page size</td>');
    expect(html).to.contain('<code>application/marc</code>');
    expect(html).to.contain('id="schema-FixtureLabel"');
    const again = await t.http.get('/api/docs').set('If-None-Match', String(res.headers.etag)).expect(304);
    expect(again.text).to.equal('');
  });
});
