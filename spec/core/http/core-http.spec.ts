import { expect } from 'chai';
import type Koa from 'koa';
import { definePlugin } from '../../../core/plugin';
import { applyCors, conditionalGet, etagOf } from '../../../core/http';
import { CORE_VERSION } from '../../../core/version';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const lastModified = new Date('2026-01-02T03:04:05.678Z');

/** Exercises the HTTP helpers plugins use. */
const helpersPlugin = definePlugin({
  manifest: { id: 'http-helpers', version: '1.0.0', core: `^${CORE_VERSION}` },
  register(r) {
    const handler = (ctx: Koa.Context): void => {
      if (applyCors(ctx, { origins: ['https://viewer.example'], methods: ['GET', 'HEAD', 'OPTIONS'], allowHeaders: ['Authorization'] })) return;
      if (conditionalGet(ctx, { etag: etagOf('v1'), lastModified })) return;
      ctx.body = { fresh: true };
    };
    r.route({ method: 'GET', path: '/cond', auth: 'public', handler });
    r.route({ method: 'OPTIONS', path: '/cond', auth: 'public', handler });
    r.route({ method: 'GET', path: '/boom', auth: 'public', handler: () => { throw new Error('secret internals'); } });
  },
});

describe('HTTP core', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ app: { plugins: [helpersPlugin] } });
  });
  after(async () => t.close());

  it('/healthz and /readyz', async () => {
    expect((await t.http.get('/healthz').expect(200)).body).to.deep.equal({ status: 'ok' });
    const ready = await t.http.get('/readyz').expect(200);
    expect(ready.body.status).to.equal('ready');
  });

  it('/metrics in Prometheus text format with request counters', async () => {
    await t.http.get('/healthz');
    const res = await t.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).to.match(/^text\/plain/);
    expect(res.text).to.match(/colophon_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(res.text).to.contain('colophon_process_cpu_user_seconds_total');
  });

  it('echoes a sane X-Request-Id, generates one otherwise', async () => {
    expect((await t.http.get('/healthz').set('X-Request-Id', 'abc-123')).headers['x-request-id']).to.equal('abc-123');
    const gen = (await t.http.get('/healthz').set('X-Request-Id', 'bad id with spaces')).headers['x-request-id'];
    expect(gen).to.match(/^[0-9a-f-]{36}$/);
  });

  it('unknown paths answer 404 problem+json (RFC 9457)', async () => {
    const res = await t.http.get('/no/such/thing').expect(404);
    expect(res.type).to.equal('application/problem+json');
    expect(res.body).to.include({ status: 404, title: 'Not found', code: 'core.not-found', instance: '/no/such/thing' });
    expect(res.body.type).to.equal('http://colophon.test/problems/core.not-found');
    expect(res.body.requestId).to.equal(res.headers['x-request-id']);
  });

  it('a wrong method on a known path answers 405 with Allow', async () => {
    const res = await t.http.delete('/cond').expect(405);
    expect(res.type).to.equal('application/problem+json');
    expect(res.headers.allow).to.contain('GET');
  });

  it('an unexpected error answers 500 problem without internals; the server stays up', async () => {
    const res = await t.http.get('/boom').expect(500);
    expect(res.type).to.equal('application/problem+json');
    expect(JSON.stringify(res.body)).to.not.contain('secret internals');
    await t.http.get('/healthz').expect(200);
  });

  it('malformed JSON and wrong content type get 400 / 415 problems', async () => {
    const key = await t.key('general-system-administrator');
    const bad = await t.http.post('/api/v1/admin/api-keys').set('Authorization', `Bearer ${key}`).set('Content-Type', 'application/json').send('{"roles": [');
    expect(bad.status).to.equal(400);
    expect(bad.body.detail).to.match(/^Body is not valid JSON/);
    const wrong = await t.http.post('/api/v1/admin/api-keys').set('Authorization', `Bearer ${key}`).set('Content-Type', 'text/plain').send('roles');
    expect(wrong.status).to.equal(415);
    const big = await t.http.post('/api/v1/admin/api-keys').set('Authorization', `Bearer ${key}`).set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'x'.repeat(11 * 1024 * 1024), roles: ['deposit-operator'] }));
    expect(big.status).to.equal(413);
    const invalid = await t.http.post('/api/v1/admin/api-keys').set('Authorization', `Bearer ${key}`).send({ roles: 'all' });
    expect(invalid.status).to.equal(400);
    expect(invalid.body.code).to.equal('core.validation');
    expect(invalid.body.detail).to.match(/^roles: /);
  });

  it('conditional GET: ETag and Last-Modified, 304 when fresh', async () => {
    const first = await t.http.get('/cond').expect(200);
    expect(first.headers.etag).to.equal(etagOf('v1'));
    expect(first.headers['last-modified']).to.equal('Fri, 02 Jan 2026 03:04:05 GMT');
    await t.http.get('/cond').set('If-None-Match', etagOf('v1')).expect(304);
    await t.http.get('/cond').set('If-None-Match', `W/${etagOf('v1')}, "other"`).expect(304);
    await t.http.get('/cond').set('If-None-Match', '"other"').expect(200);
    await t.http.get('/cond').set('If-Modified-Since', 'Fri, 02 Jan 2026 03:04:05 GMT').expect(304);
    await t.http.get('/cond').set('If-Modified-Since', 'Fri, 02 Jan 2026 03:04:04 GMT').expect(200);
    // If-None-Match wins over If-Modified-Since.
    await t.http.get('/cond').set('If-None-Match', '"other"').set('If-Modified-Since', 'Fri, 02 Jan 2026 03:04:05 GMT').expect(200);
  });

  it('CORS: allowed origin echoed, preflight answered, others get no CORS headers', async () => {
    const ok = await t.http.get('/cond').set('Origin', 'https://viewer.example').expect(200);
    expect(ok.headers['access-control-allow-origin']).to.equal('https://viewer.example');
    expect(ok.headers.vary).to.contain('Origin');
    const pre = await t.http.options('/cond').set('Origin', 'https://viewer.example').set('Access-Control-Request-Method', 'GET').expect(204);
    expect(pre.headers['access-control-allow-methods']).to.equal('GET, HEAD, OPTIONS');
    expect(pre.headers['access-control-allow-headers']).to.equal('Authorization');
    const other = await t.http.get('/cond').set('Origin', 'https://evil.example').expect(200);
    expect(other.headers['access-control-allow-origin']).to.equal(undefined);
  });
});
