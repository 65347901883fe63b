// The viewer page in a real browser. A tiny Koa app on 127.0.0.1 serves the page and its assets
// (the code under test) beside a static IIIF 3 manifest and a minimal level-0 IIIF Image API
// endpoint written here (not the iiif-image plugin: this spec is about the page), so Mirador and
// OpenSeadragon do all they do in production: fetch the manifest and info.json, then tiles.
import Router from '@koa/router';
import { expect } from 'chai';
import Koa from 'koa';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { ColophonError } from '../../../../core/errors';
import { ASSETS_PREFIX, VIEWER_ASSET_ROUTES, renderViewerPage, sendViewerPage, type ViewerPageInput } from '../../../../plugins/iiif-presentation/viewer';
import { launchBrowser, openAndCollect, requireBrowser, type CollectedRequest, type PageReport } from '../../../helpers/browser';
import { onePagePdf } from '../../../helpers/pdf-fixture';

const W = 2000;
const H = 1500;
const TILE = 512;
// Quadrant colours of the test image; the screenshot must show them, so tiles were drawn.
const QUADRANTS: [number, number, number][] = [
  [220, 30, 30],
  [30, 160, 40],
  [30, 60, 220],
  [240, 200, 20],
];

/** A 2000×1500 test image: four coloured quadrants, a grid and labels. */
async function testImage(): Promise<{ data: Buffer; width: number; height: number }> {
  const [a, b, c, d] = QUADRANTS.map(([r, g, bl]) => `rgb(${r},${g},${bl})`);
  const grid = Array.from({ length: 9 }, (_, i) => `<line x1="${i * 250}" y1="0" x2="${i * 250}" y2="${H}" stroke="#fff" stroke-width="4"/>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
<rect x="0" y="0" width="${W / 2}" height="${H / 2}" fill="${a}"/><rect x="${W / 2}" y="0" width="${W / 2}" height="${H / 2}" fill="${b}"/>
<rect x="0" y="${H / 2}" width="${W / 2}" height="${H / 2}" fill="${c}"/><rect x="${W / 2}" y="${H / 2}" width="${W / 2}" height="${H / 2}" fill="${d}"/>
${grid}<text x="100" y="200" font-size="160" fill="#fff">Colophon</text></svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}


/** One second of a 440 Hz tone as 16-bit mono PCM WAV at 8 kHz. */
function testWav(): Buffer {
  const rate = 8000;
  const samples = rate;
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write('WAVEfmt ', 8, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) buf.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return buf;
}

/** A one-second 160×120 VP8 WebM made by ffmpeg, or undefined without ffmpeg (outside CI). */
function testWebm(): Buffer | undefined {
  const probe = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  if (probe.error) {
    if (process.env.CI) throw new Error('ffmpeg is missing; on CI .ci/run installs it');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'colophon-viewer-'));
  try {
    const file = join(dir, 'test.webm');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '1', '-c:v', 'libvpx', '-b:v', '200k', '-an', '-y', file], { timeout: 60_000 });
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Region { left: number; top: number; width: number; height: number }

/** IIIF Image API 3.0 region: full, square, x,y,w,h (clipped to the image). */
function parseRegion(s: string, w: number, h: number): Region | undefined {
  if (s === 'full') return { left: 0, top: 0, width: w, height: h };
  if (s === 'square') {
    const side = Math.min(w, h);
    return { left: Math.floor((w - side) / 2), top: Math.floor((h - side) / 2), width: side, height: side };
  }
  const m = /^(\d+),(\d+),(\d+),(\d+)$/.exec(s);
  if (!m) return undefined;
  const [x, y, rw, rh] = m.slice(1).map(Number) as [number, number, number, number];
  if (rw === 0 || rh === 0 || x >= w || y >= h) return undefined;
  return { left: x, top: y, width: Math.min(rw, w - x), height: Math.min(rh, h - y) };
}

/** IIIF Image API 3.0 size without upscaling: max, w,  ,h  w,h  !w,h. */
function parseSize(s: string, rw: number, rh: number): { width: number; height: number } | undefined {
  let out: { width: number; height: number } | undefined;
  let m: RegExpExecArray | null;
  if (s === 'max') out = { width: rw, height: rh };
  else if ((m = /^(\d+),$/.exec(s))) out = { width: Number(m[1]), height: Math.max(1, Math.round((rh * Number(m[1])) / rw)) };
  else if ((m = /^,(\d+)$/.exec(s))) out = { width: Math.max(1, Math.round((rw * Number(m[1])) / rh)), height: Number(m[1]) };
  else if ((m = /^(\d+),(\d+)$/.exec(s))) out = { width: Number(m[1]), height: Number(m[2]) };
  else if ((m = /^!(\d+),(\d+)$/.exec(s))) {
    const scale = Math.min(Number(m[1]) / rw, Number(m[2]) / rh);
    out = { width: Math.max(1, Math.round(rw * scale)), height: Math.max(1, Math.round(rh * scale)) };
  }
  if (!out || out.width < 1 || out.height < 1 || out.width > rw || out.height > rh) return undefined;
  return out;
}

interface Served { path: string; status: number }

/** The tiny app: viewer pages, assets, a manifest, a level-0 image service, content files. */
function viewerTestApp(fixtures: { image: { data: Buffer; width: number; height: number }; pdf: Buffer; wav: Buffer; webm?: Buffer }, served: Served[]): Koa {
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      ctx.status = err instanceof ColophonError ? err.status : 500;
      ctx.body = err instanceof Error ? err.message : String(err);
    }
    if (ctx.path.startsWith('/iiif/')) served.push({ path: ctx.path, status: ctx.status });
  });
  const router = new Router();
  // Koa 3's ctx.origin is 'null' here; protocol and host are what the browser used.
  const origin = (ctx: Koa.Context): string => `${ctx.protocol}://${ctx.host}`;
  const service = (ctx: Koa.Context, id: string): string => `${origin(ctx)}/iiif/3/${id}`;

  const pages: Record<string, (ctx: Koa.Context) => ViewerPageInput> = {
    img1: (ctx) => ({
      representationId: 'img1', title: 'Test atlas', kind: 'images', pageCount: 2,
      manifestUrl: `${origin(ctx)}/iiif/presentation/3/img1/manifest`,
      landingUrl: `${origin(ctx)}/titles/t1`, assetsBase: `${origin(ctx)}${ASSETS_PREFIX}`, repositoryName: 'Spec Library',
    }),
    pdf1: (ctx) => ({
      representationId: 'pdf1', title: 'Test report', kind: 'pdf', pdfUrl: `${origin(ctx)}/iiif/content/pdf1`,
      manifestUrl: `${origin(ctx)}/iiif/presentation/3/pdf1/manifest`, landingUrl: `${origin(ctx)}/titles/t2`, assetsBase: `${origin(ctx)}${ASSETS_PREFIX}`,
    }),
    av1: (ctx) => ({
      representationId: 'av1', title: 'Test recordings', kind: 'av',
      media: [
        { url: `${origin(ctx)}/iiif/content/wav1`, mimeType: 'audio/wav', kind: 'audio', label: 'Tone' },
        { url: `${origin(ctx)}/iiif/content/vid1`, mimeType: 'video/webm', kind: 'video', label: 'Test pattern' },
      ],
      manifestUrl: `${origin(ctx)}/iiif/presentation/3/av1/manifest`, landingUrl: `${origin(ctx)}/titles/t3`, assetsBase: `${origin(ctx)}${ASSETS_PREFIX}`,
    }),
    denied1: (ctx) => ({
      representationId: 'denied1', title: 'Closed item', kind: 'denied', deniedNote: 'Reading room only.',
      manifestUrl: '', landingUrl: `${origin(ctx)}/titles/t4`, assetsBase: `${origin(ctx)}${ASSETS_PREFIX}`,
    }),
  };

  router.get('/view/:id', (ctx) => {
    const make = pages[String(ctx.params.id)];
    if (!make) {
      ctx.status = 404;
      return;
    }
    const input = make(ctx);
    if (input.kind === 'denied') ctx.status = 403;
    sendViewerPage(ctx, input);
  });
  // A page that breaks the images CSP with an inline script: shows that the harness sees violations.
  router.get('/csp-probe', (ctx) => {
    const { csp } = renderViewerPage({ ...pages.img1?.(ctx) } as ViewerPageInput);
    ctx.set('Content-Security-Policy', csp);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = '<!DOCTYPE html><html lang="en"><head><title>probe</title></head><body><script>document.title = "ran";</script></body></html>';
  });
  for (const r of VIEWER_ASSET_ROUTES) router.get(r.path, r.handler);

  router.get('/iiif/presentation/3/img1/manifest', (ctx) => {
    const base = `${origin(ctx)}/iiif/presentation/3/img1`;
    const canvas = (fileId: string, n: number): Record<string, unknown> => ({
      id: `${base}/canvas/${fileId}`, type: 'Canvas', label: { none: [String(n)] }, width: W, height: H,
      // As the real builders should: a small thumbnail, so no viewer fetches full images for its strip.
      thumbnail: [{
        id: `${service(ctx, fileId)}/full/250,188/0/default.jpg`, type: 'Image', format: 'image/jpeg', width: 250, height: 188,
        service: [{ id: service(ctx, fileId), type: 'ImageService3', profile: 'level0' }],
      }],
      items: [{
        id: `${base}/page/${fileId}`, type: 'AnnotationPage',
        items: [{
          id: `${base}/annotation/${fileId}`, type: 'Annotation', motivation: 'painting', target: `${base}/canvas/${fileId}`,
          body: {
            id: `${service(ctx, fileId)}/full/max/0/default.jpg`, type: 'Image', format: 'image/jpeg', width: W, height: H,
            service: [{ id: service(ctx, fileId), type: 'ImageService3', profile: 'level0' }],
          },
        }],
      }],
    });
    ctx.type = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"';
    ctx.body = {
      '@context': 'http://iiif.io/api/presentation/3/context.json',
      id: `${base}/manifest`, type: 'Manifest', label: { en: ['Test atlas'] },
      metadata: [{ label: { en: ['Made by'] }, value: { none: ['viewer.spec.ts'] } }],
      items: [canvas('f1', 1), canvas('f2', 2)],
    };
  });

  router.get('/iiif/3/:id/info.json', (ctx) => {
    ctx.type = 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"';
    ctx.body = {
      '@context': 'http://iiif.io/api/image/3/context.json',
      id: service(ctx, String(ctx.params.id)), type: 'ImageService3', protocol: 'http://iiif.io/api/image', profile: 'level0',
      width: W, height: H,
      sizes: [{ width: 250, height: 188 }, { width: 500, height: 375 }, { width: 1000, height: 750 }],
      tiles: [{ width: TILE, scaleFactors: [1, 2, 4, 8] }],
    };
  });
  router.get('/iiif/3/:id/:region/:size/:rotation/:file', async (ctx) => {
    const { region: rs, size: ss, rotation, file } = ctx.params as Record<string, string>;
    const region = parseRegion(decodeURIComponent(rs ?? ''), W, H);
    const size = region ? parseSize(decodeURIComponent(ss ?? ''), region.width, region.height) : undefined;
    if (!region || !size || rotation !== '0' || file !== 'default.jpg') {
      ctx.status = 400;
      ctx.body = `unsupported request ${ctx.path}`;
      return;
    }
    const { data, width, height } = fixtures.image;
    let img = sharp(data, { raw: { width, height, channels: 3 } }).extract(region).resize(size.width, size.height, { fit: 'fill' });
    // f2 differs from f1, so the two canvases are told apart.
    if (ctx.params.id === 'f2') img = img.negate();
    ctx.type = 'image/jpeg';
    ctx.body = await img.jpeg({ quality: 85 }).toBuffer();
  });

  router.get('/iiif/content/:id', (ctx) => {
    const files: Record<string, [string, Buffer | undefined]> = {
      pdf1: ['application/pdf', fixtures.pdf],
      wav1: ['audio/wav', fixtures.wav],
      vid1: ['video/webm', fixtures.webm],
    };
    const [type, body] = files[String(ctx.params.id)] ?? ['', undefined];
    if (!body) {
      ctx.status = 404;
      return;
    }
    ctx.type = type;
    ctx.body = body;
  });
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}

/** A tile of the level-0 service: an x,y,w,h region. */
const isTile = (r: CollectedRequest): boolean => /\/iiif\/3\/f[12]\/\d+,\d+,\d+,\d+\/[^/]+\/0\/default\.jpg$/.test(new URL(r.url).pathname);
const underImageService = (r: CollectedRequest): boolean => new URL(r.url).pathname.startsWith('/iiif/3/');

/** Evaluate an expression in the page (a string: the project compiles without the DOM library). */
const inPage = async <T>(page: Page, expression: string): Promise<T> => (await page.evaluate(expression)) as T;

function noProblems(report: PageReport<unknown>): void {
  expect(report.pageErrors, 'page errors').to.deep.equal([]);
  expect(report.cspViolations, 'CSP violations').to.deep.equal([]);
  expect(report.consoleErrors.filter((m) => /Content.Security.Policy|Refused to/i.test(m)), 'CSP console errors').to.deep.equal([]);
}

describe('iiif-presentation viewer page in headless Chromium', function () {
  this.timeout(120_000);
  let server: Server;
  let base: string;
  let browser: Browser;
  let webm: Buffer | undefined;
  const served: Served[] = [];

  before(async function () {
    requireBrowser(this);
    webm = testWebm();
    const image = await testImage();
    server = viewerTestApp({ image, pdf: onePagePdf('Colophon test PDF'), wav: testWav(), webm }, served).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });

  after(async function () {
    await browser?.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('images: Mirador opens the manifest and OpenSeadragon draws tiles answered 200, with no page errors or CSP violations', async function () {
    const report = await openAndCollect(`${base}/view/img1`, {
      browser,
      waitFor: { selector: '.mirador-window .openseadragon-canvas canvas', request: (r) => isTile(r) && r.status === 200, timeoutMs: 60_000 },
      inspect: async (page) => {
        // Let the rest of the first view's tiles arrive before looking at it.
        await page.waitForLoadState('networkidle', { timeout: 30_000 }).catch(() => undefined);
        const osd = page.locator('.mirador-window .openseadragon-canvas').first();
        return {
          windowLabel: await page.locator('section.mirador-window').first().getAttribute('aria-label'),
          topBar: await page.locator('.mirador-window-top-bar').first().innerText(),
          chrome: await inPage<Record<string, unknown>>(page, `({
            controlPanel: document.querySelectorAll('.mirador-workspace-control-panel').length,
            close: document.querySelectorAll('.mirador-window-close').length,
            maximize: document.querySelectorAll('.mirador-window-maximize').length,
            thumbnails: document.querySelectorAll('.mirador-thumb-navigation').length,
            title: document.title,
          })`),
          shot: await osd.screenshot(),
        };
      },
    });
    expect(report.waitSatisfied, `waited for a tile; requests: ${report.requests.map((r) => `${r.status} ${r.url}`).join('\n')}`).to.equal(true);
    expect(report.status).to.equal(200);
    expect(report.headers['content-security-policy']).to.match(/script-src 'self'/);
    noProblems(report);
    // Mirador 4.0.0 itself logs one React 19 deprecation (element.ref); anything else is ours.
    expect(report.consoleErrors.filter((m) => !/element\.ref was removed in React 19/.test(m)), 'console errors').to.deep.equal([]);

    const tiles = report.requests.filter(isTile);
    expect(tiles.length, 'tile requests').to.be.greaterThan(0);
    for (const t of tiles) expect(t.status, t.url).to.equal(200);
    for (const r of report.requests.filter(underImageService)) expect(r.status, r.url).to.equal(200);
    const manifest = report.requests.find((r) => r.url.endsWith('/iiif/presentation/3/img1/manifest'));
    expect(manifest?.status).to.equal(200);
    expect(report.requests.find((r) => r.url.endsWith('/info.json'))?.status).to.equal(200);
    // The server saw the same: no 4xx for anything the viewer asked of the image service.
    expect(served.filter((s) => s.path.startsWith('/iiif/3/') && s.status !== 200)).to.deep.equal([]);

    const { windowLabel, topBar, chrome, shot } = report.result;
    expect(windowLabel).to.contain('Test atlas');
    expect(topBar).to.contain('Test atlas');
    expect(chrome).to.deep.include({ controlPanel: 0, close: 0, maximize: 0, thumbnails: 1, title: 'Test atlas · Viewer · Spec Library' });

    // The drawn canvas shows all four quadrant colours of the image: tiles were decoded and painted.
    const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const pixels = info.width * info.height;
    for (const [r, g, b] of QUADRANTS) {
      let n = 0;
      for (let i = 0; i < data.length; i += 3) {
        if (Math.abs((data[i] ?? 0) - r) < 40 && Math.abs((data[i + 1] ?? 0) - g) < 40 && Math.abs((data[i + 2] ?? 0) - b) < 40) n++;
      }
      expect(n / pixels, `share of rgb(${r},${g},${b}) in the viewer`).to.be.greaterThan(0.02);
    }

    // Figures for the report, not assertions: they swing with the machine's load.
    const firstTile = tiles.reduce((a, b) => (b.atMs < a.atMs ? b : a));
    const at = (part: string): string => report.requests.find((r) => r.url.includes(part))?.atMs.toFixed(0) ?? '?';
    console.log(`      timings from navigation start: Mirador bundle ${at('/mirador.min.js')} ms, manifest ${at('/manifest')} ms, info.json ${at('/info.json')} ms, ` +
      `first tile requested ${firstTile.startedMs.toFixed(0)} ms and done ${firstTile.atMs.toFixed(0)} ms; ${tiles.length} tiles until network idle`);
  });

  it('the harness sees a CSP violation when a page breaks the policy', async function () {
    const report = await openAndCollect(`${base}/csp-probe`, { browser, inspect: (page) => page.title() });
    expect(report.result, 'the inline script did not run').to.equal('probe');
    expect(report.cspViolations.map((v) => v.directive)).to.include('script-src-elem');
  });

  it('pdf: the page embeds the PDF, which the browser fetches', async function () {
    const report = await openAndCollect(`${base}/view/pdf1`, {
      browser,
      waitFor: { request: (r) => r.url.endsWith('/iiif/content/pdf1') },
      inspect: (page) =>
        inPage<{ data: string; type: string; links: string[]; scripts: number }>(page, `(() => {
          const o = document.querySelector('main object');
          return { data: o && o.getAttribute('data'), type: o && o.getAttribute('type'),
            links: [...document.querySelectorAll('main a[download]')].map((a) => a.getAttribute('href')), scripts: document.scripts.length };
        })()`),
    });
    expect(report.status).to.equal(200);
    expect(report.headers['content-security-policy']).to.contain("script-src 'none'");
    noProblems(report);
    expect(report.consoleErrors, 'console errors').to.deep.equal([]);
    expect(report.result).to.deep.include({ data: `${base}/iiif/content/pdf1`, type: 'application/pdf', scripts: 0 });
    expect(report.result.links).to.include(`${base}/iiif/content/pdf1`);
    expect(report.waitSatisfied, 'the browser requested the PDF').to.equal(true);
    expect(report.requests.filter((r) => r.url.endsWith('/iiif/content/pdf1')).map((r) => r.status)).to.include(200);
  });

  it('av: <audio> and <video> with typed sources; the browser reads their metadata under the page CSP', async function () {
    const report = await openAndCollect(`${base}/view/av1`, {
      browser,
      waitFor: { selector: 'main video source' },
      inspect: async (page) => {
        await page.waitForFunction(`document.querySelector('audio').readyState >= 1`, undefined, { timeout: 20_000 });
        if (webm) await page.waitForFunction(`document.querySelector('video').readyState >= 1`, undefined, { timeout: 20_000 });
        type Media = { src: string; type: string; controls: boolean; duration: number; width: number };
        return inPage<{ audio: Media; video: Media }>(page, `(() => {
          const m = (el) => ({ src: el.querySelector('source').getAttribute('src'), type: el.querySelector('source').getAttribute('type'),
            controls: el.controls, duration: el.duration, width: el.videoWidth });
          return { audio: m(document.querySelector('audio')), video: m(document.querySelector('video')) };
        })()`);
      },
    });
    expect(report.status).to.equal(200);
    noProblems(report);
    expect(report.consoleErrors, 'console errors').to.deep.equal([]);
    const { audio, video } = report.result;
    expect(audio).to.include({ src: `${base}/iiif/content/wav1`, type: 'audio/wav', controls: true });
    expect(audio.duration).to.be.closeTo(1, 0.01);
    expect(video).to.include({ src: `${base}/iiif/content/vid1`, type: 'video/webm', controls: true });
    if (webm) expect(video.width).to.equal(160);
    else console.log('      (ffmpeg missing: the video element is checked, not its playback)');
  });

  it('denied: a plain 403 page without scripts or errors', async function () {
    const report = await openAndCollect(`${base}/view/denied1`, {
      browser,
      inspect: (page) => inPage(page, `({ h2: document.querySelector('main h2').textContent, scripts: document.scripts.length, lang: document.documentElement.lang })`),
    });
    expect(report.status).to.equal(403);
    noProblems(report);
    expect(report.result).to.deep.equal({ h2: 'Access restricted', scripts: 0, lang: 'en' });
  });
});
