import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ImageApiError, type ImageFormat } from '../../../../plugins/iiif-image/protocol/types';
import { makePyramid, pyramidLevelSizes, type PyramidInfo } from '../../../../plugins/iiif-image/render/make-pyramid';
import { forgetPyramid, openPyramid, rawJpegTile } from '../../../../plugins/iiif-image/render/pyramid-reader';
import { RenderError } from '../../../../plugins/iiif-image/render/render-error';
import { chooseLevel, fastTile, levelFactor, renderImage, type RenderSource } from '../../../../plugins/iiif-image/render/render-image';
import { requireSharedData, sharedData } from '../../../helpers/shared-data';
import { bombPng, hasCommand, needCommands } from '../../inventory/media/media-fixtures';
import { colourDistance, decode, hugeJ2kHeader, meanDifference, meanOf, pixel, plan, QUAD, quadColour, writeQuad, type Decoded } from './render-fixtures';

const W = 3000;
const H = 2000;
const LIMIT = 100_000_000;
const opts = { maxInputPixels: LIMIT };

async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Render and decode, checking the media type against what the bytes are. */
async function rendered(source: RenderSource, p: Parameters<typeof plan>[0], o: { maxInputPixels: number } = opts): Promise<Decoded & { body: Buffer; format: string }> {
  const out = await renderImage(source, plan(p), o);
  const meta = await sharp(out.body).metadata();
  const format = { jpeg: 'jpg', png: 'png', webp: 'webp', tiff: 'tif', gif: 'gif' }[meta.format as string];
  expect(out.mediaType.replace('image/', '').replace('jpeg', 'jpg').replace('tiff', 'tif'), 'media type names the encoding').to.equal(format);
  return { ...(await decode(out.body)), body: out.body, format: format ?? String(meta.format) };
}

