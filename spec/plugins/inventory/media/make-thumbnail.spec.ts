import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { MediaError, makeThumbnail, type Thumbnail } from '../../../../plugins/inventory/media';
import {
  expectThumbnail,
  fixture,
  makeFixtures,
  maxStdev,
  needCommands,
  needSharedData,
  pdfinfoOf,
  processesMentioning,
  regionMean,
  shared,
  sharedFiles,
  type MediaFixtures,
} from './media-fixtures';

async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

async function expectFault(p: Promise<unknown>, fault: string, message?: RegExp): Promise<void> {
  const err = await rejectionOf(p);
  expect(err).to.be.instanceOf(MediaError);
  expect((err as MediaError).fault, (err as Error).message).to.equal(fault);
  if (message) expect((err as Error).message).to.match(message);
}

const NO_TOOL = '/nonexistent/colophon-spec/tool';

describe('inventory media: makeThumbnail', function () {
  let fx: MediaFixtures;
  /** Every call below uses this temp dir, so the last test can check nothing was left behind. */
  let scratch: string;
  const opts = (): { tmpDir: string } => ({ tmpDir: scratch });

  before(async function () {
    this.timeout(60_000);
    fx = await makeFixtures(await mkdtemp(join(tmpdir(), 'colophon-thumb-spec-')));
    scratch = join(fx.dir, 'scratch');
    await mkdir(scratch);
  });

  after(async function () {
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });

  describe('images (project fixtures)', function () {
    it('JPEG → a JPEG of at most 300 px with the same aspect', async function () {
      const t = await makeThumbnail(fx.jpeg, 'image/jpeg', opts());
      expect(t.mimeType).to.equal('image/jpeg');
      expect([t.width, t.height]).to.deep.equal([300, 188]);
      await expectThumbnail(t, { size: 300, source: 'image', ratio: 320 / 200 });
    });

    it('applies EXIF orientation 6: portrait, and turned clockwise', async function () {
      const t = await makeThumbnail(fx.jpegRot6, 'image/jpeg', { ...opts(), size: 160 });
      await expectThumbnail(t, { size: 160, source: 'image', ratio: 200 / 320 });
      expect([t.width, t.height]).to.deep.equal([100, 160]);
      // Stored: red grows left→right, green top→bottom. Turned 90° clockwise for display, red
      // grows top→bottom and green right→left.
      const [rTop] = await regionMean(t.data, 10, 5, 80, 20);
      const [rBottom] = await regionMean(t.data, 10, 135, 80, 20);
      expect(rBottom - rTop).to.be.above(100);
      const [, gLeft] = await regionMean(t.data, 5, 20, 20, 120);
      const [, gRight] = await regionMean(t.data, 75, 20, 20, 120);
      expect(gRight - gLeft).to.be.below(-100);
    });

    it('keeps transparency: 16-bit RGBA PNG → 8-bit PNG with alpha', async function () {
      const t = await makeThumbnail(fx.png16Alpha, 'image/png', opts());
      expect(t.mimeType).to.equal('image/png');
      await expectThumbnail(t, { size: 300, source: 'image', ratio: 1.6 });
      const meta = await sharp(t.data).metadata();
      expect(meta).to.include({ channels: 4, depth: 'uchar' });
      const right = await regionMean(t.data, 200, 50, 50, 50);
      expect(right[3], 'alpha of the transparent half').to.be.below(5);
    });

    it('converts CMYK to sRGB', async function () {
      const t = await makeThumbnail(fx.cmykJpeg, 'image/jpeg', opts());
      await expectThumbnail(t, { size: 300, source: 'image', ratio: 1.6 });
      expect(await sharp(t.data).metadata()).to.include({ space: 'srgb', channels: 3 });
    });

    it('shows the first page of a multi-page TIFF', async function () {
      const t = await makeThumbnail(fx.twoPageTiff, 'image/tiff', opts());
      await expectThumbnail(t, { size: 300, source: 'image', ratio: 1.6 });
      const [r, g] = await regionMean(t.data, 0, 0, t.width, t.height);
      expect(r - g, 'page 1 is red, page 2 green').to.be.above(80);
    });

    it('makes a small thumbnail of a pyramidal TIFF from a reduced level', async function () {
      const t = await makeThumbnail(fx.pyramidTiff, 'image/tiff', { ...opts(), size: 100 });
      await expectThumbnail(t, { size: 100, source: 'image', ratio: 1.6 });
      expect([t.width, t.height]).to.deep.equal([100, 63]);
    });

    it('does not enlarge an image smaller than the size', async function () {
      const t = await makeThumbnail(fx.jpeg, 'image/jpeg', { ...opts(), size: 1000 });
      expect([t.width, t.height]).to.deep.equal([320, 200]);
    });

    it('JPEG 2000: decodes a reduced resolution with opj_decompress, JP2 and raw codestream', async function () {
      for (const [file, mime] of [
        [fixture(this, fx.jp2, 'opj_compress'), 'image/jp2'],
        [fixture(this, fx.j2k, 'opj_compress'), 'image/j2c'],
      ] as const) {
        needCommands(this, 'opj_decompress');
        const t = await makeThumbnail(file, mime, { ...opts(), size: 100 });
        await expectThumbnail(t, { size: 100, source: 'image', ratio: 1.6 });
      }
    });
  });

  describe('PDF, video, audio (project fixtures)', function () {
    it('PDF → page 1 rendered by pdftoppm', async function () {
      needCommands(this, 'pdftoppm');
      const t = await makeThumbnail(fx.pdf, 'application/pdf', opts());
      expect(t.mimeType).to.equal('image/jpeg');
      await expectThumbnail(t, { size: 300, source: 'pdf', ratio: 2 });
      // The red box sits in the right half of page 1.
      const [r, g, b] = await regionMean(t.data, 190, 50, 40, 40);
      expect(r).to.be.above(180);
      expect(g).to.be.below(100);
      expect(b).to.be.below(100);
    });

    it('PDF → a rotated page 1 as displayed', async function () {
      needCommands(this, 'pdftoppm');
      const t = await makeThumbnail(fx.pdfRotated, 'application/pdf', opts());
      await expectThumbnail(t, { size: 300, source: 'pdf', ratio: 0.5 });
    });

    it('video → a frame past the black opening second', async function () {
      const mp4 = fixture(this, fx.mp4, 'ffmpeg');
      const t = await makeThumbnail(mp4, 'video/mp4', opts());
      await expectThumbnail(t, { size: 300, source: 'video', ratio: 320 / 240, minStdev: 20 });
    });

    it('audio (MP3, WAV) → a waveform', async function () {
      for (const [file, mime] of [
        [fixture(this, fx.mp3, 'ffmpeg'), 'audio/mpeg'],
        [fixture(this, fx.wav, 'ffmpeg'), 'audio/wav'],
      ] as const) {
        const t = await makeThumbnail(file, mime, opts());
        expect(t.mimeType).to.equal('image/png');
        await expectThumbnail(t, { size: 300, source: 'audio', ratio: 2 });
      }
    });
  });

  describe('icons', function () {
    it('other types get a format icon', async function () {
      const t = await makeThumbnail(fx.marc, 'application/marc', opts());
      await expectThumbnail(t, { size: 300, source: 'icon', ratio: 1 });
      expect([t.width, t.height, t.mimeType]).to.deep.equal([300, 300, 'image/png']);
    });

    it('a missing tool gives an icon instead of a picture', async function () {
      const checks: Array<[string | null, string, Record<string, string>]> = [
        [fx.pdf, 'application/pdf', { pdftoppm: NO_TOOL }],
        [fx.jp2, 'image/jp2', { opj_decompress: NO_TOOL }],
        [fx.mp4, 'video/mp4', { ffmpeg: NO_TOOL }],
        [fx.mp4, 'video/mp4', { ffmpeg: NO_TOOL, ffprobe: NO_TOOL }],
        [fx.mp3, 'audio/mpeg', { ffmpeg: NO_TOOL }],
      ];
      for (const [file, mime, tools] of checks) {
        if (file === null) continue; // made only where opj_compress / ffmpeg exist
        const t = await makeThumbnail(file, mime, { ...opts(), tools, size: 120 });
        await expectThumbnail(t, { size: 120, source: 'icon', ratio: 1 });
      }
    });

    it('a type sharp cannot read gives an icon', async function () {
      const t = await makeThumbnail(fx.marc, 'image/x-unknown-raster', opts());
      expect(t.source).to.equal('icon');
    });
  });

  describe('failures', function () {
    it('a JPEG cut inside its header → media-corrupt', async function () {
      await expectFault(makeThumbnail(fx.truncatedJpeg, 'image/jpeg', opts()), 'media-corrupt', /^image\/jpeg: sharp/);
    });

    it('a broken PDF → media-corrupt with what pdftoppm said', async function () {
      needCommands(this, 'pdftoppm');
      await expectFault(makeThumbnail(fx.corruptPdf, 'application/pdf', opts()), 'media-corrupt', /pdftoppm/);
    });

    it('a broken JP2 → media-corrupt', async function () {
      await expectFault(makeThumbnail(fx.corruptJp2, 'image/jp2', opts()), 'media-corrupt', /image\/jp2/);
    });

    it('a decompression bomb → media-too-large (sharp limitInputPixels)', async function () {
      await expectFault(makeThumbnail(fx.pngBomb, 'image/png', opts()), 'media-too-large', /pixel/);
    });

    it('maxInputPixels is enforced for images and, before decoding, for JPEG 2000', async function () {
      await expectFault(makeThumbnail(fx.jpeg, 'image/jpeg', { ...opts(), maxInputPixels: 10_000 }), 'media-too-large');
      const jp2 = fixture(this, fx.jp2, 'opj_compress');
      // 320×200 reduces to 40×25 for a 30 px thumbnail: 1000 pixels pass, 999 do not.
      await makeThumbnail(jp2, 'image/jp2', { ...opts(), size: 30, maxInputPixels: 1000, tools: { opj_decompress: NO_TOOL } });
      await expectFault(
        makeThumbnail(jp2, 'image/jp2', { ...opts(), size: 30, maxInputPixels: 999, tools: { opj_decompress: NO_TOOL } }),
        'media-too-large',
      );
    });

    it('a bad size → media-bad-option', async function () {
      for (const size of [0, -5, 1.5, 100_000]) {
        await expectFault(makeThumbnail(fx.jpeg, 'image/jpeg', { ...opts(), size }), 'media-bad-option');
      }
    });

    it('kills the tool and cleans up on abort', async function () {
      needCommands(this, 'pdftoppm', 'mkfifo');
      const fifo = join(fx.dir, 'hang-thumb.pdf'); // no writer: pdftoppm blocks opening it
      execFileSync('mkfifo', [fifo]);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 150);
      const err = await rejectionOf(makeThumbnail(fifo, 'application/pdf', { ...opts(), signal: ac.signal }));
      expect((err as Error).name).to.equal('AbortError');
      expect(processesMentioning(fifo)).to.deep.equal([]);
    });

    it('kills the tool on timeout → media-timeout', async function () {
      needCommands(this, 'ffprobe', 'mkfifo');
      const fifo = join(fx.dir, 'hang-thumb.mp4');
      execFileSync('mkfifo', [fifo]);
      await expectFault(makeThumbnail(fifo, 'video/mp4', { ...opts(), timeoutMs: 300 }), 'media-timeout');
      expect(processesMentioning(fifo)).to.deep.equal([]);
    });

    it('left no temporary files behind (successes and failures above)', async function () {
      expect(await readdir(scratch)).to.deep.equal([]);
    });
  });

  describe('../shared/data', function () {
    beforeEach(function () {
      needSharedData(this);
    });

    const check = async (rel: string, mime: string, source: Thumbnail['source'], ratio?: number): Promise<Thumbnail> => {
      const t = await makeThumbnail(shared(rel), mime, opts());
      await expectThumbnail(t, { size: 300, source, ratio });
      return t;
    };

    it('JPEG: the postcard, and an EXIF-rotated photo turned to portrait', async function () {
      await check('images/collectionbuilder-uidaho-postcard-1910.jpg', 'image/jpeg', 'image', 1080 / 695);
      await check('images/edge-cases/cantaloupe-jpg-exif-orientation-270.jpg', 'image/jpeg', 'image', 56 / 64);
      await check('images/edge-cases/cantaloupe-jpg-ycck.jpg', 'image/jpeg', 'image', 64 / 56);
    });

    it('TIFF: a JPEG-in-TIFF scan and pyramidal TIFFs', async function () {
      await check('images/kant-berlinische-monatsschrift-1784-p17.tif', 'image/tiff', 'image', 1457 / 2083);
      await check('images/aic-seurat-la-grande-jatte.pyramid.tif', 'image/tiff', 'image', 4655 / 3118);
      await check('images/indian-ferns-cover.pyramid.tif', 'image/tiff', 'image', 2626 / 3620);
      await check('images/edge-cases/cantaloupe-tif-rgb-3res-64x56x16-tiled-uncompressed.tif', 'image/tiff', 'image', 64 / 56);
    });

    it('JPEG 2000: every .jp2/.jpx, RGB, grey, 16-bit RGBA and a raw codestream', async function () {
      needCommands(this, 'opj_decompress');
      const ratios: Record<string, number> = {
        'images/iiif-validator-67352ccc-d1b0-11e1-89ae-279075081939.jp2': 1,
        'images/loris-typescript-page-gray.jp2': 2477 / 3200,
        'images/edge-cases/cantaloupe-jp2-6res-rgb-64x56x8-multitiled-lossy.jp2': 64 / 56,
        'images/edge-cases/cantaloupe-jp2-6res-rgba-64x56x16-monotiled-reversible.jp2': 64 / 56,
        'images/edge-cases/cantaloupe-jpx-6res-rgba-64x56x8-monotiled-lossy.jpx': 64 / 56,
        'images/edge-cases/dspace-cat.jp2': 300 / 200,
        'images/edge-cases/node-iiif-relax-codestream.jp2': 320 / 240,
      };
      const files = [...sharedFiles('images', /\.jp2$/), ...sharedFiles('images/edge-cases', /\.(jp2|jpx)$/)];
      expect(files.sort()).to.deep.equal(Object.keys(ratios).sort());
      for (const rel of files) {
        const mime = rel.endsWith('codestream.jp2') ? 'image/j2c' : rel.endsWith('.jpx') ? 'image/jpx' : 'image/jp2';
        await check(rel, mime, 'image', ratios[rel]);
      }
    });

    it('PNG: 8-bit RGB and 16-bit RGBA', async function () {
      await check('images/iiif-validator-67352ccc-d1b0-11e1-89ae-279075081939.png', 'image/png', 'image', 1);
      const t = await check('images/edge-cases/cantaloupe-png-rgba-64x56x16.png', 'image/png', 'image', 64 / 56);
      expect(t.mimeType).to.equal('image/png');
    });

    it('PDF: page 1 of every PDF, at the page’s aspect', async function () {
      needCommands(this, 'pdftoppm', 'pdfinfo');
      for (const rel of sharedFiles('docs', /\.pdf$/)) {
        const { width, height } = pdfinfoOf(shared(rel));
        const t = await check(rel, 'application/pdf', 'pdf', width / height);
        expect(Math.max(t.width, t.height), rel).to.equal(300); // -scale-to fits the long side
      }
    });

    it('video: MP4 and WebM frames', async function () {
      needCommands(this, 'ffmpeg', 'ffprobe');
      await check('docs/mdn-rabbit320.mp4', 'video/mp4', 'video', 320 / 240);
      await check('docs/mdn-rabbit320.webm', 'video/webm', 'video', 320 / 240);
    });

    it('audio: MP3 and Ogg waveforms', async function () {
      needCommands(this, 'ffmpeg');
      for (const [rel, mime] of [
        ['docs/mdn-bear.mp3', 'audio/mpeg'],
        ['docs/mdn-bear.ogg', 'audio/ogg'],
      ]) {
        const t = await check(rel, mime, 'audio', 2);
        expect(await maxStdev(t.data), rel).to.be.above(30);
      }
    });

    it('left no temporary files behind', async function () {
      expect(await readdir(scratch)).to.deep.equal([]);
    });
  });
});
