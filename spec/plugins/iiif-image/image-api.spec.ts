// The IIIF Image API routes over real HTTP, for what the official validator does not look at:
// CORS on errors and preflights, HEAD, link headers, info.json media types and feature names,
// declared and enforced size limits, conditional requests, EXIF orientation, JPEG 2000 and
// other awkward sources (../shared/data/images, skipped when absent), decompression bombs,
// deleted files, pyramid against original rendering, the stored-tile fast path and the
// rendered-response cache. (The validator's own checks: image-validator-checks.spec.ts.)
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { Response } from 'supertest';
import { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import { IiifDerivative } from '../../../plugins/iiif-image/entities/iiif-derivative.entity';
import { openPyramid, rawJpegTile } from '../../../plugins/iiif-image/render';
import { DERIVATIVE_JOB } from '../../../plugins/iiif-image/services/derivative-service';
import type { IiifImageState } from '../../../plugins/iiif-image/services/iiif-image-state';
import { hasSharedData, requireSharedData, sharedData } from '../../helpers/shared-data';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const BASE = 'http://colophon.test';
const ORIGIN = 'https://viewer.example.org';
const LIMITS = { maxWidth: 3000, maxHeight: 3000, maxArea: 4_000_000 };
/** The photo: 2100×1100, four full 512 px tile columns and two rows at level 0, two columns at level 1. */
const PW = 2100;
const PH = 1100;

/** The 3.0 feature names (Image 3.0 §5.6); the rest of 2.1's table was dropped or renamed. */
const FEATURES_3 = [
  'baseUriRedirect', 'canonicalLinkHeader', 'cors', 'jsonldMediaType', 'mirroring', 'profileLinkHeader', 'regionByPct', 'regionByPx',
  'regionSquare', 'rotationArbitrary', 'rotationBy90s', 'sizeByConfinedWh', 'sizeByH', 'sizeByPct', 'sizeByW', 'sizeByWh', 'sizeUpscaling',
];
const ONLY_2X = ['sizeAboveFull', 'sizeByDistortedWh', 'sizeByForcedWh', 'sizeByWhListed'];

type Rgb = [number, number, number];

interface Raw {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

/** A supertest parser that keeps the body as bytes whatever its type. */
function bytes(res: Response, cb: (err: Error | null, body: Buffer) => void): void {
  const parts: Buffer[] = [];
  res.on('data', (c: Buffer) => parts.push(c));
  res.on('end', () => cb(null, Buffer.concat(parts)));
  res.on('error', (err: Error) => cb(err, Buffer.alloc(0)));
}

async function raw(body: Buffer): Promise<Raw> {
  const { data, info } = await sharp(body).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

function px(img: Raw, x: number, y: number): Rgb {
  const i = (y * img.width + x) * img.channels;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

/** Mean of a small box around (x, y). */
function meanAt(img: Raw, x: number, y: number, r = 3): Rgb {
  const sum = [0, 0, 0];
  let n = 0;
  for (let j = Math.max(0, y - r); j <= Math.min(img.height - 1, y + r); j++) {
    for (let i = Math.max(0, x - r); i <= Math.min(img.width - 1, x + r); i++) {
      const c = px(img, i, j);
      for (let k = 0; k < 3; k++) sum[k] += c[k];
      n++;
    }
  }
  return sum.map((s) => Math.round(s / n)) as Rgb;
}

function close(a: Rgb, b: Rgb, tolerance = 40): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) <= tolerance);
}

/** Mean absolute difference of two same-sized images, per sample. */
function meanDiff(a: Raw, b: Raw): number {
  expect([a.width, a.height]).to.deep.equal([b.width, b.height]);
  let sum = 0;
  for (let i = 0; i < a.width * a.height; i++) {
    for (let k = 0; k < 3; k++) sum += Math.abs(a.data[i * a.channels + k] - b.data[i * b.channels + k]);
  }
  return sum / (a.width * a.height * 3);
}

/**
 * Where EXIF orientation n puts stored pixel (x, y) of a w×h image in the upright image
 * (TIFF 6.0 Orientation; 5–8 swap the sides). Written out here, not taken from a library.
 */
function upright(n: number, x: number, y: number, w: number, h: number): [number, number] {
  switch (n) {
    case 2: return [w - 1 - x, y];
    case 3: return [w - 1 - x, h - 1 - y];
    case 4: return [x, h - 1 - y];
    case 5: return [y, x];
    case 6: return [h - 1 - y, x];
    case 7: return [h - 1 - y, w - 1 - x];
    case 8: return [y, w - 1 - x];
    default: return [x, y];
  }
}

/** Stored pixels turned upright by the table above. */
function orientRaw(img: Raw, n: number): Raw {
  const swap = n >= 5;
  const width = swap ? img.height : img.width;
  const height = swap ? img.width : img.height;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const [ux, uy] = upright(n, x, y, img.width, img.height);
      data.set(px(img, x, y), (uy * width + ux) * 3);
    }
  }
  return { data, width, height, channels: 3 };
}

/**
 * Width and height from the SIZ segment of a JPEG 2000 codestream (SOC FF4F, SIZ FF51), bare
 * or inside a JP2/JPX box (sharp does not read JPEG 2000 here): Xsiz − XOsiz, Ysiz − YOsiz.
 */
