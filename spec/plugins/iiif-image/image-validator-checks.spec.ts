// The checks of the official IIIF image-validator (github IIIF/image-validator,
// iiif_validator/tests/*.py), reproduced over real HTTP against the iiif-image plugin of a real
// app, for Image API 3.0 (/iiif/3) and 2.x (/iiif/2). None of its code is copied: each check
// below is written from what the validator asks and accepts, usually stricter (a fixed set of
// sizes and squares instead of a random draw, every square of a full image instead of 4 of 5).
//
// The image is the validator's own: 1000×1000 px, a 10×10 grid of uniform 100 px squares, each
// of a known colour; "do_test_square" crops the inside of a square (13 px in from its edges),
// takes the most frequent colour there and wants each channel within 5 of the truth. Two
// fixtures: the validator's PNG from ../shared/data (skipped when absent; its colours read from
// the file itself, which holds exactly the validator's table) and a grid of the same geometry
// this spec draws with colours of its own, so the suite means something without ../shared.
// Each runs from the pyramidal derivative and from the original (a derivative marked failed,
// as when the pyramid could not be made), since both paths serve images.
//
// Validator test → `it` below (level per version; "n/a": not a test of 2.0/3.0):
//   info_json L0 · jsonld L1 · baseurl_redirect L1 · cors L1
//   id_basic L0 · id_squares L0 · id_escaped L1 · id_error_random L1 · id_error_unescaped L1 ·
//   id_error_escapedslash L1
//   region_pixels L1 · region_percent L2 · region_square (3.0 L1; 2.x: the regionSquare we
//   declare) · region_error_random L1
//   size_wc L1 · size_ch L1 · size_wh (3.0 L1, 2.0 L2) · size_bwh L2 · size_percent (3.0 L2,
//   2.0 L1) · size_region L1 · size_error_random L1 · size_nofull (3.0 L0) · size_noup (3.0 L1)
//   rot_full_basic L2 · rot_region_basic L2 · rot_error_random L1
//   quality_color L2 · quality_grey L2 · quality_bitonal L2 · quality_error_random L1
//   format_jpg L0 · format_png L2 · format_error_random L1
//   Level 3, checked because info.json declares them: linkheader_canonical, linkheader_profile,
//   rot_mirror, rot_mirror_180, rot_full_non90, rot_region_non90, format_gif, format_tif,
//   format_webp, size_up (3.0: ^ sizes; ^max is bounded by maxArea, which the validator's own
//   comment admits it does not read; 2.x: sizeAboveFull). format_jp2 and format_pdf (L3) are
//   not offered: 400, as format_error_random wants for any unsupported format.
//   n/a: format_conneg (1.x only), info_xml (1.0 only).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { IiifDerivative } from '../../../plugins/iiif-image/entities/iiif-derivative.entity';
import { DERIVATIVE_JOB } from '../../../plugins/iiif-image/services/derivative-service';
import type { IiifImageState } from '../../../plugins/iiif-image/services/iiif-image-state';
import { hasSharedData, requireSharedData, sharedData } from '../../helpers/shared-data';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const BASE = 'http://colophon.test';
/** A maxArea above the image (1000² px) but low enough that ^max stays a modest render. */
const MAX_AREA = 1_500_000;
const VALIDATOR_PNG = sharedData('images', 'iiif-validator-67352ccc-d1b0-11e1-89ae-279075081939.png');

type Rgb = [number, number, number];
type Version = 2 | 3;
/** colours[x][y]: the square in column x, row y (the validator's colorInfo order). */
type Grid = Rgb[][];

interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Decoded {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
  format: string;
}

// ------------------------------------------------------------------ the test image

/** 100 colours from a fixed LCG, each at least 40 from every other in some channel. */
function ownGrid(): Grid {
  let seed = 0x1f2e3d4c;
  const next = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed >>> 24;
  };
  const picked: Rgb[] = [];
  while (picked.length < 100) {
    const c: Rgb = [next(), next(), next()];
    if (picked.every((p) => Math.max(Math.abs(p[0] - c[0]), Math.abs(p[1] - c[1]), Math.abs(p[2] - c[2])) >= 40)) picked.push(c);
  }
  return Array.from({ length: 10 }, (_, x) => Array.from({ length: 10 }, (_, y) => picked[x * 10 + y]));
}

