import Router from '@koa/router';
import { expect } from 'chai';
import Koa from 'koa';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { ColophonError } from '../../../../core/errors';
import {
  ASSETS_PREFIX, chooseEncoding, miradorPackage, miradorVersion, PrecompressedAsset, VIEWER_ASSET_PATHS, VIEWER_ASSET_ROUTES,
  VIEWER_INIT_SCRIPT, viewerAssetUrls, warmViewerAssets,
} from '../../../../plugins/iiif-presentation/viewer';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request whose body comes back as sent (no decompression), to check the encodings themselves. */
function raw(url: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The asset routes on a bare Koa app with @koa/router, as the plugin host mounts them. */
function assetApp(): Koa {
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      ctx.status = err instanceof ColophonError ? err.status : 500;
      ctx.body = err instanceof Error ? err.message : String(err);
    }
  });
  const router = new Router();
  for (const r of VIEWER_ASSET_ROUTES) router.get(r.path, r.handler);
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}

describe('iiif-presentation viewer assets (Mirador bundle, init script)', function () {
  this.timeout(60_000);
  let server: Server;
  let base: string;
  let urls: { miradorScript: string; viewerInit: string };
  let bundle: Buffer;

  before(async function () {
    server = assetApp().listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    urls = viewerAssetUrls(`${base}${ASSETS_PREFIX}/`);
    bundle = readFileSync(miradorPackage().script);
  });

  after(async function () {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('finds the installed Mirador 4 and keys its URL by version', function () {
    const pkg = JSON.parse(readFileSync(`${miradorPackage().root}/package.json`, 'utf8')) as { name: string; version: string };
    expect(pkg.name).to.equal('mirador');
    expect(miradorVersion()).to.equal(pkg.version).and.to.match(/^4\./);
    expect(urls.miradorScript).to.equal(`${base}/assets/mirador/${pkg.version}/mirador.min.js`);
    expect(VIEWER_ASSET_PATHS.miradorScript).to.equal('/assets/mirador/:version/mirador.min.js');
    expect(bundle.length).to.be.greaterThan(1_000_000);
  });

  it('serves the bundle gzipped, immutable and with an ETag, and as is to clients that accept no encoding', async function () {
    const gz = await raw(urls.miradorScript, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(gz.status).to.equal(200);
    expect(gz.headers['content-type']).to.equal('application/javascript; charset=utf-8');
    expect(gz.headers['content-encoding']).to.equal('gzip');
    expect(gz.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
    expect(gz.headers.vary).to.match(/accept-encoding/i);
    expect(gz.headers['x-content-type-options']).to.equal('nosniff');
    expect(gz.headers.etag).to.match(/^"[A-Za-z0-9_-]+-gz"$/);
    expect(Number(gz.headers['content-length'])).to.equal(gz.body.length).and.to.be.lessThan(bundle.length / 2);
    expect(gunzipSync(gz.body).equals(bundle)).to.equal(true);

    const plain = await raw(urls.miradorScript);
    expect(plain.status).to.equal(200);
    expect(plain.headers['content-encoding']).to.equal(undefined);
    expect(plain.body.equals(bundle)).to.equal(true);
    expect(plain.headers.etag).to.not.equal(gz.headers.etag);
  });

  it('serves brotli once made, honouring q-values; the bundle sizes are reported', async function () {
    await warmViewerAssets();
    const br = await raw(urls.miradorScript, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).to.equal('br');
    expect(br.headers.etag).to.match(/-br"$/);
    expect(brotliDecompressSync(br.body).equals(bundle)).to.equal(true);
    const gzBody = (await raw(urls.miradorScript, { headers: { 'Accept-Encoding': 'gzip' } })).body;
    expect(br.body.length).to.be.lessThan(gzBody.length);

    expect((await raw(urls.miradorScript, { headers: { 'Accept-Encoding': 'br;q=0.5, gzip;q=1' } })).headers['content-encoding']).to.equal('gzip');
    expect((await raw(urls.miradorScript, { headers: { 'Accept-Encoding': 'br;q=0, gzip' } })).headers['content-encoding']).to.equal('gzip');
    expect((await raw(urls.miradorScript, { headers: { 'Accept-Encoding': 'identity' } })).headers['content-encoding']).to.equal(undefined);
    console.log(`      mirador ${miradorVersion()}: ${bundle.length} B raw, ${gzBody.length} B gzip (level 9), ${br.body.length} B brotli (quality 11)`);
  });

  it('answers HEAD with the headers and no body, and 304 to a client holding any encoding of it', async function () {
    const head = await raw(urls.miradorScript, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(head.body.length).to.equal(0);
    expect(Number(head.headers['content-length'])).to.equal(bundle.length);

    const gz = await raw(urls.miradorScript, { headers: { 'Accept-Encoding': 'gzip' } });
    const etag = String(gz.headers.etag);
    const again = await raw(urls.miradorScript, { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': etag } });
    expect(again.status).to.equal(304);
    expect(again.body.length).to.equal(0);
    expect(again.headers.etag).to.equal(etag);
    const other = await raw(urls.miradorScript, { headers: { 'Accept-Encoding': 'br', 'If-None-Match': `W/${etag}` } });
    expect(other.status).to.equal(304);
    const stale = await raw(urls.miradorScript, { headers: { 'If-None-Match': '"something-else"' } });
    expect(stale.status).to.equal(200);
  });

  it('404s another version, and serves the source map beside the bundle', async function () {
    const wrong = urls.miradorScript.replace(`/${miradorVersion()}/`, '/3.3.0/');
    expect((await raw(wrong)).status).to.equal(404);
    const map = await raw(`${urls.miradorScript}.map`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(map.status).to.equal(200);
    expect(map.headers['content-type']).to.equal('application/json; charset=utf-8');
    const parsed = JSON.parse(gunzipSync(map.body).toString('utf8')) as { version: number; sources: string[] };
    expect(parsed.version).to.equal(3);
    expect(parsed.sources.length).to.be.greaterThan(100);
    // The bundle names its map relative to itself, so the versioned directory serves both.
    expect(bundle.subarray(-100).toString('utf8')).to.contain('sourceMappingURL=mirador.min.js.map');
  });

  it('serves the init script under a hash of its content, and 404s a stale hash', async function () {
    const res = await raw(urls.viewerInit);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('application/javascript; charset=utf-8');
    expect(res.headers['cache-control']).to.contain('immutable');
    expect(res.body.toString('utf8')).to.equal(VIEWER_INIT_SCRIPT);
    expect((await raw(urls.viewerInit.replace(/\/viewer\/[0-9a-f]+\//, '/viewer/0000000000000000/'))).status).to.equal(404);
  });

  it('chooseEncoding: highest q wins, ties go to brotli, * and q=0 are honoured', function () {
    expect(chooseEncoding('gzip, deflate, br, zstd', ['br', 'gzip'])).to.equal('br');
    expect(chooseEncoding('gzip, deflate, br', ['gzip'])).to.equal('gzip');
    expect(chooseEncoding('br;q=0.5, gzip;q=0.8', ['br', 'gzip'])).to.equal('gzip');
    expect(chooseEncoding('*', ['br', 'gzip'])).to.equal('br');
    expect(chooseEncoding('*;q=0.1, br;q=0', ['br', 'gzip'])).to.equal('gzip');
    expect(chooseEncoding('deflate', ['br', 'gzip'])).to.equal('identity');
    expect(chooseEncoding('', ['br', 'gzip'])).to.equal('identity');
    expect(chooseEncoding('GZIP;Q=1.0', ['br', 'gzip'])).to.equal('gzip');
  });

  it('PrecompressedAsset: gzip at once, brotli in the background, loaded once, retried after a failed load', async function () {
    let loads = 0;
    const text = Buffer.from('Colophon '.repeat(50_000));
    const asset = new PrecompressedAsset(() => {
      loads++;
      return Promise.resolve(text);
    }, 'text/plain', 11);
    const first = await asset.variants();
    expect(first.br, 'brotli is not made on the first request').to.equal(undefined);
    expect(gunzipSync(first.gzip.body).equals(text)).to.equal(true);
    await asset.ready();
    const later = await asset.variants();
    expect(later.br?.encoding).to.equal('br');
    expect(brotliDecompressSync(later.br?.body ?? Buffer.alloc(0)).equals(text)).to.equal(true);
    expect(loads).to.equal(1);

    let fail = true;
    const flaky = new PrecompressedAsset(() => (fail ? Promise.reject(new Error('ENOENT')) : Promise.resolve(text)), 'text/plain', 5);
    let error: unknown;
    await flaky.variants().catch((e: unknown) => {
      error = e;
    });
    expect(error).to.be.instanceOf(Error);
    fail = false;
    expect((await flaky.variants()).identity.body.equals(text)).to.equal(true);
  });
});