function jp2Size(buf: Buffer): { width: number; height: number } {
  const i = buf.indexOf(Buffer.from([0xff, 0x4f, 0xff, 0x51]));
  if (i < 0) throw new Error('no JPEG 2000 codestream');
  const siz = i + 2;
  return { width: buf.readUInt32BE(siz + 6) - buf.readUInt32BE(siz + 14), height: buf.readUInt32BE(siz + 10) - buf.readUInt32BE(siz + 18) };
}

/** A PNG whose header claims 100 000 × 100 000 px (10 gigapixels) over a few kB of data: a decompression bomb. */
function bombPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer): number => {
    let c = 0xffffffff;
    for (const v of b) c = crcTable[(c ^ v) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(crc(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, tail]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100_000, 0);
  ihdr.writeUInt32BE(100_000, 4);
  ihdr[8] = 1; // 1-bit grey
  const rows = Buffer.alloc(200 * (1 + 12_500));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** The photo: a smooth colour field with four coloured blocks (no flat areas, so tiles differ). */
async function photo(): Promise<Buffer> {
  const data = Buffer.alloc(PW * PH * 3);
  for (let y = 0; y < PH; y++) {
    for (let x = 0; x < PW; x++) data.set([Math.round((x / PW) * 200) + 20, Math.round((y / PH) * 200) + 20, 128], (y * PW + x) * 3);
  }
  const block = (r: number, g: number, b: number, left: number, top: number): sharp.OverlayOptions => ({
    input: { create: { width: 150, height: 150, channels: 3, background: { r, g, b } } },
    left,
    top,
  });
  return sharp(data, { raw: { width: PW, height: PH, channels: 3 } })
    .composite([block(250, 20, 20, 0, 0), block(20, 250, 20, PW - 150, 0), block(20, 20, 250, 0, PH - 150), block(250, 250, 20, PW - 150, PH - 150)])
    .jpeg({ quality: 92 })
    .toBuffer();
}

/** A 120×80 JPEG stored as is with EXIF orientation n: red block at the stored top left, green at the stored top right. */
function oriented(n: number): Promise<Buffer> {
  return sharp({ create: { width: 120, height: 80, channels: 3, background: { r: 30, g: 30, b: 200 } } })
    .composite([
      { input: { create: { width: 30, height: 20, channels: 3, background: { r: 240, g: 20, b: 20 } } }, left: 0, top: 0 },
      { input: { create: { width: 30, height: 20, channels: 3, background: { r: 20, g: 230, b: 20 } } }, left: 90, top: 0 },
    ])
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: n })
    .toBuffer();
}