/** The 1000×1000 grid as a PNG. */
async function gridPng(grid: Grid): Promise<Buffer> {
  const raw = Buffer.alloc(1000 * 1000 * 3);
  for (let y = 0; y < 1000; y++) {
    for (let x = 0; x < 1000; x++) raw.set(grid[Math.floor(x / 100)][Math.floor(y / 100)], (y * 1000 + x) * 3);
  }
  return sharp(raw, { raw: { width: 1000, height: 1000, channels: 3 } }).png().toBuffer();
}

/** The colours of a grid image, read at the centre of each square. */
async function gridOf(image: Buffer): Promise<Grid> {
  const img = await decode(image);
  expect([img.width, img.height]).to.deep.equal([1000, 1000]);
  return Array.from({ length: 10 }, (_, x) => Array.from({ length: 10 }, (_, y) => pixel(img, x * 100 + 50, y * 100 + 50)));
}

// ------------------------------------------------------------------ pixels

/** Decode any response image to 8-bit samples (palette and 1-bit images expanded). */
async function decode(body: Buffer): Promise<Decoded> {
  const meta = await sharp(body).metadata();
  const { data, info } = await sharp(body).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels, format: meta.format ?? '' };
}

function pixel(img: Decoded, x: number, y: number): Rgb {
  const i = (y * img.width + x) * img.channels;
  if (img.channels < 3) return [img.data[i], img.data[i], img.data[i]];
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

/** The most frequent colour inside [left, right) × [top, bottom) (do_test_square's getcolors()[0]). */
function dominant(img: Decoded, left: number, top: number, right: number, bottom: number): Rgb {
  const counts = new Map<number, number>();
  let best: Rgb = [0, 0, 0];
  let bestN = 0;
  for (let y = Math.max(0, top); y < Math.min(bottom, img.height); y++) {
    for (let x = Math.max(0, left); x < Math.min(right, img.width); x++) {
      const c = pixel(img, x, y);
      const k = (c[0] << 16) | (c[1] << 8) | c[2];
      const n = (counts.get(k) ?? 0) + 1;
      counts.set(k, n);
      if (n > bestN) [best, bestN] = [c, n];
    }
  }
  if (!bestN) throw new Error(`empty crop ${left},${top},${right},${bottom} of ${img.width}×${img.height}`);
  return best;
}

/** do_test_square: each channel within 5. */
function near(got: Rgb, want: Rgb, tolerance = 6): boolean {
  return got.every((v, i) => Math.abs(v - want[i]) < tolerance);
}

function expectColour(got: Rgb, want: Rgb, what: string): void {
  expect(near(got, want), `${what}: got rgb(${got.join(',')}), want rgb(${want.join(',')})`).to.equal(true);
}

/**
 * Every square of a scaled full image, cropped as the validator crops: square side sqw×sqh
 * (int(side/1000·100)), from 13 px in to the square's far edge.
 */
function expectAllSquares(img: Decoded, grid: Grid, sqw: number, sqh: number, what: string): void {
  const wrong: string[] = [];
  for (let x = 0; x < 10; x++) {
    for (let y = 0; y < 10; y++) {
      const got = dominant(img, x * sqw + 13, y * sqh + 13, x * sqw + sqw, y * sqh + sqh);
      if (!near(got, grid[x][y])) wrong.push(`${x},${y}: rgb(${got.join(',')}) not rgb(${grid[x][y].join(',')})`);
    }
  }
  expect(wrong, `${what}: squares of the wrong colour`).to.deep.equal([]);
}

/** Link header → { rel: uri } (rel values lower-cased; enough for the <uri>;rel="x" lists served). */
function links(header: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of String(header ?? '').split(/,\s*(?=<)/)) {
    const m = /^\s*<([^>]*)>\s*((?:;\s*[^;]+)*)$/.exec(part);
    if (!m) continue;
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(m[2])?.[1];
    for (const r of rel?.toLowerCase().split(/\s+/) ?? []) out[r] = m[1];
  }
  return out;
}

