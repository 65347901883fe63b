import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaError, probeMedia, type MediaInfo } from '../../../../plugins/inventory/media';
import { readTiffDirectories, tiffLevelFor, tiffPageCount } from '../../../../plugins/inventory/media/tiff-directories';
import {
  ffprobeDuration,
  ffprobeSize,
  fixture,
  makeFixtures,
  needCommands,
  needSharedData,
  opjDumpSize,
  pdfinfoOf,
  processesMentioning,
  shared,
  sharedFiles,
  type MediaFixtures,
} from './media-fixtures';

/** The rejection of a promise that must reject. */
async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

async function expectMediaError(p: Promise<unknown>, fault: string, message?: RegExp): Promise<MediaError> {
  const err = await rejectionOf(p);
  expect(err).to.be.instanceOf(MediaError);
  const e = err as MediaError;
  expect(e.fault, e.message).to.equal(fault);
  if (message) expect(e.message).to.match(message);
  return e;
}

const NO_TOOL = '/nonexistent/colophon-spec/tool';

describe('inventory media: probeMedia', function () {
  let fx: MediaFixtures;

  before(async function () {
    this.timeout(60_000);
    fx = await makeFixtures(await mkdtemp(join(tmpdir(), 'colophon-probe-spec-')));
  });

  after(async function () {
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });

  describe('images (project fixtures)', function () {
    it('reads JPEG and PNG sizes from the header', async function () {
      expect(await probeMedia(fx.jpeg, 'image/jpeg')).to.deep.equal({
        width: 320,
        height: 200,
        duration: null,
        pageCount: null,
        warnings: [],
      } satisfies MediaInfo);
      const png = await probeMedia(fx.png16Alpha, 'image/png');
      expect([png.width, png.height]).to.deep.equal([320, 200]);
    });

    it('swaps width and height for EXIF orientation 6', async function () {
      const info = await probeMedia(fx.jpegRot6, 'image/jpeg');
      expect([info.width, info.height]).to.deep.equal([200, 320]);
    });

    it('counts TIFF pages, not the reduced-resolution levels of a pyramid', async function () {
      const pyramid = await probeMedia(fx.pyramidTiff, 'image/tiff');
      expect(pyramid).to.include({ width: 320, height: 200, pageCount: 1 });
      const twoPages = await probeMedia(fx.twoPageTiff, 'image/tiff');
      expect(twoPages).to.include({ width: 320, height: 200, pageCount: 2 });
    });

    it('walks the IFD chain and picks the pyramid level that still covers the thumbnail', async function () {
      const dirs = await readTiffDirectories(fx.pyramidTiff);
      expect(dirs.map((d) => [d.width, d.height, d.subfileType & 1])).to.deep.equal([
        [320, 200, 0],
        [160, 100, 1],
        [80, 50, 1],
        [40, 25, 1],
      ]);
      expect(tiffPageCount(dirs)).to.equal(1);
      expect(tiffLevelFor(dirs, 100)).to.equal(1); // 160 ≥ 100 > 80
      expect(tiffLevelFor(dirs, 80)).to.equal(2);
      expect(tiffLevelFor(dirs, 300)).to.equal(0);
      expect(tiffLevelFor(await readTiffDirectories(fx.twoPageTiff), 10)).to.equal(0); // page 2 is no level of page 1
    });

    it('reads JPEG 2000 sizes from the codestream header (JP2 and raw codestream)', async function () {
      const jp2 = fixture(this, fx.jp2, 'opj_compress');
      const j2k = fixture(this, fx.j2k, 'opj_compress');
      expect(await probeMedia(jp2, 'image/jp2')).to.include({ width: 320, height: 200 });
      expect(await probeMedia(j2k, 'image/j2c')).to.include({ width: 320, height: 200 });
    });
  });

  describe('PDF (hand-written fixtures)', function () {
    beforeEach(function () {
      needCommands(this, 'pdfinfo');
    });

    it('gives the page count and the size of page 1 in points', async function () {
      expect(await probeMedia(fx.pdf, 'application/pdf')).to.deep.equal({
        width: 400,
        height: 200,
        duration: null,
        pageCount: 2,
        warnings: [],
      } satisfies MediaInfo);
      expect(pdfinfoOf(fx.pdf).pages).to.equal(2);
    });

    it('gives page 1 as displayed when it is rotated', async function () {
      expect(await probeMedia(fx.pdfRotated, 'application/pdf')).to.include({ width: 200, height: 400, pageCount: 2 });
    });
  });

  describe('audio and video (ffmpeg-made fixtures)', function () {
    it('gives the duration and size of a video', async function () {
      const mp4 = fixture(this, fx.mp4, 'ffmpeg');
      const info = await probeMedia(mp4, 'video/mp4');
      expect(info).to.include({ width: 320, height: 240, pageCount: null });
      expect(info.duration).to.be.closeTo(5, 0.1);
      expect(info.duration).to.be.closeTo(ffprobeDuration(mp4), 0.1);
    });

    it('gives the duration of audio, and no picture size', async function () {
      const mp3 = fixture(this, fx.mp3, 'ffmpeg');
      const wav = fixture(this, fx.wav, 'ffmpeg');
      const a = await probeMedia(mp3, 'audio/mpeg');
      expect(a).to.include({ width: null, height: null });
      expect(a.duration).to.be.closeTo(ffprobeDuration(mp3), 0.1).and.closeTo(2, 0.1);
      expect((await probeMedia(wav, 'audio/wav')).duration).to.be.closeTo(1.5, 0.01);
    });
  });

  describe('failures', function () {
    it('a JPEG cut inside its header → MediaError media-corrupt naming the type', async function () {
      await expectMediaError(probeMedia(fx.truncatedJpeg, 'image/jpeg'), 'media-corrupt', /image\/jpeg.*sharp/);
    });

    it('a broken JP2 → media-corrupt from the header reader', async function () {
      await expectMediaError(probeMedia(fx.corruptJp2, 'image/jp2'), 'media-corrupt', /image\/jp2: JPEG 2000 header/);
    });

    it('a broken PDF → media-corrupt with what pdfinfo said', async function () {
      needCommands(this, 'pdfinfo');
      const e = await expectMediaError(probeMedia(fx.corruptPdf, 'application/pdf'), 'media-corrupt', /application\/pdf: pdfinfo: /);
      expect(e.status).to.equal(422);
      expect(e.code).to.equal('inventory.media-corrupt');
    });

    it('an MP4 without its moov box → media-corrupt with what ffprobe said', async function () {
      const broken = fixture(this, fx.truncatedMp4, 'ffmpeg');
      await expectMediaError(probeMedia(broken, 'video/mp4'), 'media-corrupt', /video\/mp4: ffprobe: .*moov/i);
    });

    it('a missing tool gives nulls and a warning, never a throw', async function () {
      const pdf = await probeMedia(fx.pdf, 'application/pdf', { tools: { pdfinfo: NO_TOOL } });
      expect(pdf).to.include({ pageCount: null, width: null, height: null });
      expect(pdf.warnings.join(' ')).to.match(/pdfinfo is not available/);
      const av = await probeMedia(fx.jpeg, 'video/mp4', { tools: { ffprobe: NO_TOOL } });
      expect(av).to.include({ duration: null, width: null });
      expect(av.warnings.join(' ')).to.match(/ffprobe is not available/);
    });

    it('types without technical metadata give nulls and no warnings', async function () {
      expect(await probeMedia(fx.marc, 'application/marc')).to.deep.equal({
        width: null,
        height: null,
        duration: null,
        pageCount: null,
        warnings: [],
      });
    });

    it('a missing file is the caller’s ENOENT', async function () {
      const err = await rejectionOf(probeMedia(join(fx.dir, 'no-such-file.jpg'), 'image/jpeg'));
      expect((err as NodeJS.ErrnoException).code).to.equal('ENOENT');
    });

    it('kills a tool that hangs and reports media-timeout', async function () {
      needCommands(this, 'ffprobe', 'mkfifo');
      // A FIFO without a writer: ffprobe blocks in open() for ever, a real hang.
      const fifo = join(fx.dir, 'hang-probe.mp4');
      execFileSync('mkfifo', [fifo]);
      const started = Date.now();
      await expectMediaError(probeMedia(fifo, 'video/mp4', { timeoutMs: 300 }), 'media-timeout', /ffprobe ran longer than 300 ms/);
      expect(Date.now() - started).to.be.below(5000);
      expect(processesMentioning(fifo)).to.deep.equal([]);
    });

    it('rejects with the abort reason when aborted', async function () {
      needCommands(this, 'pdfinfo', 'mkfifo');
      const fifo = join(fx.dir, 'hang-probe.pdf');
      execFileSync('mkfifo', [fifo]);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 150);
      const err = await rejectionOf(probeMedia(fifo, 'application/pdf', { signal: ac.signal }));
      expect((err as Error).name).to.equal('AbortError');
      expect(processesMentioning(fifo)).to.deep.equal([]);
    });
  });

  describe('../shared/data', function () {
    beforeEach(function () {
      needSharedData(this);
    });

    it('gives image sizes that ffprobe confirms (EXIF orientation 270 swapped)', async function () {
      needCommands(this, 'ffprobe');
      const cases: Array<[string, string, number | null]> = [
        ['images/collectionbuilder-uidaho-postcard-1910.jpg', 'image/jpeg', null],
        ['images/islandora-workbench-IMG_5083.jpg', 'image/jpeg', null],
        ['images/kant-berlinische-monatsschrift-1784-p17.tif', 'image/tiff', 1],
        ['images/indian-ferns-cover.pyramid.tif', 'image/tiff', 1], // 6 IFDs, one page
        ['images/aic-seurat-la-grande-jatte.pyramid.tif', 'image/tiff', 1],
        ['images/iiif-validator-67352ccc-d1b0-11e1-89ae-279075081939.png', 'image/png', null],
        ['images/edge-cases/cantaloupe-png-rgba-64x56x16.png', 'image/png', null],
        ['images/edge-cases/cantaloupe-jpg-ycck.jpg', 'image/jpeg', null],
      ];
      for (const [rel, mime, pages] of cases) {
        const info = await probeMedia(shared(rel), mime);
        expect([info.width, info.height], rel).to.deep.equal(ffprobeSize(shared(rel)));
        expect(info.pageCount, rel).to.equal(pages);
        expect(info.warnings, rel).to.deep.equal([]);
      }
      const rotated = 'images/edge-cases/cantaloupe-jpg-exif-orientation-270.jpg';
      const [w, h] = ffprobeSize(shared(rotated));
      expect([w, h]).to.deep.equal([64, 56]);
      expect(await probeMedia(shared(rotated), 'image/jpeg')).to.include({ width: h, height: w });
    });

    it('gives the size of a BigTIFF (known from SOURCES.md: 64×56)', async function () {
      const info = await probeMedia(shared('images/edge-cases/cantaloupe-tif-rgb-1res-64x56x8-tiled-uncompressed-bigtiff.tif'), 'image/tiff');
      expect(info).to.include({ width: 64, height: 56, pageCount: 1 });
    });

    it('gives JPEG 2000 sizes that opj_dump confirms, without decoding', async function () {
      needCommands(this, 'opj_dump');
      const files = [...sharedFiles('images', /\.jp2$/), ...sharedFiles('images/edge-cases', /\.(jp2|jpx)$/)];
      expect(files.length).to.be.at.least(6);
      for (const rel of files) {
        const mime = rel.endsWith('codestream.jp2') ? 'image/j2c' : rel.endsWith('.jpx') ? 'image/jpx' : 'image/jp2';
        const info = await probeMedia(shared(rel), mime, { tools: { opj_decompress: NO_TOOL } }); // header only
        expect([info.width, info.height], rel).to.deep.equal(opjDumpSize(shared(rel)));
      }
      expect(await probeMedia(shared('images/loris-typescript-page-gray.jp2'), 'image/jp2')).to.include({ width: 2477, height: 3200 });
    });

    it('gives PDF page counts and page-1 sizes that pdfinfo confirms', async function () {
      needCommands(this, 'pdfinfo');
      const known: Record<string, number> = {
        'docs/dspace-ConstitutionofIreland.pdf': 64,
        'docs/cantaloupe-pdf-multipage.pdf': 2,
        'docs/collectionbuilder-uidaho-postcard-1912.pdf': 2,
        'docs/ocrmypdf-huckleberry-finn-p22.pdf': 1,
      };
      for (const rel of sharedFiles('docs', /\.pdf$/)) {
        const info = await probeMedia(shared(rel), 'application/pdf');
        const ref = pdfinfoOf(shared(rel));
        expect(info.pageCount, rel).to.equal(ref.pages).and.equal(known[rel]);
        expect([info.width, info.height], rel).to.deep.equal([ref.width, ref.height]);
      }
    });

    it('gives durations within 0.1 s of ffprobe, and video sizes', async function () {
      needCommands(this, 'ffprobe');
      const cases: Array<[string, string, number]> = [
        ['docs/mdn-rabbit320.mp4', 'video/mp4', 7.8],
        ['docs/mdn-rabbit320.webm', 'video/webm', 7.8],
        ['docs/mdn-bear.mp3', 'audio/mpeg', 6.3],
        ['docs/mdn-bear.ogg', 'audio/ogg', 6.2],
      ];
      for (const [rel, mime, seconds] of cases) {
        const info = await probeMedia(shared(rel), mime);
        expect(info.duration, rel).to.be.closeTo(ffprobeDuration(shared(rel)), 0.1).and.closeTo(seconds, 0.1);
        if (mime.startsWith('video/')) expect([info.width, info.height], rel).to.deep.equal(ffprobeSize(shared(rel)));
        else expect([info.width, info.height], rel).to.deep.equal([null, null]);
      }
    });
  });
});
