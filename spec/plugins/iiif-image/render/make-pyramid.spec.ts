import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ImageApiError } from '../../../../plugins/iiif-image/protocol/types';
import { effectiveTileSize, makePyramid, pyramidLevelSizes, type PyramidInfo } from '../../../../plugins/iiif-image/render/make-pyramid';
import { openPyramid } from '../../../../plugins/iiif-image/render/pyramid-reader';
import { RenderError } from '../../../../plugins/iiif-image/render/render-error';
import { requireSharedData, sharedData } from '../../../helpers/shared-data';
import { bombPng, hasCommand, needCommands } from '../../inventory/media/media-fixtures';
import { colourDistance, decode, hugeJ2kHeader, meanDifference, meanOf, pixel, quadColour, writeQuad } from './render-fixtures';

const LIMIT = 100_000_000;

async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Full-resolution level of a written pyramid, decoded by libvips. */
function level0(path: string): ReturnType<typeof decode> {
  return decode(path);
}

describe('iiif-image render: makePyramid', function () {
  let dir: string;
  /** Pyramids are written here; the last tests check nothing else was left behind. */
  let out: string;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'colophon-makepyramid-spec-'));
    out = join(dir, 'out');
    await mkdir(out);
  });

  after(async function () {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('pyramidLevelSizes (the libvips rule)', function () {
    it('halves with floor while a level is larger than one tile and both sides exceed 1 px', function () {
      expect(pyramidLevelSizes(10000, 10000, 512)).to.deep.equal(
        [10000, 5000, 2500, 1250, 625, 312].map((n) => ({ width: n, height: n })),
      );
      expect(pyramidLevelSizes(1025, 513, 512)).to.deep.equal([
        { width: 1025, height: 513 },
        { width: 512, height: 256 },
      ]);
      expect(pyramidLevelSizes(5000, 3, 256)).to.deep.equal([
        { width: 5000, height: 3 },
        { width: 2500, height: 1 },
      ]);
      expect(pyramidLevelSizes(512, 512, 512)).to.deep.equal([{ width: 512, height: 512 }]);
    });

    it('is what libvips writes (read back from the file)', async function () {
      this.timeout(60_000);
      for (const [w, h, t] of [
        [3001, 1999, 256],
        [1025, 513, 512],
        [4000, 300, 256],
        [513, 100, 256],
      ]) {
        const file = join(dir, `levels-${w}x${h}.tif`);
        await sharp({ create: { width: w, height: h, channels: 3, background: '#777' } })
          .tiff({ tile: true, tileWidth: t, tileHeight: t, pyramid: true, compression: 'jpeg' })
          .toFile(file);
        const pyr = await openPyramid(file);
        expect(pyr.levels.map((l) => ({ width: l.width, height: l.height })), `${w}x${h}/${t}`).to.deep.equal(pyramidLevelSizes(w, h, t));
      }
    });
  });

  describe('from a JPEG (3000×2000 quadrants)', function () {
    let src: string;
    let info: PyramidInfo;
    const target = (): string => join(out, 'quad.tif');

    before(async function () {
      this.timeout(60_000);
      src = join(dir, 'quad.jpg');
      await writeQuad(src, 3000, 2000);
      info = await makePyramid({ path: src, mimeType: 'image/jpeg' }, target(), { maxInputPixels: LIMIT });
    });

    it('reports the levels it wrote, level 0 at full resolution, 512 px tiles', function () {
      expect(info).to.deep.equal({
        width: 3000,
        height: 2000,
        tileSize: 512,
        levels: [
          { width: 3000, height: 2000 },
          { width: 1500, height: 1000 },
          { width: 750, height: 500 },
          { width: 375, height: 250 },
        ],
      });
    });

    it('writes tiled JPEG (YCbCr) levels that libvips reads as pages', async function () {
      const pyr = await openPyramid(target());
      expect(pyr.levels.every((l) => l.compression === 7 && l.photometric === 6 && l.tileWidth === 512)).to.equal(true);
      const m = await sharp(target()).metadata();
      expect([m.format, m.pages, m.width, m.height]).to.deep.equal(['tiff', 4, 3000, 2000]);
      const last = await sharp(target(), { page: 3 }).metadata();
      expect([last.width, last.height]).to.deep.equal([375, 250]);
    });

    it('keeps the pixels: each quadrant at level 0 and at level 2 has its colour', async function () {
      const full = await level0(target());
      for (const [x, y] of [
        [700, 500],
        [2300, 500],
        [700, 1500],
        [2300, 1500],
      ]) {
        expect(colourDistance(pixel(full, x, y), quadColour(x, y, 3000, 2000)), `${x},${y}`).to.be.below(10);
      }
      const l2 = await decode(await sharp(target(), { page: 2 }).png().toBuffer());
      expect(colourDistance(pixel(l2, 560, 370), quadColour(2240, 1480, 3000, 2000))).to.be.below(10);
    });

    it('honours tileSize and quality', async function () {
      const small = join(out, 'quad-256.tif');
      const i = await makePyramid({ path: src, mimeType: 'image/jpeg' }, small, { maxInputPixels: LIMIT, tileSize: 256, quality: 40 });
      expect(i.tileSize).to.equal(256);
      expect(i.levels).to.have.length(5);
      const q40 = (await openPyramid(small)).levels[0].tileByteCounts.reduce((a, b) => a + b, 0) / (256 * 256 * 96);
      const q85 = (await openPyramid(target())).levels[0].tileByteCounts.reduce((a, b) => a + b, 0) / (512 * 512 * 24);
      expect(q40, 'bytes per pixel at quality 40 vs 85').to.be.below(q85);
      await rm(small);
    });
  });

  describe('colour, orientation and depth', function () {
    it('applies EXIF orientation 6: the pyramid is upright', async function () {
      // Stored 300×200, left half red, right half blue; orientation 6 shows it turned 90° clockwise.
      const src = join(dir, 'o6.jpg');
      await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ff0000' } })
        .composite([{ input: { create: { width: 150, height: 200, channels: 3, background: '#0000ff' } }, left: 150, top: 0 }])
        .jpeg()
        .withMetadata({ orientation: 6 })
        .toFile(src);
      const info = await makePyramid({ path: src, mimeType: 'image/jpeg' }, join(out, 'o6.tif'), { maxInputPixels: LIMIT });
      expect([info.width, info.height]).to.deep.equal([200, 300]);
      const d = await level0(join(out, 'o6.tif'));
      expect(colourDistance(pixel(d, 100, 40), [255, 0, 0])).to.be.below(12); // stored left → shown on top
      expect(colourDistance(pixel(d, 100, 260), [0, 0, 255])).to.be.below(12);
      expect((await sharp(join(out, 'o6.tif')).metadata()).orientation ?? 1).to.equal(1);
      await rm(join(out, 'o6.tif'));
    });

    it('turns a 16-bit PNG into 8-bit sRGB, alpha flattened onto white', async function () {
      const src = join(dir, 'p16.png');
      // Right half fully transparent.
      const raw = Buffer.alloc(64 * 64 * 4);
      for (let p = 0; p < 64 * 64; p++) raw.set(p % 64 < 32 ? [0x20, 0xc0, 0x40, 255] : [0, 0, 0, 0], p * 4);
      await sharp(raw, { raw: { width: 64, height: 64, channels: 4 } })
        .toColourspace('rgb16')
        .png()
        .toFile(src);
      const m = await sharp(src).metadata();
      expect([m.depth, m.hasAlpha]).to.deep.equal(['ushort', true]);
      await makePyramid({ path: src, mimeType: 'image/png' }, join(out, 'p16.tif'), { maxInputPixels: LIMIT });
      const pyr = await openPyramid(join(out, 'p16.tif'));
      expect([pyr.levels[0].bitsPerSample, pyr.levels[0].samplesPerPixel]).to.deep.equal([[8, 8, 8], 3]);
      const d = await level0(join(out, 'p16.tif'));
      expect(colourDistance(pixel(d, 10, 30), [0x20, 0xc0, 0x40])).to.be.below(10);
      expect(colourDistance(pixel(d, 50, 30), [255, 255, 255])).to.be.below(6);
      await rm(join(out, 'p16.tif'));
    });

    it('converts a CMYK JPEG to sRGB', async function () {
      const src = join(dir, 'cmyk.jpg');
      await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c02030' } }).toColourspace('cmyk').jpeg().toFile(src);
      expect((await sharp(src).metadata()).space).to.equal('cmyk');
      await makePyramid({ path: src, mimeType: 'image/jpeg' }, join(out, 'cmyk.tif'), { maxInputPixels: LIMIT });
      const pyr = await openPyramid(join(out, 'cmyk.tif'));
      expect([pyr.levels[0].photometric, pyr.levels[0].samplesPerPixel]).to.deep.equal([6, 3]);
      const [r, g, b] = meanOf(await level0(join(out, 'cmyk.tif')), 16, 16, 32, 32);
      // Through a CMYK profile and back: not exact, but unmistakably red.
      expect(r).to.be.above(150);
      expect(g).to.be.below(90);
      expect(b).to.be.below(100);
      await rm(join(out, 'cmyk.tif'));
    });

    it('converts through an embedded ICC profile (Display P3 → sRGB)', async function () {
      const src = join(dir, 'p3.jpg');
      // The same bytes read as P3 are more saturated than as sRGB; the pyramid must show the sRGB rendering.
      await sharp({ create: { width: 64, height: 64, channels: 3, background: '#00c000' } }).withIccProfile('p3').jpeg({ quality: 95 }).toFile(src);
      const expected = meanOf(await decode(await sharp(src).toColourspace('srgb').png().toBuffer()), 16, 16, 32, 32);
      const ignoring = meanOf(await decode(await sharp(src, { ignoreIcc: true }).png().toBuffer()), 16, 16, 32, 32);
      expect(colourDistance(expected, ignoring), 'the profile matters for this colour').to.be.above(10);
      await makePyramid({ path: src, mimeType: 'image/jpeg' }, join(out, 'p3.tif'), { maxInputPixels: LIMIT });
      expect(colourDistance(meanOf(await level0(join(out, 'p3.tif')), 16, 16, 32, 32), expected)).to.be.below(5);
      await rm(join(out, 'p3.tif'));
    });

    it('keeps a grey image grey: 8-bit, one sample (PhotometricInterpretation 1)', async function () {
      const src = join(dir, 'grey16.png');
      await sharp({ create: { width: 700, height: 600, channels: 3, background: '#606060' } }).toColourspace('grey16').png().toFile(src);
      expect((await sharp(src).metadata()).space).to.equal('grey16');
      const info = await makePyramid({ path: src, mimeType: 'image/png' }, join(out, 'grey.tif'), { maxInputPixels: LIMIT });
      expect(info.levels).to.have.length(2);
      const pyr = await openPyramid(join(out, 'grey.tif'));
      expect([pyr.levels[0].photometric, pyr.levels[0].samplesPerPixel, pyr.levels[0].bitsPerSample]).to.deep.equal([1, 1, [8]]);
      await rm(join(out, 'grey.tif'));
    });
  });

  describe('other inputs', function () {
    it('reads WebP and the first frame of a GIF', async function () {
      for (const [name, mime, encode] of [
        ['w.webp', 'image/webp', (s: sharp.Sharp) => s.webp({ quality: 95 })],
        ['g.gif', 'image/gif', (s: sharp.Sharp) => s.gif()],
      ] as const) {
        const src = join(dir, name);
        await writeQuad(src, 600, 400, encode);
        const info = await makePyramid({ path: src, mimeType: mime }, join(out, `${name}.tif`), { maxInputPixels: LIMIT });
        expect([info.width, info.height, info.levels.length], name).to.deep.equal([600, 400, 2]);
        const d = await level0(join(out, `${name}.tif`));
        expect(colourDistance(pixel(d, 450, 300), quadColour(450, 300, 600, 400)), name).to.be.below(16);
        await rm(join(out, `${name}.tif`));
      }
    });

    it('takes page 0 of a multi-page TIFF and the full resolution of a pyramidal one', async function () {
      const red = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ff0000' } }).png().toBuffer();
      const blue = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#0000ff' } }).png().toBuffer();
      const multi = join(dir, 'two-pages.tif');
      await sharp([red, blue], { join: { animated: true } }).tiff().toFile(multi);
      expect((await sharp(multi).metadata()).pages).to.equal(2);
      const i1 = await makePyramid({ path: multi, mimeType: 'image/tiff' }, join(out, 'mp.tif'), { maxInputPixels: LIMIT });
      expect([i1.width, i1.height]).to.deep.equal([300, 200]);
      expect(colourDistance(pixel(await level0(join(out, 'mp.tif')), 150, 100), [255, 0, 0])).to.be.below(8);

      const pyramidal = join(dir, 'already.tif');
      await writeQuad(pyramidal, 1200, 800, (s) => s.tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'deflate' }));
      const i2 = await makePyramid({ path: pyramidal, mimeType: 'image/tiff' }, join(out, 'again.tif'), { maxInputPixels: LIMIT });
      expect(i2.levels.map((l) => l.width)).to.deep.equal([1200, 600, 300]);
      await rm(join(out, 'mp.tif'));
      await rm(join(out, 'again.tif'));
    });

    it('gives an image smaller than a tile one tile that fits it (libvips reads no larger one)', async function () {
      expect(effectiveTileSize(100, 512)).to.equal(112);
      expect(effectiveTileSize(5, 512)).to.equal(16);
      expect(effectiveTileSize(513, 512)).to.equal(512);
      const src = join(dir, 'tiny.png');
      await sharp({ create: { width: 100, height: 60, channels: 3, background: '#123456' } }).png().toFile(src);
      const info = await makePyramid({ path: src, mimeType: 'image/png' }, join(out, 'tiny.tif'), { maxInputPixels: LIMIT });
      expect(info).to.deep.equal({ width: 100, height: 60, tileSize: 112, levels: [{ width: 100, height: 60 }] });
      expect((await sharp(join(out, 'tiny.tif')).metadata()).width).to.equal(100);
      await rm(join(out, 'tiny.tif'));
    });

    it('refuses a tile size that is not a multiple of 16, and what is not an image', async function () {
      const src = join(dir, 'tiny.png');
      expect(await rejectionOf(makePyramid({ path: src, mimeType: 'image/png' }, join(out, 'x.tif'), { maxInputPixels: LIMIT, tileSize: 100 }))).to.be.instanceOf(RangeError);
      const pdf = join(dir, 'doc.pdf');
      await writeFile(pdf, '%PDF-1.4\n%%EOF\n');
      const err = await rejectionOf(makePyramid({ path: pdf, mimeType: 'application/pdf' }, join(out, 'x.tif'), { maxInputPixels: LIMIT }));
      expect(err).to.be.instanceOf(RenderError);
      expect((err as RenderError).fault).to.equal('unsupported');
    });

    it('stops when the signal is aborted', async function () {
      const ac = new AbortController();
      ac.abort(new Error('stop'));
      const err = await rejectionOf(makePyramid({ path: join(dir, 'tiny.png'), mimeType: 'image/png' }, join(out, 'x.tif'), { maxInputPixels: LIMIT, signal: ac.signal }));
      expect((err as Error).message).to.equal('stop');
    });
  });

  describe('the pixel limit', function () {
    it('refuses a PNG whose header claims 100 000 × 100 000 with a 413, without decoding it', async function () {
      const src = join(dir, 'bomb.png');
      // Only a few rows of data follow the header: a decoder would fail with "corrupt", so a 413
      // (not a 500) shows that nothing but the header was read.
      await writeFile(src, bombPng(100_000, 100_000));
      const before = process.memoryUsage().rss;
      const err = await rejectionOf(makePyramid({ path: src, mimeType: 'image/png' }, join(out, 'bomb.tif'), { maxInputPixels: LIMIT }));
      expect(err).to.be.instanceOf(ImageApiError);
      expect((err as RenderError).status).to.equal(413);
      expect((err as RenderError).fault).to.equal('too-large');
      expect((err as Error).message).to.match(/100000x100000/);
      expect(process.memoryUsage().rss - before, 'memory grown while refusing').to.be.below(200 * 1024 * 1024);
    });

    it('refuses a JPEG 2000 codestream by its SIZ header before running opj_decompress', async function () {
      const src = join(dir, 'huge.j2k');
      await writeFile(src, hugeJ2kHeader(100_000, 100_000));
      const err = await rejectionOf(
        makePyramid({ path: src, mimeType: 'image/j2k' }, join(out, 'huge.tif'), { maxInputPixels: LIMIT, tools: { opj_decompress: '/nonexistent/opj_decompress' } }),
      );
      expect((err as RenderError).status).to.equal(413);
    });

    it('refuses an ordinary image over a smaller limit', async function () {
      const err = await rejectionOf(makePyramid({ path: join(dir, 'quad.jpg'), mimeType: 'image/jpeg' }, join(out, 'q.tif'), { maxInputPixels: 1_000_000 }));
      expect((err as RenderError).status).to.equal(413);
    });

    it('left nothing behind: no temporary files beside the pyramids, none written for refused images', async function () {
      expect((await readdir(out)).sort()).to.deep.equal(['quad.tif']);
    });
  });

  describe('JPEG 2000', function () {
    it('decodes a project-made JP2 (opj_compress) via opj_decompress', async function () {
      needCommands(this, 'opj_compress', 'opj_decompress');
      const png = join(dir, 'q.png');
      await writeQuad(png, 1000, 700, (s) => s.png());
      const jp2 = join(dir, 'q.jp2');
      execFileSync('opj_compress', ['-i', png, '-o', jp2, '-n', '5', '-r', '20'], { stdio: 'ignore' });
      const scratch = join(dir, 'scratch');
      await mkdir(scratch, { recursive: true });
      const info = await makePyramid({ path: jp2, mimeType: 'image/jp2' }, join(out, 'q-jp2.tif'), { maxInputPixels: LIMIT, tmpDir: scratch });
      expect(info.levels.map((l) => [l.width, l.height])).to.deep.equal([
        [1000, 700],
        [500, 350],
      ]);
      const d = await level0(join(out, 'q-jp2.tif'));
      for (const [x, y] of [
        [200, 150],
        [800, 150],
        [200, 550],
        [800, 550],
      ]) {
        expect(colourDistance(pixel(d, x, y), quadColour(x, y, 1000, 700)), `${x},${y}`).to.be.below(14);
      }
      expect(await readdir(scratch), 'temporary decode removed').to.deep.equal([]);
      await rm(join(out, 'q-jp2.tif'));
    });

    it('decodes the IIIF validator JP2 to the pixels of its PNG twin (../shared/data)', async function () {
      requireSharedData(this);
      needCommands(this, 'opj_decompress');
      const jp2 = sharedData('images', 'iiif-validator-67352ccc-d1b0-11e1-89ae-279075081939.jp2');
      const info = await makePyramid({ path: jp2, mimeType: 'image/jp2' }, join(out, 'validator.tif'), { maxInputPixels: LIMIT, tileSize: 256 });
      expect(info.levels.map((l) => l.width)).to.deep.equal([1000, 500, 250]);
      const twin = await decode(sharedData('images', 'iiif-validator-67352ccc-d1b0-11e1-89ae-279075081939.png'));
      const mine = await level0(join(out, 'validator.tif'));
      expect(meanDifference(mine, twin, 3)).to.be.below(3);
      await rm(join(out, 'validator.tif'));
    });
  });

  describe('edge cases (../shared/data/images/edge-cases)', function () {
    const cases: Array<[string, string, [number, number]]> = [
      ['cantaloupe-jpg-exif-orientation-270.jpg', 'image/jpeg', [56, 64]],
      ['cantaloupe-jpg-icc-chunked.jpg', 'image/jpeg', [64, 56]],
      ['cantaloupe-jpg-rgb-594x522x8-baseline.jpg', 'image/jpeg', [594, 522]],
      ['cantaloupe-jpg-ycck.jpg', 'image/jpeg', [64, 56]],
      ['cantaloupe-png-rgba-64x56x16.png', 'image/png', [64, 56]],
      ['cantaloupe-tif-rgb-1res-64x56x8-tiled-uncompressed-bigtiff.tif', 'image/tiff', [64, 56]],
      ['cantaloupe-tif-rgb-3res-64x56x16-tiled-uncompressed.tif', 'image/tiff', [64, 56]],
      ['cantaloupe-tif-rgba-1res-64x56x8-striped-jpeg.tif', 'image/tiff', [64, 56]],
      ['cantaloupe-gif-animated-looping.gif', 'image/gif', [136, 200]],
      ['cantaloupe-jp2-6res-rgb-64x56x8-multitiled-lossy.jp2', 'image/jp2', [64, 56]],
      ['cantaloupe-jp2-6res-rgba-64x56x16-monotiled-reversible.jp2', 'image/jp2', [64, 56]],
      ['cantaloupe-jpx-6res-rgba-64x56x8-monotiled-lossy.jpx', 'image/jpx', [64, 56]],
      ['node-iiif-relax-codestream.jp2', 'image/jp2', [320, 240]],
      ['dspace-cat.jp2', 'image/jp2', [300, 200]],
    ];

    before(function () {
      requireSharedData(this);
    });

    for (const [name, mime, size] of cases) {
      it(`${name}: upright ${size.join('×')}, the colours of the original`, async function () {
        if (/\.jp[2x]$/.test(name) && !hasCommand('opj_decompress')) this.skip();
        const src = sharedData('images', 'edge-cases', name);
        const file = join(out, `${name}.tif`);
        const info = await makePyramid({ path: src, mimeType: mime }, file, { maxInputPixels: LIMIT });
        expect([info.width, info.height]).to.deep.equal(size);
        if (!/\.jp[2x]$/.test(name)) {
          // sharp's own rendering of the original (oriented, on white, sRGB) through the same JPEG
          // quality: the pyramid must be that image, give or take the encoder.
          const upright = sharp(src, { autoOrient: true }).flatten({ background: '#ffffff' }).toColourspace('srgb');
          const ref = await decode(await sharp(await upright.jpeg({ quality: 85, mozjpeg: false }).toBuffer()).png().toBuffer());
          expect(meanDifference(await level0(file), ref, 3)).to.be.below(1.5);
        } else {
          const { channels } = await sharp(file).stats();
          expect(Math.max(...channels.map((c) => c.stdev)), 'not blank').to.be.above(8);
        }
        await rm(file);
      });
    }
  });
});
