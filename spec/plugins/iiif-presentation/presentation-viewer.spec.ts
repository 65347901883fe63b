// The viewer page of the real app in headless Chromium: Colophon itself listens on 127.0.0.1
// (server.baseUrl is that address, so every URL in the manifest leads back to it), content is
// made through the staff API, and the browser opens /view/{id}. For images, Mirador reads the
// manifest the iiif-presentation plugin built and OpenSeadragon asks the iiif-image plugin for
// info.json and image tiles rendered from the uploaded originals (no pyramid job runs). PDF and
// audio/video representations get their fallback pages, whose content comes from /iiif/content.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import type { Response } from 'supertest';
import { launchBrowser, openAndCollect, requireBrowser, type CollectedRequest, type PageReport } from '../../helpers/browser';
import { waitForThumbnail } from '../../helpers/inventory-helpers';
import { hasSharedData, sharedData } from '../../helpers/shared-data';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { onePagePdf } from '../../helpers/pdf-fixture';

/** A page image: a coloured field with a grid, large enough for OpenSeadragon to tile it. */
function pageImage(width: number, height: number, hue: number): Promise<Buffer> {
  const lines = Array.from({ length: 8 }, (_, i) => `<line x1="${(i * width) / 8}" y1="0" x2="${(i * width) / 8}" y2="${height}" stroke="#fff" stroke-width="6"/>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="hsl(${hue},65%,45%)"/>${lines}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 80 }).toBuffer();
}


const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** An image request of the Image API 3.0 (a tile, a size or the full image), not info.json. */
const IMAGE_REQUEST = new RegExp(`^/iiif/3/${UUID}/[^/]+/[^/]+/[^/]+/[a-z]+\\.(jpg|png|webp)$`);
/** A tile: an x,y,w,h region of an image. */
const TILE = new RegExp(`^/iiif/3/${UUID}/\\d+,\\d+,\\d+,\\d+/[^/]+/0/default\\.jpg$`);
const pathOf = (r: CollectedRequest): string => new URL(r.url).pathname;

function noPageProblems(report: PageReport<unknown>): void {
  expect(report.pageErrors, 'page errors').to.deep.equal([]);
  expect(report.cspViolations, 'CSP violations').to.deep.equal([]);
  // Mirador 4.0.0 itself logs one React 19 deprecation (element.ref), see viewer/viewer.spec.ts; anything else is ours.
  expect(report.consoleErrors.filter((m) => !/element\.ref was removed in React 19/.test(m)), 'console errors').to.deep.equal([]);
}

describe('iiif-presentation viewer page of the real app in headless Chromium', function () {
  this.timeout(180_000);
  let server: Server;
  let base: string;
  let t: TestApp;
  let browser: Browser;
  let key: string;
  const rep: Record<string, string> = {};
  const fileIds: Record<string, string[]> = {};
  const served: { path: string; status: number }[] = [];

  const auth = (): Record<string, string> => ({ Authorization: `Bearer ${key}` });
  async function ok(res: Response, status = 201): Promise<Record<string, unknown>> {
    expect(res.status, `${res.status} ${JSON.stringify(res.body)}`).to.equal(status);
    return res.body as Record<string, unknown>;
  }
  async function representation(title: string, label: string): Promise<string> {
    const tid = (await ok(await t.http.post('/api/v1/titles').set(auth()).type('application/json').send({ title, type: 'Text' }))).id as string;
    return (await ok(await t.http.post(`/api/v1/titles/${tid}/representations`).set(auth()).send({ usageType: 'primary', label }))).id as string;
  }
  async function upload(repId: string, data: Buffer, name: string, label: string): Promise<string> {
    const f = await ok(await t.http.post(`/api/v1/representations/${repId}/files`).set(auth()).field('label', label).attach('file', data, name));
    await waitForThumbnail(t, f.id as string);
    return f.id as string;
  }

  before(async function () {
    requireBrowser(this);
    // Listen first, so the base URL the app builds its documents with is the one the browser uses.
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t = await startTestApp({ config: { server: { baseUrl: base }, repository: { name: 'Viewer Spec Library' } } });
    // What the server answered, as it saw it (the browser reports no status for a request it cancels).
    const handle = t.app.callback();
    server.on('request', (req, res) => {
      // 'close', not 'finish': a media response still streaming when the page closes ends there.
      res.once('close', () => served.push({ path: req.url ?? '', status: res.statusCode }));
      void handle(req, res);
    });
    key = await t.key('general-system-administrator');

    rep.images = await representation('An atlas in three sheets', 'Scans');
    fileIds.images = [
      await upload(rep.images, await pageImage(1800, 1300, 10), 'sheet-1.jpg', 'Sheet 1'),
      await upload(rep.images, await pageImage(1600, 1200, 130), 'sheet-2.jpg', 'Sheet 2'),
      await upload(rep.images, await pageImage(1300, 1800, 230), 'sheet-3.jpg', 'Sheet 3'),
    ];
    rep.pdf = await representation('A printed report', 'PDF');
    fileIds.pdf = [await upload(rep.pdf, onePagePdf('Colophon viewer spec'), 'report.pdf', 'Report')];
    if (hasSharedData()) {
      rep.av = await representation('Recordings', 'Audio and video');
      fileIds.av = [
        await upload(rep.av, readFileSync(sharedData('docs', 'mdn-bear.mp3')), 'bear.mp3', 'Bear'),
        await upload(rep.av, readFileSync(sharedData('docs', 'mdn-rabbit320.webm')), 'rabbit.webm', 'Rabbit'),
      ];
    }
    browser = await launchBrowser();
  });

  after(async function () {
    await browser?.close();
    if (server) await new Promise<void>((r) => server.close(() => r()));
    await t?.close();
  });

  it('images: Mirador loads the manifest from the app, and tiles and other image requests under /iiif/3/ are answered 200, with no page errors', async () => {
    const report = await openAndCollect(`${base}/view/${rep.images}`, {
      browser,
      waitFor: {
        selector: '.mirador-window .openseadragon-canvas canvas',
        request: (r) => TILE.test(pathOf(r)) && r.status === 200,
        timeoutMs: 90_000,
      },
      inspect: async (page) => {
        await page.waitForLoadState('networkidle', { timeout: 30_000 }).catch(() => undefined);
        return { title: await page.title(), windowLabel: await page.locator('section.mirador-window').first().getAttribute('aria-label') };
      },
    });
    const seen = report.requests.map((r) => `${r.status ?? r.failure ?? '?'} ${r.url}`).join('\n');
    expect(report.waitSatisfied, `waited for a tile answered 200; requests:\n${seen}`).to.equal(true);
    expect(report.status).to.equal(200);
    noPageProblems(report);

    const manifest = report.requests.find((r) => r.url === `${base}/iiif/presentation/3/${rep.images}/manifest`);
    expect(manifest?.status, 'the manifest of the representation').to.equal(200);
    const infos = report.requests.filter((r) => /\/iiif\/3\/[^/]+\/info\.json$/.test(pathOf(r)));
    expect(infos.length, 'info.json requests').to.be.greaterThan(0);
    const images = report.requests.filter((r) => IMAGE_REQUEST.test(pathOf(r)));
    expect(images.length, 'image requests').to.be.greaterThan(0);
    const tiles = images.filter((r) => TILE.test(pathOf(r)));
    expect(tiles.length, 'tiles').to.be.greaterThan(0);
    for (const tile of tiles) expect(tile.status, tile.url).to.equal(200);
    // Everything the viewer asked of the image service succeeded, and it asked about our files only.
    for (const r of report.requests.filter((x) => pathOf(x).startsWith('/iiif/3/'))) {
      expect(r.status, r.url).to.equal(200);
      expect(fileIds.images, r.url).to.include(pathOf(r).split('/')[3]);
    }
    expect(report.requests.filter((r) => r.url.startsWith(base) && r.status !== null && r.status >= 400), 'no failed request to the app').to.deep.equal([]);
    expect(served.filter((r) => r.path.startsWith('/iiif/') && r.status >= 400), 'the server refused nothing under /iiif/').to.deep.equal([]);
    console.log(`      image requests: ${images.map((r) => pathOf(r).split('/').slice(4).join('/')).join(' ')}`);
    expect(report.result.windowLabel).to.contain('An atlas in three sheets');
    expect(report.result.title).to.contain('Viewer Spec Library');
  });

  it('pdf: the fallback page embeds the PDF, which the browser fetches from /iiif/content with 200', async () => {
    const content = `${base}/iiif/content/${fileIds.pdf?.[0] ?? '?'}`;
    const report = await openAndCollect(`${base}/view/${rep.pdf}`, {
      browser,
      waitFor: { request: (r) => r.url === content },
      inspect: (page) =>
        page.evaluate(`(() => {
          const o = document.querySelector('main object');
          return { data: o && o.getAttribute('data'), type: o && o.getAttribute('type'), scripts: document.scripts.length,
            links: [...document.querySelectorAll('main a')].map((a) => a.getAttribute('href')) };
        })()`) as Promise<{ data: string | null; type: string | null; scripts: number; links: string[] }>,
    });
    expect(report.status).to.equal(200);
    noPageProblems(report);
    expect(report.result).to.deep.include({ data: content, type: 'application/pdf', scripts: 0 });
    expect(report.result.links).to.include(content);
    expect(report.waitSatisfied, 'the browser requested the PDF').to.equal(true);
    expect(report.requests.filter((r) => r.url === content).map((r) => r.status)).to.include(200);
  });

  it('audio and video: the fallback page plays both from /iiif/content (metadata read through ranges), skipped without ../shared/data', async function () {
    if (!rep.av) {
      console.log('      (skipped: ../shared/data/docs is absent; no audio or video to upload)');
      this.skip();
    }
    const [audioId, videoId] = fileIds.av ?? [];
    const report = await openAndCollect(`${base}/view/${rep.av}`, {
      browser,
      waitFor: { selector: 'main video source' },
      inspect: async (page) => {
        await page.waitForFunction(`document.querySelector('audio').readyState >= 1 && document.querySelector('video').readyState >= 1`, undefined, { timeout: 30_000 });
        return (await page.evaluate(`(() => {
          const m = (el) => ({ src: el.querySelector('source').getAttribute('src'), type: el.querySelector('source').getAttribute('type'), duration: el.duration, width: el.videoWidth || 0 });
          return { audio: m(document.querySelector('audio')), video: m(document.querySelector('video')) };
        })()`)) as { audio: { src: string; type: string; duration: number }; video: { src: string; type: string; duration: number; width: number } };
      },
    });
    expect(report.status).to.equal(200);
    noPageProblems(report);
    const { audio, video } = report.result;
    expect(audio).to.include({ src: `${base}/iiif/content/${audioId ?? '?'}`, type: 'audio/mpeg' });
    expect(video).to.include({ src: `${base}/iiif/content/${videoId ?? '?'}`, type: 'video/webm', width: 320 });
    expect(audio.duration).to.be.greaterThan(1);
    expect(video.duration).to.be.greaterThan(1);
    // Media elements read a little, cancel and ask again with ranges; the server answered each
    // file, with 200 or 206 only.
    const answersFor = (id: string | undefined): number[] => served.filter((r) => r.path === `/iiif/content/${id ?? '?'}`).map((r) => r.status);
    // The page is closed now; its aborted responses report their close in a moment.
    for (let waited = 0; waited < 5000 && !(answersFor(audioId).length && answersFor(videoId).length); waited += 50) await new Promise((r) => setTimeout(r, 50));
    for (const id of [audioId, videoId]) {
      const answers = answersFor(id);
      expect(answers.length, `requests for ${id ?? '?'}`).to.be.greaterThan(0);
      for (const status of answers) expect(status).to.be.oneOf([200, 206]);
    }
  });

  it('an unknown representation: 404, no viewer', async () => {
    const report = await openAndCollect(`${base}/view/00000000-0000-4000-8000-000000000000`, { browser });
    expect(report.status).to.equal(404);
    expect(report.pageErrors).to.deep.equal([]);
  });
});
