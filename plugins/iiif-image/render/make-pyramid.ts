import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { essence, mediaKind } from '../../inventory/media/media-kind';
import { DEFAULT_TIMEOUT_MS, type MediaToolsOptions } from '../../inventory/media/media-tools';
import { decodeJpeg2000, jpeg2000Header, withTempDir } from './decode-jpeg2000';
import { forgetPyramid, openPyramid } from './pyramid-reader';
import { fromSharpError, RenderError, tooLarge } from './render-error';

/** What a pyramidal derivative holds: its size, tile size and the size of each level (0 = full). */
export interface PyramidInfo {
  width: number;
  height: number;
  tileSize: number;
  levels: { width: number; height: number }[];
}

export type MakePyramidOptions = MediaToolsOptions & {
  /** Tile width and height, px: a multiple of 16 (default 512). Images smaller than one tile get one tile that fits them. */
  tileSize?: number;
  /** JPEG quality of the tiles, 1–100 (default 85). */
  quality?: number;
  /** Largest image, in pixels, that is decoded; more is a RenderError 'too-large' (413). */
  maxInputPixels: number;
};

export const DEFAULT_TILE_SIZE = 512;
export const DEFAULT_PYRAMID_QUALITY = 85;

/**
 * The level sizes libvips writes for a pyramid (vips2tiff.c wtiff_layer_init): each level is
 * floor(w/2) x floor(h/2) of the one above, and another is added while the current level is
 * larger than one tile on either side and both sides are still over 1 px.
 */
export function pyramidLevelSizes(width: number, height: number, tileSize: number): { width: number; height: number }[] {
  const levels = [{ width, height }];
  for (let w = width, h = height; (w > tileSize || h > tileSize) && w > 1 && h > 1; ) {
    w = Math.floor(w / 2);
    h = Math.floor(h / 2);
    levels.push({ width: w, height: h });
  }
  return levels;
}

/**
 * The tile size used for an image whose upright longest side is `longest`. libvips refuses to
 * read a TIFF whose tiles are larger than round_up(2 × longest side, 256) (tiff2vips.c
 * rtiff_header_read), so an image that fits in one tile gets one just big enough (a multiple of 16).
 */
export function effectiveTileSize(longest: number, tileSize: number): number {
  return longest <= tileSize ? Math.max(16, Math.ceil(longest / 16) * 16) : tileSize;
}

/**
 * Write a tiled, JPEG-compressed, pyramidal TIFF of an image (JPEG, PNG, TIFF — page 0, the
 * full resolution of a pyramid —, WebP, GIF — the first frame —, JPEG 2000 via opj_decompress)
 * to `outPath`: upright (EXIF/TIFF orientation applied), 8-bit sRGB, or 8-bit grey when the
 * source is grey (CMYK, 16-bit and ICC-profiled sources are converted; alpha is flattened onto
 * white, as JPEG tiles cannot carry it). The image is refused with a RenderError 'too-large'
 * (413) from its header alone when it has more than maxInputPixels; libvips' own pixel limit
 * guards the decoder besides. Written to a temporary name beside `outPath`, then renamed.
 */
export async function makePyramid(input: { path: string; mimeType: string }, outPath: string, opts: MakePyramidOptions): Promise<PyramidInfo> {
  const tileSize = opts.tileSize ?? DEFAULT_TILE_SIZE;
  const quality = opts.quality ?? DEFAULT_PYRAMID_QUALITY;
  if (!Number.isInteger(tileSize) || tileSize < 16 || tileSize > 8192 || tileSize % 16 !== 0) {
    throw new RangeError(`tileSize must be a multiple of 16 from 16 to 8192 (TIFF 6.0 §15; libvips reads no other), not ${tileSize}`);
  }
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new RangeError(`quality must be 1–100, not ${quality}`);
  const abs = resolve(input.path);
  await stat(abs); // a missing file is the caller's ENOENT, not a media fault
  opts.signal?.throwIfAborted();
  const mime = essence(input.mimeType);
  const out = resolve(outPath);
  const tmp = join(dirname(out), `.${basename(out)}.${randomBytes(6).toString('hex')}.tmp.tif`);

  try {
    switch (mediaKind(mime)) {
      case 'jpeg2000': {
        const h = await jpeg2000Header(abs, mime);
        if (h.width * h.height > opts.maxInputPixels) throw tooLarge(mime, h.width, h.height, opts.maxInputPixels);
        await withTempDir(opts, async (dir) => {
          const decoded = await decodeJpeg2000(abs, h, dir, opts, { reduce: 0 });
          opts.signal?.throwIfAborted();
          await writePyramid(decoded, 'image/tiff (decoded JPEG 2000)', tmp, tileSize, quality, opts);
        });
        break;
      }
      case 'image':
        await writePyramid(abs, mime, tmp, tileSize, quality, opts);
        break;
      default:
        throw new RenderError('unsupported', `${mime}: not an image this server makes pyramids of`);
    }
    opts.signal?.throwIfAborted();
    const pyr = await openPyramid(tmp);
    forgetPyramid(tmp);
    const full = pyr.levels[0];
    const info: PyramidInfo = {
      width: full.width,
      height: full.height,
      tileSize: full.tileWidth,
      levels: pyr.levels.map((l) => ({ width: l.width, height: l.height })),
    };
    await rename(tmp, out);
    forgetPyramid(out);
    return info;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function writePyramid(src: string, what: string, tmp: string, tileSize: number, quality: number, opts: MakePyramidOptions): Promise<void> {
  const limit = opts.maxInputPixels;
  try {
    // The header first: a decompression bomb is refused before a single pixel is decoded.
    const meta = await sharp(src, { limitInputPixels: false, page: 0 }).metadata();
    if (!meta.width || !meta.height) throw new RenderError('corrupt', `${what}: the header gives no size`);
    if (meta.width * meta.height > limit) throw tooLarge(what, meta.width, meta.height, limit);
    const upright = meta.autoOrient;
    const tile = effectiveTileSize(Math.max(upright.width, upright.height), tileSize);
    const grey = meta.space === 'b-w' || meta.space === 'grey16';
    let pipeline = sharp(src, { limitInputPixels: limit, page: 0, autoOrient: true, failOn: 'error' })
      .timeout({ seconds: Math.max(1, Math.ceil((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)) });
    if (meta.hasAlpha) pipeline = pipeline.flatten({ background: '#ffffff' });
    // Converting to sRGB (or grey) also applies an embedded ICC profile and ends at 8 bits a sample.
    await pipeline
      .toColourspace(grey ? 'b-w' : 'srgb')
      .tiff({
        tile: true,
        tileWidth: tile,
        tileHeight: tile,
        pyramid: true,
        compression: 'jpeg',
        quality,
        // Classic TIFF ends at 4 GiB; uncompressed size is a safe upper bound for the JPEG tiles.
        bigtiff: upright.width * upright.height * (grey ? 1 : 3) > 0xf0000000,
      })
      .toFile(tmp);
  } catch (err) {
    throw fromSharpError(what, err, limit);
  }
}