// ------------------------------------------------------------------ the checks

/** Squares the per-square checks visit: the four corners (mirroring and rotation show there) and some inside. */
const SQUARES: [number, number][] = [
  [0, 0],
  [9, 0],
  [0, 9],
  [9, 9],
  [3, 7],
  [6, 2],
];

/** Fixed strings of the validator's alphabet (chr 48–122, with ? # / made $) for the *_error_random checks. */
const RANDOM = ['H6[zQ`', ':;<=>@', 'W$u]9o', 'a_^Zk3', 'pct:zz', '1e3,x'];

describe('iiif-image: the IIIF image-validator checks over HTTP', function () {
  this.timeout(180_000);
  let t: TestApp;
  let server: Server;
  let port: number;
  let op: string;
  let state: IiifImageState;
  const own = ownGrid();
  const fixtures: { name: string; grid: Grid; pyramid: string; original: string; shared: boolean }[] = [];

  /** GET (or another method) with the validator's browser-like headers, the path sent as is. */
  function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Res> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          method,
          headers: { Origin: 'http://iiif.io/', Referer: 'http://iiif.io/api/image/validator', ...headers },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  async function image(path: string): Promise<Decoded> {
    const res = await get(path);
    expect(res.status, `${path}: ${res.body.toString('utf8', 0, 200)}`).to.equal(200);
    return decode(res.body);
  }

  async function upload(name: string, body: Buffer): Promise<string> {
    const auth = { Authorization: `Bearer ${op}` };
    const title = await t.http.post('/api/v1/titles').set(auth).type('application/json').send({ title: name });
    expect(title.status, JSON.stringify(title.body)).to.equal(201);
    const rep = await t.http.post(`/api/v1/titles/${title.body.id as string}/representations`).set(auth).send({ usageType: 'primary', label: name });
    expect(rep.status, JSON.stringify(rep.body)).to.equal(201);
    const file = await t.http.post(`/api/v1/representations/${rep.body.id as string}/files`).set(auth).attach('file', body, `${name}.png`);
    expect(file.status, JSON.stringify(file.body)).to.equal(201);
    return file.body.id as string;
  }

  /** Wait until the derivative job has dealt with every file (it starts after each ingest; run it too). */
  async function waitForPyramids(ids: string[]): Promise<void> {
    const until = Date.now() + 120_000;
    for (;;) {
      const states = await Promise.all(
        ids.map(async (id) => (await t.http.get(`/api/v1/files/${id}/iiif-derivative`).set({ Authorization: `Bearer ${op}` })).body.status as string),
      );
      if (states.every((s) => s !== 'pending')) {
        expect(states).to.deep.equal(ids.map(() => 'ready'));
        return;
      }
      if (Date.now() > until) throw new Error(`pyramids still pending: ${states.join(', ')}`);
      // 409 while the run the ingest started is under way: then just wait for it.
      await t.app.scheduler.runNow(DERIVATIVE_JOB).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Serve a file from its original, as when its pyramid could not be made (the job leaves it alone). */
  async function withoutPyramid(id: string): Promise<void> {
    await t.app.ds.getRepository(IiifDerivative).update({ fileId: id }, { status: 'failed', error: 'spec: serve from the original' });
    state.files.forget(id);
    await state.cache?.invalidateFile(id);
  }

  before(async function () {
    t = await startTestApp({ config: { server: { baseUrl: BASE }, plugins: { settings: { 'iiif-image': { maxArea: MAX_AREA } } } } });
    op = await t.key('digital-inventory-operator');
    const s = t.app.host.service<IiifImageState>('iiif-image');
    if (!s) throw new Error('iiif-image service missing');
    state = s;
    server = createServer(t.app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;

    const png = await gridPng(own);
    const ids = [await upload('own grid (pyramid)', png), await upload('own grid (original)', png)];
    fixtures.push({ name: 'a grid drawn by this spec', grid: own, pyramid: ids[0], original: ids[1], shared: false });
    if (hasSharedData()) {
      const validator = readFileSync(VALIDATOR_PNG);
      const vids = [await upload('validator (pyramid)', validator), await upload('validator (original)', validator)];
      ids.push(...vids);
      fixtures.push({ name: 'the validator image (../shared/data)', grid: await gridOf(validator), pyramid: vids[0], original: vids[1], shared: true });
    }
    await waitForPyramids(ids);
    for (const f of fixtures) await withoutPyramid(f.original);
  });

  after(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await t?.close();
  });

  it('the spec\'s own grid has 100 distinct colours the validator tolerance tells apart', () => {
    const all = own.flat();
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) expect(near(all[i], all[j], 40), `${i} ~ ${j}`).to.equal(false);
  });

  it('serves the validator image (skipped without ../shared/data)', function () {
    requireSharedData(this);
    expect(fixtures.map((f) => f.shared)).to.deep.equal([false, true]);
  });

  for (const fi of [0, 1]) {
    for (const source of ['pyramid', 'original'] as const) {
      for (const v of [3, 2] as Version[]) {
        describe(`${fi === 0 ? 'own grid' : 'validator image'} from the ${source}, Image API ${v === 3 ? '3.0' : '2.x'}`, function () {
          let grid: Grid;
          let id: string;
          const max = v === 3 ? 'max' : 'full';
          const svc = (): string => `/iiif/${v}/${id}`;
          const url = (p: { region?: string; size?: string; rotation?: string; quality?: string; format?: string; identifier?: string } = {}): string =>
            `/iiif/${v}/${p.identifier ?? id}/${p.region ?? 'full'}/${p.size ?? max}/${p.rotation ?? '0'}/${p.quality ?? 'default'}.${p.format ?? 'jpg'}`;

          before(function () {
            const f = fixtures[fi];
            if (!f) {
              requireSharedData(this);
              this.skip();
            }
            grid = f.grid;
            id = f[source];
          });

          // ------------------------------------------------------------ information, HTTP

          it('info_json: the image information the validator requires', async () => {
            const res = await get(`${svc()}/info.json`);
            expect(res.status).to.equal(200);
            expect(String(res.headers['content-type'])).to.match(/^application\/(ld\+)?json/);
            const info = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
            expect(info.width).to.equal(1000);
            expect(info.height).to.equal(1000);
            const idField = v === 3 ? 'id' : '@id';
            expect(info[idField], 'id is the request URI without /info.json').to.equal(`${BASE}${svc()}`);
            expect(info.protocol).to.equal('http://iiif.io/api/image');
            if (v === 3) {
              const ctx = info['@context'];
              expect(Array.isArray(ctx) ? ctx : [ctx]).to.include('http://iiif.io/api/image/3/context.json');
              expect(info.profile).to.be.oneOf(['level0', 'level1', 'level2']);
              expect(info.type).to.equal('ImageService3');
              expect(info, 'license is rights in 3.0 (a warning)').not.to.have.property('license');
              expect(info).not.to.have.property('attribution');
              expect(info).not.to.have.property('logo');
              if ('rights' in info) expect(String(info.rights)).to.match(/^http/);
              for (const k of ['extraQualities', 'extraFormats', 'extraFeatures']) if (k in info) expect(info[k], k).to.be.an('array');
              for (const k of ['service', 'partOf', 'seeAlso']) {
                if (!(k in info)) continue;
                expect(info[k], k).to.be.an('array');
                for (const item of info[k] as Record<string, unknown>[]) {
                  expect(item).to.be.an('object');
                  expect('id' in item || '@id' in item, `${k} item has an id`).to.equal(true);
                  expect('type' in item || '@type' in item, `${k} item has a type`).to.equal(true);
                }
              }
            } else {
              expect(info['@context']).to.equal('http://iiif.io/api/image/2/context.json');
              expect(info.profile).to.be.an('array');
              expect(String((info.profile as unknown[])[0])).to.match(/^http:\/\/iiif\.io\/api\/image\/2\/level/);
            }
            expect(info.sizes).to.be.an('array');
            for (const s of info.sizes as Record<string, unknown>[]) {
              expect(Number.isInteger(s.width) && Number.isInteger(s.height), JSON.stringify(s)).to.equal(true);
            }
            expect(info.tiles).to.be.an('array');
            for (const tile of info.tiles as Record<string, unknown>[]) {
              expect(tile).to.have.property('scaleFactors');
              expect(Number.isInteger(tile.width)).to.equal(true);
            }
          });

          it('jsonld: Accept: application/ld+json gets application/ld+json', async () => {
            const res = await get(`${svc()}/info.json`, { Accept: 'application/ld+json' });
            expect(res.status).to.equal(200);
            expect(String(res.headers['content-type'])).to.match(/^application\/ld\+json/);
          });

          it('baseurl_redirect: the base URI redirects to info.json', async () => {
            const res = await get(svc());
            expect(res.status).to.equal(303);
            expect(res.headers.location).to.equal(`${BASE}${svc()}/info.json`);
          });

          it('cors: Access-Control-Allow-Origin: * on info.json', async () => {
            const res = await get(`${svc()}/info.json`);
            expect(res.headers['access-control-allow-origin']).to.equal('*');
          });

          // ------------------------------------------------------------ identifiers

          it('id_basic: the image is returned', async () => {
            const img = await image(url());
            expect([img.width, img.height]).to.deep.equal([1000, 1000]);
          });

          it('id_squares: the right image (every square of the full image)', async () => {
            const img = await image(url({ format: 'jpg' }));
            expectAllSquares(img, grid, 100, 100, 'full image');
          });

          it('id_escaped: an escaped identifier (- as %2D) is the same image', async () => {
            const escaped = id.replace(/-/g, '%2D');
            expect(escaped).not.to.equal(id);
            const img = await image(url({ identifier: escaped }));
            expectColour(dominant(img, 13, 13, 87, 87), grid[0][0], 'square 0,0');
          });

          it('id_error_random: an unknown identifier is 404', async () => {
            for (const unknown of ['7f1c2a9e-1d2b-11ef-9c8e-0242ac120002', 'no-such-image']) {
              expect((await get(url({ identifier: unknown }))).status, unknown).to.equal(404);
            }
          });

          it('id_error_unescaped: an unescaped [frob] is 400 or 404', async () => {
            expect((await get(url({ identifier: '[frob]' }))).status).to.be.oneOf([400, 404]);
          });

          it('id_error_escapedslash: an identifier with an unescaped / is 404', async () => {
            expect((await get(url({ identifier: 'a/b' }))).status).to.equal(404);
            expect((await get(url({ identifier: `${id}/b` }))).status).to.equal(404);
          });

          // ------------------------------------------------------------ region

          it('region_pixels: x,y,w,h inside a square is that square', async () => {
            for (const [x, y] of SQUARES) {
              const img = await image(url({ region: `${x * 100 + 13},${y * 100 + 13},74,74` }));
              expect([img.width, img.height]).to.deep.equal([74, 74]);
              expectColour(dominant(img, 0, 0, img.width, img.height), grid[x][y], `square ${x},${y}`);
            }
          });

          it('region_percent: pct:x,y,9,9 inside a square is that square', async () => {
            for (const [x, y] of SQUARES) {
              const img = await image(url({ region: `pct:${x * 10 + 1},${y * 10 + 1},9,9` }));
              expect([img.width, img.height]).to.deep.equal([90, 90]);
              expectColour(dominant(img, 0, 0, img.width, img.height), grid[x][y], `square ${x},${y}`);
            }
          });

          it('region_square: square is the whole (square) image, width = height', async () => {
            const img = await image(url({ region: 'square' }));
            expect(img.width).to.equal(img.height);
            expectAllSquares(img, grid, 100, 100, 'square region');
          });

          it('region_error_random: a malformed region is 400', async () => {
            for (const r of RANDOM) expect((await get(url({ region: r }))).status, r).to.equal(400);
          });

          // ------------------------------------------------------------ size

          it('size_wc: w, gives w×w with every square in place', async () => {
            for (const s of [450, 601, 750]) {
              const img = await image(url({ size: `${s},` }));
              expect([img.width, img.height]).to.deep.equal([s, s]);
              expectAllSquares(img, grid, Math.floor(s / 10), Math.floor(s / 10), `${s},`);
            }
          });

          it('size_ch: ,h gives h×h with every square in place', async () => {
            for (const s of [450, 599, 750]) {
              const img = await image(url({ size: `,${s}` }));
              expect([img.width, img.height]).to.deep.equal([s, s]);
              expectAllSquares(img, grid, Math.floor(s / 10), Math.floor(s / 10), `,${s}`);
            }
          });

          it('size_wh: w,h distorts to exactly w×h', async () => {
            for (const [w, h] of [
              [350, 750],
              [611, 404],
            ]) {
              const img = await image(url({ size: `${w},${h}` }));
              expect([img.width, img.height]).to.deep.equal([w, h]);
              expectAllSquares(img, grid, Math.floor(w / 10), Math.floor(h / 10), `${w},${h}`);
            }
          });

          it('size_bwh: !w,h fits the square image into the box', async () => {
            for (const [w, h] of [
              [350, 750],
              [700, 530],
            ]) {
              const s = Math.min(w, h);
              const img = await image(url({ size: `!${w},${h}` }));
              expect([img.width, img.height]).to.deep.equal([s, s]);
              expectAllSquares(img, grid, Math.floor(s / 10), Math.floor(s / 10), `!${w},${h}`);
            }
          });

          it('size_percent: pct:n gives n·10 px', async () => {
            for (const n of [45, 62, 75]) {
              const img = await image(url({ size: `pct:${n}` }));
              expect([img.width, img.height]).to.deep.equal([n * 10, n * 10]);
              expectAllSquares(img, grid, n, n, `pct:${n}`);
            }
          });

          it('size_region: a square region at s,s is s×s of that square', async () => {
            for (const [s, x, y] of [
              [35, 0, 0],
              [61, 9, 9],
              [90, 4, 7],
            ]) {
              const img = await image(url({ region: `${x * 100},${y * 100},100,100`, size: `${s},${s}` }));
              expect([img.width, img.height]).to.deep.equal([s, s]);
              expectColour(dominant(img, 0, 0, s, s), grid[x][y], `square ${x},${y} at ${s}`);
            }
          });

          it('size_error_random: a malformed size is 400', async () => {
            for (const s of RANDOM) expect((await get(url({ size: s }))).status, s).to.equal(400);
          });

          if (v === 3) {
            it('size_nofull: 3.0 has max, not full', async () => {
              expect((await get(url({ size: 'full' }))).status).not.to.equal(200);
            });

            it('size_noup: 3.0 sizes above the region need ^ (else 400)', async () => {
              for (const s of ['1500,1500', ',1100', '2000,', 'pct:200', '!2000,3000']) {
                expect((await get(url({ size: s }))).status, s).to.equal(400);
              }
            });

            it('size_up (level 3): ^ sizes upscale; ^max is the largest size the limits allow', async () => {
              expect((await get(url({ size: ',1200' }))).status).to.equal(400);
              for (const [size, side] of [
                ['^1200,1200', 1200],
                ['^,1200', 1200],
                ['^1200,', 1200],
                ['^pct:120', 1200],
                ['^!2000,500', 500],
                ['^!1200,3000', 1200],
              ] as const) {
                const img = await image(url({ size }));
                expect([img.width, img.height], size).to.deep.equal([side, side]);
                expectAllSquares(img, grid, side / 10, side / 10, size);
              }
              // ^max: the validator wants 1000×1000, which is only right without limits.
              const info = JSON.parse((await get(`${svc()}/info.json`)).body.toString('utf8')) as { maxWidth: number; maxArea: number };
              expect(info.maxArea).to.equal(MAX_AREA);
              const img = await image(url({ size: '^max' }));
              expect(img.width).to.equal(img.height);
              expect(img.width * img.height).to.be.at.most(MAX_AREA);
              expect(img.width).to.be.at.least(Math.floor(Math.sqrt(MAX_AREA)) - 1);
              expectAllSquares(img, grid, Math.floor(img.width / 10), Math.floor(img.width / 10), '^max');
            });
          } else {
            it('size_up (level 3): 2.x sizes may exceed the region (sizeAboveFull)', async () => {
              const img = await image(url({ size: ',1200' }));
              expect([img.width, img.height]).to.deep.equal([1200, 1200]);
              expectAllSquares(img, grid, 120, 120, ',1200');
            });
          }

          // ------------------------------------------------------------ rotation

          it('rot_full_basic: 180, 90 and 270 move the corner squares', async () => {
            const cases: [string, [number, number], [number, number]][] = [
              ['180', [9, 9], [0, 0]],
              ['90', [0, 9], [9, 0]],
              ['270', [9, 0], [0, 9]],
            ];
            for (const [rotation, topLeft, bottomRight] of cases) {
              const img = await image(url({ rotation }));
              expect(img.width).to.be.within(999, 1001);
              expectColour(dominant(img, 12, 12, 76, 76), grid[topLeft[0]][topLeft[1]], `${rotation}: top left`);
              expectColour(dominant(img, 912, 912, 976, 976), grid[bottomRight[0]][bottomRight[1]], `${rotation}: bottom right`);
            }
          });

          it('rot_region_basic: a region inside a square rotated by 180 is that square', async () => {
            for (const [x, y] of SQUARES) {
              const img = await image(url({ region: `${x * 100 + 13},${y * 100 + 13},76,76`, rotation: '180' }));
              expect(img.width).to.be.within(75, 77);
              expectColour(dominant(img, 0, 0, img.width, img.height), grid[x][y], `square ${x},${y}`);
            }
          });

          it('rot_error_random: a malformed rotation is 400', async () => {
            for (const r of [...RANDOM.slice(0, 4), '-90', '361', '+90']) expect((await get(url({ rotation: r }))).status, r).to.equal(400);
          });

          it('rot_mirror and rot_mirror_180 (level 3): !0 and !180', async () => {
            const mirrored = await image(url({ rotation: '!0' }));
            expectColour(dominant(mirrored, 12, 12, 76, 76), grid[9][0], '!0: top left');
            expectColour(dominant(mirrored, 912, 912, 976, 976), grid[0][9], '!0: bottom right');
            const flipped = await image(url({ rotation: '!180' }));
            expectColour(dominant(flipped, 12, 12, 76, 76), grid[0][9], '!180: top left');
            expectColour(dominant(flipped, 912, 912, 976, 976), grid[9][0], '!180: bottom right');
          });

          it('rot_full_non90 (level 3): the bounding box, each square where the rotation puts it', async () => {
            for (const deg of [30, 135]) {
              const img = await image(url({ rotation: String(deg), size: '500,' }));
              const r = (deg * Math.PI) / 180;
              const side = 500 * (Math.abs(Math.cos(r)) + Math.abs(Math.sin(r)));
              expect(img.width, `${deg}°`).to.be.within(Math.floor(side) - 1, Math.ceil(side) + 1);
              expect(img.height, `${deg}°`).to.be.within(Math.floor(side) - 1, Math.ceil(side) + 1);
              for (const [x, y] of SQUARES) {
                // The square's centre, relative to the image centre, turned clockwise (y points down).
                const px = (x * 100 + 50 - 500) / 2;
                const py = (y * 100 + 50 - 500) / 2;
                const qx = Math.round(img.width / 2 + px * Math.cos(r) - py * Math.sin(r));
                const qy = Math.round(img.height / 2 + px * Math.sin(r) + py * Math.cos(r));
                expectColour(dominant(img, qx - 6, qy - 6, qx + 7, qy + 7), grid[x][y], `${deg}°: square ${x},${y} at ${qx},${qy}`);
              }
              // Outside the turned image: JPEG has no transparency, so white.
              expect(near(pixel(img, 2, 2), [255, 255, 255], 12), `${deg}°: corner is background`).to.equal(true);
            }
          });

          it('rot_region_non90 (level 3): a one-square region turned keeps its colour in the middle', async () => {
            for (const [x, y] of SQUARES.slice(0, 3)) {
              const img = await image(url({ region: `${x * 100},${y * 100},100,100`, rotation: '45' }));
              expect(img.width).to.be.within(140, 143);
              expectColour(dominant(img, img.width / 2 - 20, img.height / 2 - 20, img.width / 2 + 20, img.height / 2 + 20), grid[x][y], `square ${x},${y}`);
            }
          });

          // ------------------------------------------------------------ quality

          it('quality_color: colour (RGB) output', async () => {
            const img = await image(url({ quality: 'color' }));
            expect(img.channels).to.equal(3);
            expectAllSquares(img, grid, 100, 100, 'color');
          });

          it('quality_grey: gray output (one channel; every pixel grey)', async () => {
            const res = await get(url({ quality: 'gray' }));
            expect(res.status).to.equal(200);
            expect((await sharp(res.body).metadata()).channels, 'the validator accepts mode L outright').to.equal(1);
            const img = await decode(res.body);
            let grey = 0;
            for (let y = 0; y < img.height; y++) {
              for (let x = 0; x < img.width; x++) {
                const [r, g, b] = pixel(img, x, y);
                if (Math.abs(r - g) < 5 && Math.abs(g - b) < 5) grey++;
              }
            }
            expect(grey).to.be.greaterThan(650_000);
          });

          it('quality_bitonal: black and white output', async () => {
            for (const format of ['jpg', 'png']) {
              const res = await get(url({ quality: 'bitonal', format }));
              expect(res.status).to.equal(200);
              const img = await decode(res.body);
              let bw = 0;
              for (let y = 0; y < img.height; y++) {
                for (let x = 0; x < img.width; x++) {
                  const [r, g, b] = pixel(img, x, y);
                  if (r + g + b < 15 || r + g + b > 750) bw++;
                }
              }
              // The validator accepts any one-channel image; every pixel black or white is what bitonal means.
              expect(bw, format).to.be.greaterThan(format === 'png' ? 999_999 : 650_000);
            }
          });

          it('quality_error_random: an unknown quality is 400', async () => {
            for (const q of [...RANDOM.slice(0, 4), 'native', 'grey']) expect((await get(url({ quality: q }))).status, q).to.equal(400);
          });

          // ------------------------------------------------------------ format

          it('format_jpg and format_png: JPEG and PNG', async () => {
            expect((await image(url({ format: 'jpg' }))).format).to.equal('jpeg');
            const png = await image(url({ format: 'png' }));
            expect(png.format).to.equal('png');
            expectAllSquares(png, grid, 100, 100, 'png');
          });

          it('format_gif, format_tif, format_webp (level 3): the extra formats declared', async () => {
            expect((await image(url({ format: 'gif', size: '200,' }))).format).to.equal('gif');
            expect((await image(url({ format: 'tif', size: '200,' }))).format).to.equal('tiff');
            const webp = await get(url({ format: 'webp', size: '200,' }));
            expect(webp.status).to.equal(200);
            expect(webp.body.toString('latin1', 8, 12)).to.equal('WEBP');
          });

          it('format_error_random: an unknown format is 400 (so are jp2 and pdf, not offered)', async () => {
            for (const f of ['H6[', 'zz9', 'jp2', 'pdf']) expect((await get(url({ format: f }))).status, f).to.be.oneOf([400, 415, 503]);
          });

          // ------------------------------------------------------------ link headers

          it('linkheader_canonical and linkheader_profile (level 3)', async () => {
            const res = await get(url({ size: v === 3 ? 'max' : 'full' }));
            expect(res.status).to.equal(200);
            const l = links(res.headers.link);
            expect(l.canonical, String(res.headers.link)).to.equal(`${BASE}${url()}`);
            expect(l.profile).to.match(v === 3 ? /^http:\/\/iiif\.io\/api\/image\/3\// : /^http:\/\/iiif\.io\/api\/image\/2\//);
          });
        });
      }
    }
  }
});