describe('iiif-image: Image API over HTTP beyond the validator', function () {
  this.timeout(180_000);
  let t: TestApp;
  let http: TestApp['http'];
  let op: string;
  let ext: string;
  let admin: string;
  let state: IiifImageState;
  const ids: Record<string, string> = {};
  const edge: { name: string; id: string; width: number; height: number; orientation: number; body: Buffer }[] = [];
  const jp2s: { name: string; id: string; width: number; height: number }[] = [];
  const auth = (k: string): Record<string, string> => ({ Authorization: `Bearer ${k}` });

  function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return http.get(path).set(headers).buffer(true).parse(bytes);
  }

  async function upload(name: string, body: Buffer): Promise<{ id: string; repId: string }> {
    const title = await http.post('/api/v1/titles').set(auth(op)).type('application/json').send({ title: name });
    expect(title.status, JSON.stringify(title.body)).to.equal(201);
    const rep = await http.post(`/api/v1/titles/${title.body.id as string}/representations`).set(auth(op)).send({ usageType: 'primary', label: name });
    expect(rep.status, JSON.stringify(rep.body)).to.equal(201);
    const file = await http.post(`/api/v1/representations/${rep.body.id as string}/files`).set(auth(op)).attach('file', body, name);
    expect(file.status, `${name}: ${JSON.stringify(file.body)}`).to.equal(201);
    return { id: file.body.id as string, repId: rep.body.id as string };
  }

  async function derivativeStatus(id: string): Promise<string> {
    return (await http.get(`/api/v1/files/${id}/iiif-derivative`).set(auth(op))).body.status as string;
  }

  /** Wait until the derivative job has dealt with these files (it starts after each ingest; run it too). */
  async function waitForPyramids(list: string[]): Promise<Record<string, string>> {
    const until = Date.now() + 150_000;
    for (;;) {
      const states = await Promise.all(list.map(derivativeStatus));
      if (states.every((s) => s !== 'pending')) return Object.fromEntries(list.map((id, i) => [id, states[i]]));
      if (Date.now() > until) throw new Error(`pyramids still pending: ${states.join(', ')}`);
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

  /** Serve it from its pyramid again. */
  async function withPyramid(id: string): Promise<void> {
    await t.app.ds.getRepository(IiifDerivative).update({ fileId: id }, { status: 'ready', error: null });
    state.files.forget(id);
  }

  async function info(v: 2 | 3, id: string): Promise<Record<string, unknown>> {
    const res = await get(`/iiif/${v}/${id}/info.json`);
    expect(res.status, `${id}: ${String(res.body)}`).to.equal(200);
    return JSON.parse((res.body as Buffer).toString('utf8')) as Record<string, unknown>;
  }

  async function image(path: string): Promise<Raw> {
    const res = await get(path);
    expect(res.status, `${path}: ${(res.body as Buffer).toString('utf8', 0, 300)}`).to.equal(200);
    return raw(res.body as Buffer);
  }

  async function cacheStats(): Promise<{ hits: number; misses: number; puts: number }> {
    const res = await http.get('/api/v1/iiif-image/cache').set(auth(admin));
    expect(res.status).to.equal(200);
    return res.body as { hits: number; misses: number; puts: number };
  }

  /** The figures once a rendering's background write has landed (the answer does not wait for it). */
  async function statsAfterPut(before: { puts: number }): Promise<{ hits: number; misses: number; puts: number }> {
    for (let i = 0; i < 200; i++) {
      const s = await cacheStats();
      if (s.puts > before.puts) return s;
      await new Promise((r) => setTimeout(r, 25));
    }
    return cacheStats();
  }

  before(async function () {
    t = await startTestApp({ config: { server: { baseUrl: BASE }, plugins: { settings: { 'iiif-image': LIMITS } } } });
    http = t.http;
    op = await t.key('digital-inventory-operator');
    ext = await t.key('digital-inventory-operator-extended');
    admin = await t.key('general-system-administrator');
    const s = t.app.host.service<IiifImageState>('iiif-image');
    if (!s) throw new Error('iiif-image service missing');
    state = s;

    const jpeg = await photo();
    ids.photo = (await upload('photo.jpg', jpeg)).id;
    ids.photoOriginal = (await upload('photo-again.jpg', jpeg)).id;
    ids.doomed = (await upload('doomed.png', await sharp({ create: { width: 64, height: 48, channels: 3, background: '#884422' } }).png().toBuffer())).id;
    const restricted = await upload('restricted.png', await sharp({ create: { width: 64, height: 48, channels: 3, background: '#224488' } }).png().toBuffer());
    ids.restricted = restricted.id;
    for (let n = 1; n <= 8; n++) ids[`orientation${n}`] = (await upload(`orientation-${n}.jpg`, await oriented(n))).id;

    if (hasSharedData()) {
      const dir = sharedData('images', 'edge-cases');
      for (const name of existsSync(dir) ? readdirSync(dir).sort() : []) {
        const body = readFileSync(sharedData('images', 'edge-cases', name));
        const jp2 = /\.(jp2|jpx)$/.test(name);
        let size: { width: number; height: number };
        let orientation = 1;
        if (jp2) size = jp2Size(body);
        else {
          const meta = await sharp(body).metadata();
          orientation = meta.orientation ?? 1;
          size = orientation >= 5 ? { width: meta.height ?? 0, height: meta.width ?? 0 } : { width: meta.width ?? 0, height: meta.height ?? 0 };
        }
        edge.push({ name, id: (await upload(name, body)).id, ...size, orientation, body });
      }
      for (const name of readdirSync(sharedData('images')).filter((n) => n.endsWith('.jp2')).sort()) {
        const body = readFileSync(sharedData('images', name));
        jp2s.push({ name, id: (await upload(name, body)).id, ...jp2Size(body) });
      }
    }

    const statuses = await waitForPyramids([...Object.values(ids), ...edge.map((e) => e.id), ...jp2s.map((j) => j.id)]);
    const names = new Map<string, string>([...Object.entries(ids).map(([k, v]): [string, string] => [v, k]), ...[...edge, ...jp2s].map((e): [string, string] => [e.id, e.name])]);
    const notReady = Object.entries(statuses).filter(([, s]) => s !== 'ready').map(([id, s]) => `${names.get(id) ?? id}: ${s}`);
    expect(notReady, 'every pyramid is made').to.deep.equal([]);
    await withoutPyramid(ids.photoOriginal);

    // Staff only: a signed-in user with the staff group (anonymous requests: 401).
    const profile = await http.post('/api/v1/access-rights-profiles').set(auth(admin)).send({ name: 'Staff only', rules: [{ effect: 'allow', userGroup: 'staff' }] });
    expect(profile.status, JSON.stringify(profile.body)).to.equal(201);
    const patched = await http.patch(`/api/v1/representations/${restricted.repId}`).set(auth(op)).send({ accessRightsProfileId: profile.body.id as string });
    expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
  });
  after(async () => t?.close());

  describe('CORS', () => {
    it('errors carry CORS too: 400, 404 (unknown image, malformed path), 401', async () => {
      const cases: [string, number][] = [
        [`/iiif/3/${ids.photo}/full/max/45x/default.jpg`, 400],
        [`/iiif/2/${ids.photo}/full/full/0/default.bmp`, 400],
        ['/iiif/3/00000000-0000-4000-8000-000000000000/info.json', 404],
        ['/iiif/2/00000000-0000-4000-8000-000000000000/full/full/0/default.jpg', 404],
        [`/iiif/3/${ids.photo}/full/max/0`, 404],
        [`/iiif/3/${ids.restricted}/full/max/0/default.jpg`, 401],
        [`/iiif/2/${ids.restricted}/full/full/0/default.jpg`, 401],
      ];
      for (const [path, status] of cases) {
        const res = await get(path, { Origin: ORIGIN });
        expect(res.status, path).to.equal(status);
        expect(res.headers['access-control-allow-origin'], path).to.equal('*');
        expect(res.headers['access-control-expose-headers'], path).to.match(/Link/);
        expect(res.headers['content-type'], path).to.match(/^text\/plain/);
        expect(res.headers['cache-control'], path).to.equal('no-store');
        expect(res.headers, `${path}: no validators on errors`).not.to.have.property('etag');
      }
    });

    it('answers the preflight for Authorization on every Image API URL, known image or not', async () => {
      for (const path of [
        `/iiif/3/${ids.photo}/info.json`,
        `/iiif/3/${ids.photo}/full/max/0/default.jpg`,
        `/iiif/2/${ids.restricted}/full/full/0/default.jpg`,
        `/iiif/3/${ids.photo}`,
        '/iiif/3/00000000-0000-4000-8000-000000000000/info.json',
      ]) {
        const res = await http.options(path).set({ Origin: ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' });
        expect(res.status, path).to.equal(204);
        expect(res.headers['access-control-allow-origin'], path).to.equal('*');
        expect(res.headers['access-control-allow-methods'], path).to.match(/\bGET\b/);
        expect(String(res.headers['access-control-allow-headers']).toLowerCase(), path).to.include('authorization');
        expect(Number(res.headers['access-control-max-age']), path).to.be.greaterThan(0);
      }
      // A plain OPTIONS (no preflight) says what is allowed.
      const plain = await http.options(`/iiif/3/${ids.photo}/info.json`);
      expect(plain.status).to.equal(204);
      expect(plain.headers.allow).to.equal('GET, HEAD, OPTIONS');
    });
  });

  describe('HEAD', () => {
    const volatile = new Set(['date', 'x-request-id', 'connection', 'keep-alive']);
    const stable = (headers: IncomingHttpHeaders): Record<string, unknown> => Object.fromEntries(Object.entries(headers).filter(([k]) => !volatile.has(k)));
    let server: Server;
    let port: number;

    /** A request on a real socket, counting the body bytes that arrive. */
    function send(method: string, path: string): Promise<{ status: number; headers: IncomingHttpHeaders; received: number }> {
      return new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, method, headers: { Origin: ORIGIN } }, (res) => {
          let received = 0;
          res.on('data', (c: Buffer) => (received += c.length));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, received }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
    }

    before(async () => {
      server = createServer(t.app.callback());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => new Promise<void>((r) => server.close(() => r())));

    it('answers exactly the headers of a GET, without a body, for images and info.json', async () => {
      for (const path of [
        `/iiif/3/${ids.photo}/full/!400,400/0/default.png`,
        `/iiif/2/${ids.photo}/pct:10,10,30,30/300,/90/gray.jpg`,
        `/iiif/3/${ids.photoOriginal}/square/200,/0/default.webp`,
        `/iiif/3/${ids.photo}/info.json`,
        `/iiif/2/${ids.photo}/info.json`,
      ]) {
        // HEAD first: nothing cached yet for this request.
        const head = await send('HEAD', path);
        const body = await send('GET', path);
        expect(head.status, path).to.equal(200);
        expect(body.status, path).to.equal(200);
        expect(stable(head.headers), path).to.deep.equal(stable(body.headers));
        expect(Number(head.headers['content-length']), path).to.equal(body.received).and.above(0);
        expect(head.received, `${path}: HEAD has no body`).to.equal(0);
      }
    });
  });

  describe('link headers', () => {
    it('image responses name their canonical URI and the level 2 profile', async () => {
      const cases: [string, string][] = [
        [`/iiif/3/${ids.photo}/full/max/0/default.jpg`, `/iiif/3/${ids.photo}/full/max/0/default.jpg`],
        [`/iiif/3/${ids.photo}/0,0,${PW},${PH}/pct:50/360/default.jpg`, `/iiif/3/${ids.photo}/full/1050,550/0/default.jpg`],
        [`/iiif/3/${ids.photo}/square/!300,300/0/color.png`, `/iiif/3/${ids.photo}/500,0,1100,1100/300,300/0/color.png`],
        [`/iiif/2/${ids.photo}/full/full/0/default.jpg`, `/iiif/2/${ids.photo}/full/full/0/default.jpg`],
        [`/iiif/2/${ids.photo}/pct:0,0,50,50/!500,500/0/default.jpg`, `/iiif/2/${ids.photo}/0,0,1050,550/500,/0/default.jpg`],
      ];
      for (const [path, canonical] of cases) {
        const res = await get(path);
        expect(res.status, path).to.equal(200);
        const link = String(res.headers.link);
        expect(link, path).to.include(`<${BASE}${canonical}>;rel="canonical"`);
        expect(link, path).to.include(`<http://iiif.io/api/image/${path.startsWith('/iiif/3') ? 3 : 2}/level2.json>;rel="profile"`);
        // The canonical URI is the same image: the same validator, the same bytes.
        const again = await get(canonical);
        expect(again.headers.etag, canonical).to.equal(res.headers.etag);
        expect(String(again.headers.link), canonical).to.include(`<${BASE}${canonical}>;rel="canonical"`);
      }
    });

    it('info.json carries the profile link header', async () => {
      for (const v of [3, 2]) {
        const res = await get(`/iiif/${v}/${ids.photo}/info.json`);
        expect(res.headers.link).to.equal(`<http://iiif.io/api/image/${v}/level2.json>;rel="profile"`);
      }
    });
  });

  describe('info.json', () => {
    it('media type by JSON-LD negotiation (3.0: JSON-LD unless asked for JSON; 2.x: JSON unless asked for JSON-LD)', async () => {
      const ld = (v: number): string => `application/ld+json; profile="http://iiif.io/api/image/${v}/context.json"`;
      const cases: [number, string | null, string][] = [
        [3, null, ld(3)],
        [3, 'application/ld+json', ld(3)],
        [3, 'application/json', 'application/json'],
        [3, '*/*', 'application/json'],
        [3, 'application/json;q=0.5, application/ld+json', ld(3)],
        [3, 'application/ld+json;q=0.4, application/json', 'application/json'],
        [2, null, 'application/json'],
        [2, 'application/ld+json', ld(2)],
        [2, 'text/html,application/xhtml+xml,*/*;q=0.8', 'application/json'],
      ];
      for (const [v, accept, type] of cases) {
        const req = http.get(`/iiif/${v}/${ids.photo}/info.json`).buffer(true).parse(bytes);
        // supertest sends no Accept unless told; set it when the case names one.
        const res = await (accept === null ? req : req.set('Accept', accept));
        expect(res.status).to.equal(200);
        expect(String(res.headers['content-type']).replace(/;\s*charset=utf-8/, '').replace(/;\s*/, '; '), `${v} ${accept}`).to.equal(type);
        expect(String(res.headers.vary)).to.match(/Accept/);
        expect(() => JSON.parse((res.body as Buffer).toString('utf8'))).not.to.throw();
      }
      // The same document either way, but not the same ETag (a cache must not swap them).
      const a = await get(`/iiif/3/${ids.photo}/info.json`, { Accept: 'application/json' });
      const b = await get(`/iiif/3/${ids.photo}/info.json`, { Accept: 'application/ld+json' });
      expect((a.body as Buffer).equals(b.body as Buffer)).to.equal(true);
      expect(a.headers.etag).not.to.equal(b.headers.etag);
    });

    it('3.0 names only 3.0 features and properties; 2.x only 2.x ones', async () => {
      const i3 = await info(3, ids.photo);
      const features = i3.extraFeatures as string[];
      expect(features).to.be.an('array').with.length.above(0);
      for (const f of features) expect(FEATURES_3, f).to.include(f);
      for (const f of ONLY_2X) expect(features).not.to.include(f);
      for (const k of ['@id', 'supports', 'formats', 'qualities', 'license', 'attribution', 'logo']) expect(i3, k).not.to.have.property(k);
      // Level 2 already has jpg, png and default: extra lists only name what lies beyond.
      expect(i3.extraFormats).not.to.include.members(['jpg', 'png']);
      expect(i3.extraQualities).not.to.include('default');
      const i2 = await info(2, ids.photo);
      for (const k of ['id', 'type', 'extraFeatures', 'extraFormats', 'extraQualities', 'rights']) expect(i2, k).not.to.have.property(k);
      const supports = ((i2.profile as unknown[])[1] as { supports: string[] }).supports;
      expect(supports).not.to.include('sizeUpscaling');
      expect(supports).to.include('sizeAboveFull');
    });

    it('declares maxWidth, maxHeight and maxArea with sizeUpscaling (3.0) and sizeAboveFull (2.x), and enforces them (400)', async () => {
      const i3 = await info(3, ids.photo);
      expect(i3.extraFeatures).to.include('sizeUpscaling');
      expect(i3).to.include(LIMITS);
      const i2 = await info(2, ids.photo);
      expect((i2.profile as unknown[])[1]).to.include(LIMITS);
      for (const s of [...(i3.sizes as { width: number; height: number }[]), ...(i2.sizes as { width: number; height: number }[])]) {
        expect(s.width * s.height).to.be.at.most(LIMITS.maxArea);
      }
      const over: string[] = [
        `/iiif/3/${ids.photo}/0,0,100,100/^2001,2000/0/default.jpg`, // area 4 002 000
        `/iiif/3/${ids.photo}/0,0,100,10/^3001,/0/default.jpg`, // wider than maxWidth
        `/iiif/3/${ids.photo}/0,0,10,100/^,3001/0/default.jpg`, // taller than maxHeight
        `/iiif/3/${ids.photo}/full/^pct:200/0/default.jpg`, // 4200×2200
        `/iiif/2/${ids.photo}/0,0,100,100/2001,2000/0/default.jpg`,
        `/iiif/2/${ids.photo}/full/pct:200/0/default.jpg`,
      ];
      for (const path of over) expect((await get(path)).status, path).to.equal(400);
      // Right at the limits: served.
      const at = await image(`/iiif/3/${ids.photo}/0,0,100,100/^2000,2000/0/default.jpg`);
      expect([at.width, at.height]).to.deep.equal([2000, 2000]);
      const wide = await image(`/iiif/2/${ids.photo}/0,0,300,10/3000,/0/default.jpg`);
      expect([wide.width, wide.height]).to.deep.equal([3000, 100]);
    });
  });

  describe('conditional requests', () => {
    it('ETag and Last-Modified on images and info.json; If-None-Match and If-Modified-Since answer 304', async () => {
      for (const path of [`/iiif/3/${ids.photo}/full/200,/0/default.jpg`, `/iiif/2/${ids.photo}/full/200,/0/default.jpg`, `/iiif/3/${ids.photo}/info.json`]) {
        const first = await get(path, { Origin: ORIGIN });
        expect(first.status).to.equal(200);
        const etag = String(first.headers.etag);
        const lastModified = String(first.headers['last-modified']);
        expect(etag, path).to.match(/^"[^"]+"$/);
        expect(Number.isNaN(Date.parse(lastModified)), `${path}: Last-Modified is an HTTP date`).to.equal(false);
        expect(first.headers['cache-control'], path).to.equal('public, max-age=86400');

        const byTag = await get(path, { Origin: ORIGIN, 'If-None-Match': etag });
        expect(byTag.status, path).to.equal(304);
        expect((byTag.body as Buffer).length).to.equal(0);
        expect(byTag.headers.etag).to.equal(etag);
        expect(byTag.headers['access-control-allow-origin']).to.equal('*');
        expect((await get(path, { 'If-None-Match': `W/${etag}, "other"` })).status, 'weak comparison').to.equal(304);
        expect((await get(path, { 'If-None-Match': '"something-else"' })).status).to.equal(200);
        // If-None-Match wins over If-Modified-Since.
        expect((await get(path, { 'If-None-Match': '"something-else"', 'If-Modified-Since': lastModified })).status).to.equal(200);

        expect((await get(path, { 'If-Modified-Since': lastModified })).status, path).to.equal(304);
        expect((await get(path, { 'If-Modified-Since': new Date(Date.parse(lastModified) - 60_000).toUTCString() })).status).to.equal(200);
      }
      // Another request, another ETag; another version, another ETag for the same request.
      const a = await get(`/iiif/3/${ids.photo}/full/200,/0/default.jpg`);
      const b = await get(`/iiif/3/${ids.photo}/full/201,/0/default.jpg`);
      const c = await get(`/iiif/2/${ids.photo}/full/200,/0/default.jpg`);
      expect(new Set([a.headers.etag, b.headers.etag, c.headers.etag]).size).to.equal(3);
    });
  });

  describe('EXIF orientation', () => {
    it('project JPEGs with orientation 1–8: upright size in info.json and upright pixels, from the pyramid and from the original', async () => {
      for (let n = 1; n <= 8; n++) {
        const id = ids[`orientation${n}`];
        const [w, h] = n >= 5 ? [80, 120] : [120, 80];
        // Stored top-left red block centre (15, 10), top-right green (105, 10).
        const [rx, ry] = upright(n, 15, 10, 120, 80);
        const [gx, gy] = upright(n, 105, 10, 120, 80);
        for (const source of ['pyramid', 'original']) {
          if (source === 'original') await withoutPyramid(id);
          for (const v of [3, 2] as const) {
            const i = await info(v, id);
            expect([i.width, i.height], `orientation ${n}, ${source}, ${v}`).to.deep.equal([w, h]);
          }
          const img = await image(`/iiif/3/${id}/full/max/0/default.png`);
          expect([img.width, img.height], `orientation ${n} ${source}`).to.deep.equal([w, h]);
          expect(close(meanAt(img, rx, ry), [240, 20, 20]), `orientation ${n} ${source}: red at ${rx},${ry} is rgb(${meanAt(img, rx, ry).join(',')})`).to.equal(true);
          expect(close(meanAt(img, gx, gy), [20, 230, 20]), `orientation ${n} ${source}: green at ${gx},${gy}`).to.equal(true);
          // A region is cut from the upright image: the red block alone.
          const box = { x: rx < w / 2 ? 0 : w - 20, y: ry < h / 2 ? 0 : h - 20 };
          const corner = await image(`/iiif/3/${id}/${box.x},${box.y},20,20/max/0/default.png`);
          expect(close(meanAt(corner, 10, 10, 4), [240, 20, 20]), `orientation ${n} ${source}: red region`).to.equal(true);
        }
      }
    });

    it('../shared/data/images/edge-cases: every image served upright at its size, pyramid and original alike', async function () {
      requireSharedData(this);
      expect(edge.length, 'edge cases found').to.be.greaterThan(0);
      for (const e of edge) {
        const i = await info(3, e.id);
        expect([i.width, i.height], e.name).to.deep.equal([e.width, e.height]);
        // JPEG output: transparency flattened on white either way.
        const fromPyramid = await image(`/iiif/3/${e.id}/full/max/0/default.jpg`);
        expect([fromPyramid.width, fromPyramid.height], e.name).to.deep.equal([e.width, e.height]);
        const scaled = await image(`/iiif/3/${e.id}/square/32,/90/default.jpg`);
        expect([scaled.width, scaled.height], `${e.name} square/32,/90`).to.deep.equal([32, 32]);
        await withoutPyramid(e.id);
        const fromOriginal = await image(`/iiif/3/${e.id}/full/max/0/default.jpg`);
        expect(meanDiff(fromPyramid, fromOriginal), `${e.name}: pyramid against original`).to.be.below(8);
        if (e.orientation !== 1) {
          // Stored pixels turned by the TIFF orientation table give what the server serves.
          const stored = await raw(e.body); // sharp leaves the orientation alone unless asked
          const want = orientRaw(stored, e.orientation);
          expect(meanDiff(await image(`/iiif/3/${e.id}/full/max/0/default.png`), want), `${e.name}: upright pixels`).to.be.below(3);
          expect(meanDiff(fromPyramid, want), `${e.name}: upright pixels from the pyramid`).to.be.below(8);
        }
        await withPyramid(e.id);
      }
      expect(edge.some((e) => e.orientation !== 1), 'an edge case with an EXIF orientation').to.equal(true);
    });
  });

  describe('JPEG 2000 sources', () => {
    it('../shared/data/images/*.jp2: info.json at the codestream size; tiles, sizes and gray served', async function () {
      requireSharedData(this);
      expect(jp2s.length).to.be.greaterThan(0);
      for (const j of jp2s) {
        const i = await info(3, j.id);
        expect([i.width, i.height], j.name).to.deep.equal([j.width, j.height]);
        const small = await image(`/iiif/3/${j.id}/full/200,/0/default.jpg`);
        expect(small.width, j.name).to.equal(200);
        const tile = await image(`/iiif/3/${j.id}/0,0,512,512/256,/0/gray.png`);
        expect([tile.width, tile.height]).to.deep.equal([256, 256]);
      }
    });

    it('the validator grid as JPEG 2000: the same squares as the PNG, from the pyramid and from the original', async function () {
      requireSharedData(this);
      const j = jp2s.find((x) => x.name.startsWith('iiif-validator'));
      if (!j) this.skip();
      const png = await raw(readFileSync(sharedData('images', 'iiif-validator-67352ccc-d1b0-11e1-89ae-279075081939.png')));
      for (const source of ['pyramid', 'original']) {
        if (source === 'original') await withoutPyramid(j.id);
        for (const [x, y] of [[0, 0], [9, 0], [0, 9], [9, 9], [4, 6]]) {
          const square = await image(`/iiif/3/${j.id}/${x * 100 + 10},${y * 100 + 10},80,80/40,/0/default.png`);
          expect(close(meanAt(square, 20, 20, 10), px(png, x * 100 + 50, y * 100 + 50), 6), `${source}: square ${x},${y}`).to.equal(true);
        }
      }
      await withPyramid(j.id);
    });
  });

  describe('sources the server must not decode', () => {
    it('a decompression bomb (a 10-gigapixel PNG header over 3 kB) answers 413, the pyramid job refuses it, the process goes on', async () => {
      const bomb = bombPng();
      const files = t.app.ds.getRepository(DigitalFile);
      const representationId = (await files.findOneByOrFail({ id: ids.doomed })).representationId;
      // Ingest refuses it (inventory's header check); one stored all the same (an older version, the upload area) is put in place here.
      const refused = await http.post(`/api/v1/representations/${representationId}/files`).set(auth(op)).attach('file', bomb, 'bomb.png');
      expect(refused.status).to.equal(422);
      const local = t.app.core.storage.get('local');
      if (!local) throw new Error('no local storage');
      const row = await files.save(
        files.create({
          representationId, sequence: 99, label: 'bomb', storageKey: `files/${representationId}/bomb.png`, mimeType: 'image/png', size: bomb.length,
          sha256: createHash('sha256').update(bomb).digest('hex'), width: 100_000, height: 100_000, duration: null, pageCount: null,
          thumbnailKey: null, originalName: 'bomb.png', section: null, thumbnailStatus: 'failed', fixityStatus: null, fixityCheckedAt: null, fixityDetail: null,
        }),
      );
      await local.put(row.storageKey, Readable.from([bomb]), { size: bomb.length });
      for (const path of [`/iiif/3/${row.id}/full/max/0/default.jpg`, `/iiif/3/${row.id}/0,0,512,512/512,/0/default.jpg`, `/iiif/2/${row.id}/full/100,/0/default.png`]) {
        const res = await get(path, { Origin: ORIGIN });
        expect(res.status, path).to.be.oneOf([413, 400]);
        expect(res.headers['access-control-allow-origin']).to.equal('*');
      }
      expect(await waitForPyramids([row.id])).to.deep.equal({ [row.id]: 'unsupported' });
      state.files.forget(row.id);
      expect((await get(`/iiif/3/${row.id}/full/max/0/default.jpg`)).status).to.be.oneOf([413, 400]);
      // Still serving.
      expect((await image(`/iiif/3/${ids.photo}/full/100,/0/default.jpg`)).width).to.equal(100);
    });
  });

  describe('deleted files', () => {
    it('a deleted file is 404 at once (info.json and images, with CORS); its pyramid goes with it', async () => {
      expect((await get(`/iiif/3/${ids.doomed}/info.json`)).status).to.equal(200);
      expect((await get(`/iiif/2/${ids.doomed}/full/full/0/default.jpg`)).status).to.equal(200);
      const d = await t.app.ds.getRepository(IiifDerivative).findOneByOrFail({ fileId: ids.doomed });
      const local = t.app.core.storage.get('local');
      expect(await local?.head(d.storageKey ?? ''), 'the pyramid is stored').not.to.equal(null);
      expect((await http.delete(`/api/v1/files/${ids.doomed}`).set(auth(ext))).status).to.equal(204);
      for (const path of [`/iiif/3/${ids.doomed}/info.json`, `/iiif/3/${ids.doomed}/full/max/0/default.jpg`, `/iiif/2/${ids.doomed}/full/full/0/default.jpg`]) {
        const res = await get(path, { Origin: ORIGIN });
        expect(res.status, path).to.equal(404);
        expect(res.headers['access-control-allow-origin']).to.equal('*');
      }
      expect(await t.app.ds.getRepository(IiifDerivative).countBy({ fileId: ids.doomed })).to.equal(0);
      expect(await local?.head(d.storageKey ?? ''), 'the pyramid is gone').to.equal(null);
    });
  });

  describe('pyramid and original', () => {
    const requests = [
      'full/max/0/default.jpg',
      'full/pct:33/0/default.jpg',
      'full/!300,200/0/default.jpg',
      '0,0,333,777/100,/0/default.jpg',
      '1777,901,500,500/77,/0/default.jpg',
      'pct:12.5,7.3,50.1,80/,301/0/default.png',
      'square/133,/90/default.jpg',
      '2047,1023,53,77/max/!45/gray.png',
      '1000,500,1100,600/^1500,/0/default.jpg',
    ];

    it('give the same output size for every request, and nearly the same pixels', async () => {
      for (const r of requests) {
        const a = await image(`/iiif/3/${ids.photo}/${r}`);
        const b = await image(`/iiif/3/${ids.photoOriginal}/${r}`);
        expect([a.width, a.height], r).to.deep.equal([b.width, b.height]);
        expect(meanDiff(a, b), r).to.be.below(6);
      }
      const i = await info(3, ids.photo);
      const o = await info(3, ids.photoOriginal);
      expect([i.width, i.height, i.sizes, i.tiles]).to.deep.equal([o.width, o.height, o.sizes, o.tiles]);
    });
  });

  describe('stored tiles and the render cache', () => {
    it('an interior tile request is the stored JPEG tile, sent without decoding or caching', async () => {
      const d = await t.app.ds.getRepository(IiifDerivative).findOneByOrFail({ fileId: ids.photo });
      const path = await state.derivatives.localPyramidOf(d);
      const pyr = await openPyramid(path);
      const tiles: [string, number, number, number][] = [
        [`/iiif/3/${ids.photo}/512,512,512,512/512,512/0/default.jpg`, 0, 1, 1],
        [`/iiif/2/${ids.photo}/1536,0,512,512/512,/0/color.jpg`, 0, 3, 0],
        [`/iiif/3/${ids.photo}/1024,0,1024,1024/512,512/0/default.jpg`, 1, 1, 0],
      ];
      const before = await cacheStats();
      for (const [url, level, col, row] of tiles) {
        const res = await get(url);
        expect(res.status, url).to.equal(200);
        expect(res.headers['content-type']).to.equal('image/jpeg');
        const stored = await rawJpegTile(pyr, level, col, row);
        expect(stored, `level ${level} tile ${col},${row} is a plain JPEG tile`).to.be.instanceOf(Buffer);
        expect((res.body as Buffer).equals(stored as Buffer), `${url}: the stored tile`).to.equal(true);
        // The entropy-coded data is the tile's bytes in the TIFF, read here at the offset its directory gives.
        const L = pyr.levels[level];
        const index = row * Math.ceil(L.width / L.tileWidth) + col;
        const fh = await open(path, 'r');
        const buf = Buffer.alloc(L.tileByteCounts[index]);
        await fh.read(buf, 0, buf.length, L.tileOffsets[index]);
        await fh.close();
        expect((res.body as Buffer).subarray(-(buf.length - 2)).equals(buf.subarray(2)), `${url}: ends with the stored tile data`).to.equal(true);
      }
      const after = await cacheStats();
      expect([after.misses, after.puts, after.hits], 'no render, nothing cached').to.deep.equal([before.misses, before.puts, before.hits]);
      // The same region as PNG, or an edge tile, is rendered (and differs from any stored tile).
      const png = await get(`/iiif/3/${ids.photo}/512,512,512,512/512,512/0/default.png`);
      expect(png.headers['content-type']).to.equal('image/png');
      const edgeTile = await get(`/iiif/3/${ids.photo}/2048,1024,52,76/52,76/0/default.jpg`);
      expect(edgeTile.status).to.equal(200);
      expect((await cacheStats()).misses).to.equal(after.misses + 2);
    });

    it('the second request for a rendering is a cache hit with the same bytes', async () => {
      for (const url of [`/iiif/3/${ids.photo}/pct:5,5,40,40/333,/0/default.jpg`, `/iiif/2/${ids.photoOriginal}/full/250,/180/bitonal.png`]) {
        const s0 = await cacheStats();
        const first = await get(url);
        const s1 = await statsAfterPut(s0);
        expect([s1.misses - s0.misses, s1.puts - s0.puts, s1.hits - s0.hits], `${url}: first`).to.deep.equal([1, 1, 0]);
        const second = await get(url);
        const s2 = await cacheStats();
        expect([s2.misses - s1.misses, s2.hits - s1.hits], `${url}: second`).to.deep.equal([0, 1]);
        expect((second.body as Buffer).equals(first.body as Buffer)).to.equal(true);
        expect(second.headers.etag).to.equal(first.headers.etag);
      }
      // A non-canonical request for the same image hits the same entry.
      const s3 = await cacheStats();
      await get(`/iiif/3/${ids.photo}/pct:5,5,40,40/^333,/360/default.jpg`);
      expect((await cacheStats()).hits - s3.hits).to.equal(1);
    });
  });
});
