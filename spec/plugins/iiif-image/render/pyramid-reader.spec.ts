import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { makePyramid } from '../../../../plugins/iiif-image/render/make-pyramid';
import { forgetPyramid, openPyramid, rawJpegTile, type PyramidFile } from '../../../../plugins/iiif-image/render/pyramid-reader';
import { requireSharedData, sharedData } from '../../../helpers/shared-data';
import { hasCommand } from '../../inventory/media/media-fixtures';
import { bigEndianJpegTiff, decode, meanDifference, pixel, colourDistance, quadColour, writeQuad } from './render-fixtures';

const W = 3000;
const H = 2000;

/** sharp's own decode of a level region, the reference a spliced tile must match. */
async function levelRegion(path: string, page: number, left: number, top: number, size: number): ReturnType<typeof decode> {
  const { data, info } = await sharp(path, { page }).extract({ left, top, width: size, height: size }).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe('iiif-image render: pyramid-reader', function () {
  let dir: string;
  let quadTif: string;
  let pyr: PyramidFile;

  before(async function () {
    this.timeout(60_000);
    dir = await mkdtemp(join(tmpdir(), 'colophon-pyrreader-spec-'));
    await writeQuad(join(dir, 'quad.jpg'), W, H);
    quadTif = join(dir, 'quad.tif');
    await makePyramid({ path: join(dir, 'quad.jpg'), mimeType: 'image/jpeg' }, quadTif, { maxInputPixels: 1e8 });
    pyr = await openPyramid(quadTif);
  });

  after(async function () {
    forgetPyramid();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('openPyramid', function () {
    it('lists every level of a sharp pyramid with its page, size, tiles and JPEG tables', function () {
      expect(pyr.bigTiff).to.equal(false);
      expect(pyr.littleEndian).to.equal(true);
      expect(pyr.levels.map((l) => [l.page, l.width, l.height])).to.deep.equal([
        [0, 3000, 2000],
        [1, 1500, 1000],
        [2, 750, 500],
        [3, 375, 250],
      ]);
      for (const l of pyr.levels) {
        expect([l.tileWidth, l.tileHeight, l.compression, l.photometric, l.samplesPerPixel, l.planarConfig]).to.deep.equal([512, 512, 7, 6, 3, 1]);
        expect(l.tileOffsets).to.have.length(Math.ceil(l.width / 512) * Math.ceil(l.height / 512));
        expect(l.tileByteCounts.every((n) => n > 100)).to.equal(true);
        expect(l.jpegTables?.subarray(0, 2)).to.deep.equal(Buffer.from([0xff, 0xd8]));
      }
    });

    it('agrees with libvips on each level size (sharp page n)', async function () {
      for (const l of pyr.levels) {
        const m = await sharp(quadTif, { page: l.page }).metadata();
        expect([m.width, m.height], `page ${l.page}`).to.deep.equal([l.width, l.height]);
      }
    });

    it('caches the directory per file and reads it again when the file is replaced', async function () {
      expect(await openPyramid(quadTif)).to.equal(pyr);
      const other = join(dir, 'other.tif');
      await sharp({ create: { width: 600, height: 600, channels: 3, background: '#336699' } })
        .tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'jpeg' })
        .toFile(other);
      const replaced = join(dir, 'replaced.tif');
      await copyFile(quadTif, replaced);
      const before = await openPyramid(replaced);
      expect(before.levels).to.have.length(4);
      await copyFile(other, replaced);
      const after = await openPyramid(replaced);
      expect(after).to.not.equal(before);
      expect(after.levels.map((l) => l.width)).to.deep.equal([600, 300, 150]);
    });

    it('reads a BigTIFF pyramid', async function () {
      const big = join(dir, 'big.tif');
      await sharp(join(dir, 'quad.jpg')).tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'jpeg', bigtiff: true }).toFile(big);
      const b = await openPyramid(big);
      expect(b.bigTiff).to.equal(true);
      expect(b.levels.map((l) => [l.width, l.height])).to.deep.equal([
        [3000, 2000],
        [1500, 1000],
        [750, 500],
        [375, 250],
        [187, 125],
      ]);
      const tile = await rawJpegTile(b, 1, 2, 1);
      expect(tile).to.be.instanceOf(Buffer);
      expect(meanDifference(await decode(tile as Buffer), await levelRegion(big, 1, 512, 256, 256))).to.be.below(1);
    });

    it('reads a big-endian TIFF and stops at the next page', async function () {
      const tiles = await Promise.all(
        ['#c02020', '#20a040', '#2040c0', '#e0d020', '#808080'].map((c) => sharp({ create: { width: 16, height: 16, channels: 3, background: c } }).jpeg().toBuffer()),
      );
      const file = join(dir, 'mm.tif');
      await writeFile(
        file,
        bigEndianJpegTiff([
          { width: 32, height: 32, tile: 16, subfileType: 0, tiles: tiles.slice(0, 4) },
          { width: 16, height: 16, tile: 16, subfileType: 1, tiles: [tiles[4]] },
          { width: 16, height: 16, tile: 16, subfileType: 0, tiles: [tiles[4]] }, // page 2: not a level
        ]),
      );
      const mm = await openPyramid(file);
      expect(mm.littleEndian).to.equal(false);
      expect(mm.levels.map((l) => [l.page, l.width, l.height, l.tileWidth, l.photometric])).to.deep.equal([
        [0, 32, 32, 16, 6],
        [1, 16, 16, 16, 6],
      ]);
      // Tiles without JPEGTables are complete JPEGs already: the splice must leave them decodable.
      const t = await rawJpegTile(mm, 0, 1, 1);
      expect(colourDistance(pixel(await decode(t as Buffer), 8, 8), [0xe0, 0xd0, 0x20])).to.be.below(8);
      const l1 = await rawJpegTile(mm, 1, 0, 0);
      expect(colourDistance(pixel(await decode(l1 as Buffer), 8, 8), [0x80, 0x80, 0x80])).to.be.below(8);
    });

    it('rejects a file that is not a TIFF', async function () {
      const file = join(dir, 'not.tif');
      await writeFile(file, 'GIF89a not a tiff at all');
      let err: unknown;
      await openPyramid(file).catch((e: unknown) => (err = e));
      expect(err).to.be.instanceOf(Error);
      expect((err as Error).message).to.match(/not a TIFF/);
    });
  });

  describe('rawJpegTile', function () {
    it('splices an interior tile into a JPEG that decodes to the same pixels as libvips reads from the file', async function () {
      for (const [level, col, row] of [
        [0, 1, 1],
        [0, 4, 2],
        [1, 1, 0],
      ]) {
        const tile = await rawJpegTile(pyr, level, col, row);
        expect(tile, `tile ${level}/${col},${row}`).to.be.instanceOf(Buffer);
        const buf = tile as Buffer;
        expect(buf.subarray(0, 4)).to.deep.equal(Buffer.from([0xff, 0xd8, 0xff, 0xe0])); // SOI, JFIF
        expect(buf.subarray(-2)).to.deep.equal(Buffer.from([0xff, 0xd9]));
        const meta = await sharp(buf).metadata();
        expect([meta.format, meta.width, meta.height, meta.channels]).to.deep.equal(['jpeg', 512, 512, 3]);
        const ref = await levelRegion(quadTif, level, col * 512, row * 512, 512);
        expect(meanDifference(await decode(buf), ref), `tile ${level}/${col},${row}`).to.be.below(1);
      }
    });

    it('gives colours of the right quadrant (YCbCr decoded as YCbCr)', async function () {
      const tl = await decode((await rawJpegTile(pyr, 0, 0, 0)) as Buffer);
      expect(colourDistance(pixel(tl, 100, 100), quadColour(100, 100, W, H))).to.be.below(12);
      const br = await decode((await rawJpegTile(pyr, 0, 4, 2)) as Buffer);
      // tile (4,2) covers x 2048–2559, y 1024–1535: bottom-right quadrant
      expect(colourDistance(pixel(br, 200, 200), quadColour(2248, 1224, W, H))).to.be.below(12);
    });

    it('decodes with a second, independent decoder (ffmpeg) to the same colours', async function () {
      if (!hasCommand('ffmpeg')) this.skip();
      const file = join(dir, 'tile.jpg');
      await writeFile(file, (await rawJpegTile(pyr, 0, 3, 2)) as Buffer);
      const rgb = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
      expect(rgb.length).to.equal(512 * 512 * 3);
      const ref = await levelRegion(quadTif, 0, 3 * 512, 2 * 512, 512);
      expect(meanDifference({ data: rgb, width: 512, height: 512, channels: 3 }, ref)).to.be.below(3);
    });

    it('is null for edge tiles, which are padded past the image', async function () {
      expect(await rawJpegTile(pyr, 0, 5, 0)).to.equal(null); // x 2560–3071 of 3000
      expect(await rawJpegTile(pyr, 0, 0, 3)).to.equal(null); // y 1536–2047 of 2000
      expect(await rawJpegTile(pyr, 3, 0, 0)).to.equal(null); // 375×250 in one 512 tile
    });

    it('throws a RangeError for a tile or level that does not exist', async function () {
      let err: unknown;
      await rawJpegTile(pyr, 0, 6, 0).catch((e: unknown) => (err = e));
      expect(err).to.be.instanceOf(RangeError);
      err = undefined;
      await rawJpegTile(pyr, 9, 0, 0).catch((e: unknown) => (err = e));
      expect(err).to.be.instanceOf(RangeError);
    });

    it('is null when the tiles are not JPEG', async function () {
      const deflate = join(dir, 'deflate.tif');
      await sharp(join(dir, 'quad.jpg')).tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'deflate' }).toFile(deflate);
      const p = await openPyramid(deflate);
      expect(p.levels[0].compression).to.equal(8);
      expect(await rawJpegTile(p, 0, 1, 1)).to.equal(null);
    });

    it('splices a grey pyramid into a one-component JPEG', async function () {
      const grey = join(dir, 'grey.tif');
      await sharp(join(dir, 'quad.jpg')).toColourspace('b-w').png().toFile(join(dir, 'grey.png'));
      await makePyramid({ path: join(dir, 'grey.png'), mimeType: 'image/png' }, grey, { maxInputPixels: 1e8 });
      const p = await openPyramid(grey);
      expect([p.levels[0].photometric, p.levels[0].samplesPerPixel]).to.deep.equal([1, 1]);
      const tile = (await rawJpegTile(p, 0, 1, 1)) as Buffer;
      expect((await sharp(tile).metadata()).channels).to.equal(1);
      expect(meanDifference(await decode(tile), await levelRegion(grey, 0, 512, 512, 512))).to.be.below(1);
    });

    it('marks RGB-coded tiles (PhotometricInterpretation 2) with an Adobe APP14 so decoders skip the YCbCr transform', async function () {
      if (!hasCommand('vips')) this.skip(); // sharp cannot write RGB JPEG-in-TIFF; the vips CLI can (--rgbjpeg)
      const rgb = join(dir, 'rgbjpeg.tif');
      execFileSync('vips', ['tiffsave', join(dir, 'quad.jpg'), rgb, '--tile', '--tile-width', '512', '--tile-height', '512', '--pyramid', '--compression', 'jpeg', '--rgbjpeg']);
      const p = await openPyramid(rgb);
      expect(p.levels[0].photometric).to.equal(2);
      const tile = (await rawJpegTile(p, 0, 1, 1)) as Buffer;
      expect(tile.subarray(2, 4)).to.deep.equal(Buffer.from([0xff, 0xee]));
      expect(tile.toString('latin1', 6, 11)).to.equal('Adobe');
      expect(meanDifference(await decode(tile), await levelRegion(rgb, 0, 512, 512, 512))).to.be.below(1);
      expect(colourDistance(pixel(await decode(tile), 10, 10), quadColour(522, 522, W, H))).to.be.below(12);
    });
  });

  describe('real-world pyramids (../shared/data)', function () {
    before(function () {
      requireSharedData(this);
    });

    it('reads the levels of third-party pyramidal TIFFs and splices their tiles', async function () {
      const cases: Array<[string, number[][], number]> = [
        ['aic-caillebotte-paris-street-rainy-day.pyramid.tif', [[4993, 3877], [2496, 1938], [1248, 969], [624, 484], [312, 242], [156, 121]], 256],
        ['indian-ferns-cover.pyramid.tif', [[2626, 3620], [1313, 1810], [656, 905], [328, 452], [164, 226], [82, 113]], 128],
        ['iiif-validator-67352ccc-d1b0-11e1-89ae-279075081939.pyramid.tif', [[1000, 1000], [500, 500], [250, 250]], 256],
      ];
      for (const [name, sizes, tile] of cases) {
        const file = sharedData('images', name);
        const p = await openPyramid(file);
        expect(p.levels.map((l) => [l.width, l.height]), name).to.deep.equal(sizes);
        expect(p.levels[0].tileWidth, name).to.equal(tile);
        const spliced = await rawJpegTile(p, 1, 0, 0);
        expect(spliced, name).to.be.instanceOf(Buffer);
        // Two of them carry an ICC profile: the tile carries it too, so decoders colour-manage it alike.
        expect((spliced as Buffer).includes(Buffer.from('ICC_PROFILE\0', 'latin1')), name).to.equal(p.levels[1].iccProfile !== null);
        expect(meanDifference(await decode(spliced as Buffer), await levelRegion(file, p.levels[1].page, 0, 0, tile)), name).to.be.below(1);
      }
      expect((await openPyramid(sharedData('images', cases[0][0]))).levels[1].iccProfile).to.not.equal(null);
    });
  });
});