describe('iiif-image render: renderImage', function () {
  let dir: string;
  let info: PyramidInfo;
  let pyramid: RenderSource;
  let original: RenderSource;

  before(async function () {
    this.timeout(60_000);
    dir = await mkdtemp(join(tmpdir(), 'colophon-render-spec-'));
    await writeQuad(join(dir, 'quad.jpg'), W, H);
    info = await makePyramid({ path: join(dir, 'quad.jpg'), mimeType: 'image/jpeg' }, join(dir, 'quad.tif'), opts);
    pyramid = { kind: 'pyramid', path: join(dir, 'quad.tif'), info };
    original = { kind: 'original', path: join(dir, 'quad.jpg'), mimeType: 'image/jpeg', width: W, height: H };
  });

  after(async function () {
    forgetPyramid();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('chooseLevel', function () {
    const big = pyramidLevelSizes(10000, 10000, 512); // 10000 … 312

    it('reads a 200 px thumbnail of a 10 000 × 10 000 pyramid from its 312 px level, not the full resolution', function () {
      const k = chooseLevel(big, plan({ region: { x: 0, y: 0, w: 10000, h: 10000 }, size: { w: 200, h: 200 } }));
      expect(k).to.equal(5);
      expect(big[k]).to.deep.equal({ width: 312, height: 312 });
    });

    it('takes the smallest level that is still large enough', function () {
      const at = (w: number, size: number): number => chooseLevel(big, plan({ region: { x: 0, y: 0, w, h: w }, size: { w: size, h: size } }));
      expect(at(10000, 10000)).to.equal(0);
      expect(at(10000, 5000)).to.equal(1);
      expect(at(10000, 5002)).to.equal(0); // level 1 would be two pixels short
      expect(at(10000, 1250)).to.equal(3);
      expect(at(2048, 512)).to.equal(2); // a tile at scale factor 4
      expect(at(1, 1)).to.equal(0); // one pixel is read at full resolution
    });

    it('accepts less than one pixel short, as IIIF sizes of edge tiles are rounded up (ceil)', function () {
      const odd = pyramidLevelSizes(3001, 2001, 512); // 3001, 1500, 750, 375
      // The right-hand edge tile at scale factor 2: 953 px wide, asked as ceil(953/2) = 477.
      expect(chooseLevel(odd, plan({ region: { x: 2048, y: 0, w: 953, h: 1024 }, size: { w: 477, h: 512 } }))).to.equal(1);
      expect(levelFactor(3001, 1500)).to.equal(2);
      expect(levelFactor(3001, 750)).to.equal(4);
      // JPEG 2000 resolutions round up instead: still powers of two.
      expect(levelFactor(1001, 501)).to.equal(2);
    });

    it('never decodes level 0 for a thumbnail: it renders from a pyramid whose full-resolution tiles are destroyed', async function () {
      const broken = join(dir, 'broken.tif');
      await copyFile(join(dir, 'quad.tif'), broken);
      const pyr = await openPyramid(broken);
      const fh = await open(broken, 'r+');
      try {
        const L = pyr.levels[0];
        for (const [i, offset] of L.tileOffsets.entries()) await fh.write(Buffer.alloc(L.tileByteCounts[i], 0), 0, L.tileByteCounts[i], offset);
      } finally {
        await fh.close();
      }
      const source: RenderSource = { kind: 'pyramid', path: broken, info };
      const thumb = await rendered(source, { region: { x: 0, y: 0, w: W, h: H }, size: { w: 200, h: 133 } });
      expect([thumb.width, thumb.height]).to.deep.equal([200, 133]);
      expect(colourDistance(pixel(thumb, 150, 100), quadColour(2250, 1500, W, H))).to.be.below(12);
      // …while a full-resolution request does read level 0, and fails on it.
      const err = await rejectionOf(renderImage(source, plan({ region: { x: 0, y: 0, w: 512, h: 512 }, size: { w: 512, h: 512 }, format: 'png' }), opts));
      expect(err).to.be.instanceOf(RenderError);
    });
  });

  describe('fastTile', function () {
    it('returns the stored JPEG tile for a request of exactly one interior tile, at full resolution and at scale factor 2', async function () {
      const pyr = await openPyramid(pyramid.path);
      const t0 = await fastTile(pyramid, plan({ region: { x: 512, y: 1024, w: 512, h: 512 }, size: { w: 512, h: 512 } }));
      expect(t0).to.deep.equal(await rawJpegTile(pyr, 0, 1, 2));
      const t1 = await fastTile(pyramid, plan({ region: { x: 1024, y: 0, w: 1024, h: 1024 }, size: { w: 512, h: 512 }, quality: 'color' }));
      expect(t1).to.deep.equal(await rawJpegTile(pyr, 1, 1, 0));
      const d = await decode(t1 as Buffer);
      expect(colourDistance(pixel(d, 100, 100), quadColour(1224, 200, W, H))).to.be.below(12);
    });

    it('is what renderImage answers for such a request', async function () {
      const p = plan({ region: { x: 512, y: 1024, w: 512, h: 512 }, size: { w: 512, h: 512 } });
      const out = await renderImage(pyramid, p, opts);
      expect(out.mediaType).to.equal('image/jpeg');
      expect(out.body).to.deep.equal(await fastTile(pyramid, p));
    });

    it('is null for anything but one plain stored tile', async function () {
      const tile = { region: { x: 512, y: 512, w: 512, h: 512 }, size: { w: 512, h: 512 } };
      expect(await fastTile(pyramid, plan({ ...tile, format: 'png' }))).to.equal(null);
      expect(await fastTile(pyramid, plan({ ...tile, quality: 'gray' }))).to.equal(null);
      expect(await fastTile(pyramid, plan({ ...tile, mirror: true }))).to.equal(null);
      expect(await fastTile(pyramid, plan({ ...tile, rotation: 90 }))).to.equal(null);
      expect(await fastTile(pyramid, plan({ region: { x: 256, y: 512, w: 512, h: 512 }, size: { w: 512, h: 512 } }))).to.equal(null); // off the grid
      expect(await fastTile(pyramid, plan({ region: { x: 512, y: 512, w: 512, h: 512 }, size: { w: 256, h: 256 } }))).to.equal(null); // scaled
      expect(await fastTile(pyramid, plan({ region: { x: 2560, y: 0, w: 440, h: 512 }, size: { w: 440, h: 512 } }))).to.equal(null); // edge tile
      expect(await fastTile(original, plan(tile))).to.equal(null);
    });

    it('renders an edge tile (padded in the file) to its exact size instead', async function () {
      const d = await rendered(pyramid, { region: { x: 2560, y: 1536, w: 440, h: 464 }, size: { w: 440, h: 464 } });
      expect([d.width, d.height]).to.deep.equal([440, 464]);
      expect(colourDistance(pixel(d, 430, 450), quadColour(2990, 1986, W, H))).to.be.below(12);
    });
  });

  describe('region, size, mirror, rotation (from the pyramid)', function () {
    it('renders the whole image scaled like a plain resize of the original', async function () {
      const d = await rendered(pyramid, { region: { x: 0, y: 0, w: W, h: H }, size: { w: 300, h: 200 } });
      const ref = await decode(await sharp(join(dir, 'quad.jpg')).resize(300, 200).png().toBuffer());
      expect(meanDifference(d, ref)).to.be.below(3);
    });

    it('cuts each quadrant out', async function () {
      for (const [name, x, y] of [
        ['top left', 0, 0],
        ['top right', 1500, 0],
        ['bottom left', 0, 1000],
        ['bottom right', 1500, 1000],
      ] as const) {
        const d = await rendered(pyramid, { region: { x, y, w: 1500, h: 1000 }, size: { w: 150, h: 100 }, format: 'png' });
        expect([d.width, d.height]).to.deep.equal([150, 100]);
        const mean = meanOf(d, 10, 10, 130, 80);
        expect(colourDistance(mean, quadColour(x + 750, y + 500, W, H)), name).to.be.below(10);
      }
    });

    it('places a small region across the centre exactly (four colours, one in each corner)', async function () {
      const d = await rendered(pyramid, { region: { x: 1400, y: 900, w: 200, h: 200 }, size: { w: 100, h: 100 }, format: 'png' });
      expect(colourDistance(pixel(d, 10, 10), quadColour(1420, 920, W, H))).to.be.below(12);
      expect(colourDistance(pixel(d, 90, 10), quadColour(1580, 920, W, H))).to.be.below(12);
      expect(colourDistance(pixel(d, 10, 90), quadColour(1420, 1080, W, H))).to.be.below(12);
      expect(colourDistance(pixel(d, 90, 90), quadColour(1580, 1080, W, H))).to.be.below(12);
      // The boundary falls in the middle: columns 48 and 51 lie on either side of it.
      expect(colourDistance(pixel(d, 47, 10), QUAD.tl)).to.be.below(20);
      expect(colourDistance(pixel(d, 52, 10), QUAD.tr)).to.be.below(20);
    });

    it('distorts to a size of another aspect ratio when asked (w,h)', async function () {
      const d = await rendered(pyramid, { region: { x: 0, y: 0, w: W, h: H }, size: { w: 100, h: 300 } });
      expect([d.width, d.height]).to.deep.equal([100, 300]);
    });

    it('mirrors, then rotates by multiples of 90°', async function () {
      const p = { region: { x: 0, y: 0, w: W, h: H }, size: { w: 300, h: 200 }, format: 'png' as ImageFormat };
      const corner = async (q: Partial<Parameters<typeof plan>[0]>): Promise<{ size: number[]; tl: number[] }> => {
        const d = await rendered(pyramid, { ...p, ...q });
        return { size: [d.width, d.height], tl: pixel(d, 5, 5) };
      };
      const near = (c: number[], q: readonly number[]): boolean => colourDistance(c, q) < 25;
      const mirrored = await corner({ mirror: true });
      expect(mirrored.size).to.deep.equal([300, 200]);
      expect(near(mirrored.tl, QUAD.tr), 'mirror: top-right comes to top-left').to.equal(true);
      const r90 = await corner({ rotation: 90 });
      expect(r90.size).to.deep.equal([200, 300]);
      expect(near(r90.tl, QUAD.bl), '90° clockwise: bottom-left comes to top-left').to.equal(true);
      const r180 = await corner({ rotation: 180 });
      expect(near(r180.tl, QUAD.br), '180°').to.equal(true);
      const r270 = await corner({ rotation: 270 });
      expect(r270.size).to.deep.equal([200, 300]);
      expect(near(r270.tl, QUAD.tr), '270°').to.equal(true);
      const m90 = await corner({ mirror: true, rotation: 90 });
      expect(near(m90.tl, QUAD.br), 'mirror then 90°: bottom-right comes to top-left').to.equal(true);
    });

    it('rotates by other angles inside the bounding box: transparent corners in PNG, white in JPEG', async function () {
      const p = { region: { x: 0, y: 0, w: W, h: H }, size: { w: 300, h: 200 }, rotation: 45 };
      const png = await rendered(pyramid, { ...p, format: 'png' });
      const side = Math.round((300 + 200) * Math.SQRT1_2);
      expect(Math.abs(png.width - side)).to.be.at.most(2);
      expect(Math.abs(png.height - side)).to.be.at.most(2);
      expect(png.channels).to.equal(4);
      expect(pixel(png, 2, 2)[3], 'corner alpha').to.equal(0);
      expect(pixel(png, png.width >> 1, png.height >> 1)[3], 'centre alpha').to.equal(255);
      const jpg = await rendered(pyramid, { ...p, format: 'jpg' });
      expect(jpg.channels).to.equal(3);
      expect(colourDistance(pixel(jpg, 2, 2), [255, 255, 255])).to.be.below(6);
      for (const format of ['webp', 'gif', 'tif'] as const) {
        const d = await rendered(pyramid, { ...p, format });
        expect(pixel(d, 2, 2)[3], `${format} corner alpha`).to.equal(0);
      }
    });
  });

  describe('quality and format', function () {
    const whole = { region: { x: 0, y: 0, w: W, h: H }, size: { w: 300, h: 200 } };

    it('gray: one grey channel, darker where the colour is darker', async function () {
      const d = await rendered(pyramid, { ...whole, quality: 'gray', format: 'png' });
      const m = await sharp(d.body).metadata();
      expect([m.channels, m.space]).to.deep.equal([1, 'b-w']);
      const [blue] = meanOf(d, 20, 120, 40, 40);
      const [yellow] = meanOf(d, 240, 120, 40, 40);
      expect(yellow).to.be.above(blue + 60);
      const jpg = await rendered(pyramid, { ...whole, quality: 'gray' });
      expect((await sharp(jpg.body).metadata()).channels).to.equal(1);
    });

    it('bitonal: only black and white, stored as 1 bit in PNG and TIFF', async function () {
      const png = await rendered(pyramid, { ...whole, quality: 'bitonal', format: 'png' });
      const values = new Set(png.data);
      expect([...values].sort((a, b) => a - b)).to.deep.equal([0, 255]);
      const pm = await sharp(png.body).metadata();
      expect([pm.isPalette, pm.bitsPerSample]).to.deep.equal([true, 1]);
      expect(pixel(png, 250, 150)[0], 'yellow is light').to.equal(255);
      expect(pixel(png, 50, 150)[0], 'blue is dark').to.equal(0);
      const tif = await rendered(pyramid, { ...whole, quality: 'bitonal', format: 'tif' });
      await writeFile(join(dir, 'bitonal.tif'), tif.body);
      const [tl] = (await openPyramid(join(dir, 'bitonal.tif'))).levels;
      expect([tl.bitsPerSample, tl.compression], 'CCITT Group 4, 1 bit').to.deep.equal([[1], 4]);
      const jpg = await rendered(pyramid, { ...whole, quality: 'bitonal' });
      expect((await sharp(jpg.body).metadata()).channels).to.equal(1);
      expect([...new Set(jpg.data)].filter((v) => v > 40 && v < 215).length, 'few grey values (JPEG ringing only)').to.be.below(40);
    });

    it('encodes every format with its media type', async function () {
      const magic: Record<ImageFormat, number[]> = {
        jpg: [0xff, 0xd8, 0xff],
        png: [0x89, 0x50, 0x4e, 0x47],
        webp: [0x52, 0x49, 0x46, 0x46],
        tif: [0x49, 0x49, 0x2a, 0x00],
        gif: [0x47, 0x49, 0x46, 0x38],
      };
      for (const format of Object.keys(magic) as ImageFormat[]) {
        const d = await rendered(pyramid, { ...whole, format });
        expect(d.format).to.equal(format);
        expect([...d.body.subarray(0, magic[format].length)], format).to.deep.equal(magic[format]);
        expect([d.width, d.height]).to.deep.equal([300, 200]);
        expect(colourDistance(pixel(d, 50, 50), quadColour(500, 500, W, H)), format).to.be.below(20);
      }
    });

    it('colour and default are the same image', async function () {
      const a = await renderImage(pyramid, plan({ ...whole, quality: 'color', format: 'png' }), opts);
      const b = await renderImage(pyramid, plan({ ...whole, quality: 'default', format: 'png' }), opts);
      expect(a.body).to.deep.equal(b.body);
    });
  });

  describe('from the original (no pyramid yet)', function () {
    it('renders a JPEG like the pyramid does', async function () {
      const p = { region: { x: 1400, y: 900, w: 200, h: 200 }, size: { w: 100, h: 100 }, format: 'png' as ImageFormat };
      expect(meanDifference(await rendered(original, p), await rendered(pyramid, p))).to.be.below(3);
      const whole = { region: { x: 0, y: 0, w: W, h: H }, size: { w: 150, h: 100 }, format: 'png' as ImageFormat };
      expect(meanDifference(await rendered(original, whole), await rendered(pyramid, whole))).to.be.below(3);
    });

    it('reads regions in upright pixels of an image with EXIF orientation 6', async function () {
      const src = join(dir, 'o6.jpg');
      // Stored 300×200: left half red, right half blue; shown 200×300, red on top.
      await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ff0000' } })
        .composite([{ input: { create: { width: 150, height: 200, channels: 3, background: '#0000ff' } }, left: 150, top: 0 }])
        .jpeg()
        .withMetadata({ orientation: 6 })
        .toFile(src);
      const source: RenderSource = { kind: 'original', path: src, mimeType: 'image/jpeg', width: 200, height: 300 };
      const top = await rendered(source, { region: { x: 0, y: 0, w: 200, h: 140 }, size: { w: 100, h: 70 }, format: 'png' });
      expect(colourDistance(meanOf(top, 10, 10, 80, 50), [255, 0, 0])).to.be.below(12);
      const bottom = await rendered(source, { region: { x: 0, y: 160, w: 200, h: 140 }, size: { w: 100, h: 70 }, format: 'png' });
      expect(colourDistance(meanOf(bottom, 10, 10, 80, 50), [0, 0, 255])).to.be.below(12);
      const whole = await rendered(source, { region: { x: 0, y: 0, w: 200, h: 300 }, size: { w: 20, h: 30 } });
      expect([whole.width, whole.height]).to.deep.equal([20, 30]);
    });

    it('keeps the transparency of a 16-bit PNG in PNG output, white in JPEG, 8 bits either way', async function () {
      const src = join(dir, 'a16.png');
      const raw = Buffer.alloc(64 * 64 * 4);
      for (let p = 0; p < 64 * 64; p++) raw.set(p % 64 < 32 ? [0x20, 0xc0, 0x40, 255] : [0, 0, 0, 0], p * 4);
      await sharp(raw, { raw: { width: 64, height: 64, channels: 4 } }).toColourspace('rgb16').png().toFile(src);
      const source: RenderSource = { kind: 'original', path: src, mimeType: 'image/png', width: 64, height: 64 };
      const png = await rendered(source, { region: { x: 0, y: 0, w: 64, h: 64 }, size: { w: 64, h: 64 }, format: 'png' });
      expect((await sharp(png.body).metadata()).depth).to.equal('uchar');
      expect(png.channels).to.equal(4);
      expect(colourDistance(pixel(png, 10, 10), [0x20, 0xc0, 0x40])).to.be.below(4);
      expect(pixel(png, 50, 10)[3]).to.equal(0);
      const jpg = await rendered(source, { region: { x: 0, y: 0, w: 64, h: 64 }, size: { w: 64, h: 64 } });
      expect(colourDistance(pixel(jpg, 54, 10), [255, 255, 255])).to.be.below(6);
    });

    it('converts a CMYK JPEG to sRGB', async function () {
      const src = join(dir, 'cmyk.jpg');
      await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c02030' } }).toColourspace('cmyk').jpeg().toFile(src);
      const d = await rendered({ kind: 'original', path: src, mimeType: 'image/jpeg', width: 64, height: 64 }, { region: { x: 0, y: 0, w: 64, h: 64 }, size: { w: 32, h: 32 }, format: 'png' });
      expect(d.channels).to.equal(3);
      const [r, g, b] = meanOf(d, 8, 8, 16, 16);
      expect(r).to.be.above(150);
      expect(g).to.be.below(90);
      expect(b).to.be.below(100);
    });

    it('reads a pyramidal TIFF original by its levels', async function () {
      const src = join(dir, 'deflate-pyramid.tif');
      await writeQuad(src, 1200, 800, (s) => s.tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'deflate' }));
      const source: RenderSource = { kind: 'original', path: src, mimeType: 'image/tiff', width: 1200, height: 800 };
      const d = await rendered(source, { region: { x: 600, y: 400, w: 600, h: 400 }, size: { w: 150, h: 100 }, format: 'png' });
      expect(colourDistance(meanOf(d, 10, 10, 130, 80), quadColour(900, 600, 1200, 800))).to.be.below(10);
    });

    it('decodes a JPEG 2000 original with opj_decompress, reduced and cut to the region', async function () {
      needCommands(this, 'opj_compress', 'opj_decompress');
      const png = join(dir, 'q.png');
      await writeQuad(png, 1000, 700, (s) => s.png());
      const jp2 = join(dir, 'q.jp2');
      execFileSync('opj_compress', ['-i', png, '-o', jp2, '-n', '5', '-r', '10'], { stdio: 'ignore' });
      const source: RenderSource = { kind: 'original', path: jp2, mimeType: 'image/jp2', width: 1000, height: 700 };
      for (const [name, x, y] of [
        ['top left', 0, 0],
        ['bottom right', 500, 350],
      ] as const) {
        const d = await rendered(source, { region: { x, y, w: 500, h: 350 }, size: { w: 125, h: 88 }, format: 'png' });
        expect([d.width, d.height]).to.deep.equal([125, 88]);
        expect(colourDistance(meanOf(d, 10, 10, 100, 60), quadColour(x + 250, y + 175, 1000, 700)), name).to.be.below(10);
      }
      const centre = await rendered(source, { region: { x: 450, y: 300, w: 100, h: 100 }, size: { w: 100, h: 100 }, format: 'png', mirror: true });
      expect(colourDistance(pixel(centre, 90, 10), quadColour(460, 310, 1000, 700)), 'mirrored: left shows on the right').to.be.below(15);
    });

    it('decodes the IIIF validator JP2 like its PNG twin: whole, region, reduced (../shared/data)', async function () {
      requireSharedData(this);
      needCommands(this, 'opj_decompress');
      const jp2: RenderSource = {
        kind: 'original',
        path: sharedData('images', 'iiif-validator-67352ccc-d1b0-11e1-89ae-279075081939.jp2'),
        mimeType: 'image/jp2',
        width: 1000,
        height: 1000,
      };
      const twin: RenderSource = {
        kind: 'original',
        path: sharedData('images', 'iiif-validator-67352ccc-d1b0-11e1-89ae-279075081939.png'),
        mimeType: 'image/png',
        width: 1000,
        height: 1000,
      };
      for (const [p, tolerance] of [
        [{ region: { x: 0, y: 0, w: 1000, h: 1000 }, size: { w: 1000, h: 1000 } }, 2],
        [{ region: { x: 100, y: 200, w: 300, h: 300 }, size: { w: 300, h: 300 } }, 2],
        [{ region: { x: 0, y: 0, w: 1000, h: 1000 }, size: { w: 125, h: 125 } }, 10],
        [{ region: { x: 100, y: 200, w: 300, h: 300 }, size: { w: 75, h: 75 } }, 10],
      ] as const) {
        const a = await rendered(jp2, { ...p, format: 'png' });
        const b = await rendered(twin, { ...p, format: 'png' });
        expect(meanDifference(a, b, 3), JSON.stringify(p)).to.be.below(tolerance);
      }
    });
  });

  describe('files and signals', function () {
    it('renders the new content when a pyramid is replaced at the same path (libvips would cache the old file)', async function () {
      const path = join(dir, 'replaced.tif');
      const colours = ['#ff0000', '#0000ff'];
      for (const colour of colours) {
        const src = join(dir, `plain-${colour.slice(1)}.png`);
        await sharp({ create: { width: 600, height: 400, channels: 3, background: colour } }).png().toFile(src);
        const i = await makePyramid({ path: src, mimeType: 'image/png' }, path, opts);
        const d = await rendered({ kind: 'pyramid', path, info: i }, { region: { x: 0, y: 0, w: 600, h: 400 }, size: { w: 60, h: 40 }, format: 'png' });
        expect(colourDistance(pixel(d, 30, 20), colour === '#ff0000' ? [255, 0, 0] : [0, 0, 255]), colour).to.be.below(8);
      }
    });

    it('stops when the signal is aborted', async function () {
      const ac = new AbortController();
      ac.abort(new Error('client went away'));
      const err = await rejectionOf(
        renderImage(pyramid, plan({ region: { x: 0, y: 0, w: W, h: H }, size: { w: 300, h: 200 } }), { ...opts, signal: ac.signal }),
      );
      expect((err as Error).message).to.equal('client went away');
    });
  });

  describe('the pixel limit', function () {
    it('refuses an original PNG whose header claims 100 000 × 100 000 (413), without decoding it', async function () {
      const src = join(dir, 'bomb.png');
      await writeFile(src, bombPng(100_000, 100_000));
      const source: RenderSource = { kind: 'original', path: src, mimeType: 'image/png', width: 100_000, height: 100_000 };
      const err = await rejectionOf(renderImage(source, plan({ region: { x: 0, y: 0, w: 100_000, h: 100_000 }, size: { w: 100, h: 100 } }), opts));
      expect(err).to.be.instanceOf(ImageApiError);
      expect((err as ImageApiError).status).to.equal(413);
    });

    it('refuses a pyramid request that would decode more than the limit at the chosen level', async function () {
      const err = await rejectionOf(renderImage(pyramid, plan({ region: { x: 0, y: 0, w: W, h: H }, size: { w: W, h: H } }), { maxInputPixels: 1_000_000 }));
      expect((err as ImageApiError).status).to.equal(413);
      // The same image as a thumbnail comes from a small level, well within the limit.
      const ok = await renderImage(pyramid, plan({ region: { x: 0, y: 0, w: W, h: H }, size: { w: 300, h: 200 } }), { maxInputPixels: 1_000_000 });
      expect(ok.body.length).to.be.above(0);
    });

    it('refuses a JPEG 2000 whose needed resolution is too large, before running opj_decompress', async function () {
      const src = join(dir, 'huge.j2k');
      await writeFile(src, hugeJ2kHeader(100_000, 100_000));
      const source: RenderSource = { kind: 'original', path: src, mimeType: 'image/j2k', width: 100_000, height: 100_000 };
      const err = await rejectionOf(
        renderImage(source, plan({ region: { x: 0, y: 0, w: 100_000, h: 100_000 }, size: { w: 10_000, h: 10_000 } }), {
          maxInputPixels: LIMIT,
          tools: { opj_decompress: '/nonexistent/opj_decompress' },
        }),
      );
      expect((err as ImageApiError).status).to.equal(413);
    });
  });

  describe('edge cases (../shared/data/images/edge-cases)', function () {
    before(function () {
      requireSharedData(this);
    });

    const cases: Array<[string, string, number, number]> = [
      ['cantaloupe-jpg-exif-orientation-270.jpg', 'image/jpeg', 56, 64],
      ['cantaloupe-jpg-icc-chunked.jpg', 'image/jpeg', 64, 56],
      ['cantaloupe-jpg-ycck.jpg', 'image/jpeg', 64, 56],
      ['cantaloupe-png-rgba-64x56x16.png', 'image/png', 64, 56],
      ['cantaloupe-tif-rgb-1res-64x56x8-tiled-uncompressed-bigtiff.tif', 'image/tiff', 64, 56],
      ['cantaloupe-tif-rgb-3res-64x56x16-tiled-uncompressed.tif', 'image/tiff', 64, 56],
      ['cantaloupe-tif-rgba-1res-64x56x8-striped-jpeg.tif', 'image/tiff', 64, 56],
      ['cantaloupe-gif-animated-looping.gif', 'image/gif', 136, 200],
    ];
    for (const [name, mime, w, h] of cases) {
      it(`${name}: a region of the original is that region of sharp's upright rendering`, async function () {
        const src = sharedData('images', 'edge-cases', name);
        const region = { x: 8, y: 8, w: w - 16, h: h - 16 };
        const d = await rendered({ kind: 'original', path: src, mimeType: mime, width: w, height: h }, { region, size: { w: region.w, h: region.h }, format: 'png' });
        const ref = await decode(
          await sharp(await sharp(src, { autoOrient: true }).toColourspace('srgb').png().toBuffer())
            .extract({ left: 8, top: 8, width: region.w, height: region.h })
            .png()
            .toBuffer(),
        );
        expect(meanDifference(d, ref, 3)).to.be.below(1.5);
      });
    }

    for (const name of ['cantaloupe-jp2-6res-rgb-64x56x8-multitiled-lossy.jp2', 'cantaloupe-jp2-6res-rgba-64x56x16-monotiled-reversible.jp2', 'dspace-cat.jp2']) {
      it(`${name}: reduced and cut by opj_decompress`, async function () {
        if (!hasCommand('opj_decompress')) this.skip();
        const src = sharedData('images', 'edge-cases', name);
        const m = /(\d+)x(\d+)/.exec(name) ?? ['', '300', '200'];
        const [w, h] = [Number(m[1]), Number(m[2])];
        const d = await rendered({ kind: 'original', path: src, mimeType: 'image/jp2', width: w, height: h }, { region: { x: 0, y: 0, w, h }, size: { w: w / 2, h: h / 2 }, format: 'png' });
        expect([d.width, d.height]).to.deep.equal([w / 2, h / 2]);
        const { channels } = await sharp(d.body).stats();
        expect(Math.max(...channels.slice(0, 3).map((c) => c.stdev)), 'not blank').to.be.above(8);
      });
    }
  });
});
