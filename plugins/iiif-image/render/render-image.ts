import { resolve } from 'node:path';
import sharp from 'sharp';
import { essence, mediaKind } from '../../inventory/media/media-kind';
import { DEFAULT_TIMEOUT_MS, type MediaToolsOptions } from '../../inventory/media/media-tools';
import { FORMAT_MEDIA_TYPES, type ImagePlan } from '../protocol/types';
import { decodeJpeg2000, jpeg2000Header, withTempDir, type PixelArea } from './decode-jpeg2000';
import type { PyramidInfo } from './make-pyramid';
import { openPyramid, rawJpegTile, type PyramidFile } from './pyramid-reader';
import { fromSharpError, RenderError, tooLarge } from './render-error';

/** Where the pixels of a request come from: the pyramidal derivative, or the original when there is none yet. */
export type RenderSource =
  | { kind: 'pyramid'; path: string; info: PyramidInfo }
  | { kind: 'original'; path: string; mimeType: string; width: number; height: number };

export type RenderOptions = MediaToolsOptions & {
  /** Largest number of pixels decoded for one request; more is a RenderError 'too-large' (413). */
  maxInputPixels: number;
  /** JPEG and WebP quality, 1–100 (default 85). */
  quality?: number;
};

export const DEFAULT_RENDER_QUALITY = 85;

// libvips caches an opened file by its name and keeps reading the old content after the file
// is replaced (renamed over) at that path, as a rebuilt pyramid is: sharp's file cache off.
// On a 10 000² pyramid the difference in render time was within the noise (a TIFF header is cheap).
sharp.cache({ files: 0 });

/** The part of a plan that decides which resolution is read. */
type Geometry = Pick<ImagePlan, 'region' | 'size'>;
type Size = { width: number; height: number };

/** Decoded pixels of the scaled region, 8 bits a sample: 1 grey, 2 grey+alpha, 3 sRGB, 4 sRGB+alpha. */
interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/**
 * Render one IIIF image request: region, size, mirror, rotation, quality, format, in that order
 * (Image API 3.0 §4). From a pyramid only the smallest level that still has enough pixels is
 * read, and only the tiles under the region; a request for exactly one stored tile is answered
 * with that tile's bytes. Throws RenderError (413 past maxInputPixels, 500, 503) or the abort reason.
 */
export async function renderImage(source: RenderSource, plan: ImagePlan, opts: RenderOptions): Promise<{ body: Buffer; mediaType: string }> {
  opts.signal?.throwIfAborted();
  let px: Pixels;
  if (source.kind === 'pyramid') {
    const pyr = await openPyramid(source.path);
    const raw = await fastTile(pyr, plan);
    if (raw) return { body: raw, mediaType: FORMAT_MEDIA_TYPES.jpg };
    px = await pyramidPixels(pyr, plan, opts);
  } else {
    px = await originalPixels(source, plan, opts);
  }
  opts.signal?.throwIfAborted();
  return { body: await finish(px, plan, opts), mediaType: FORMAT_MEDIA_TYPES[plan.format] };
}

/**
 * The stored JPEG tile itself, when the request is exactly one interior tile of a level
 * (jpg, default/color, no rotation or mirror, region on the level's tile grid, size = tile):
 * no pixel is decoded. Null otherwise (also for edge tiles, which are padded in the file).
 */
export async function fastTile(source: RenderSource | PyramidFile, plan: ImagePlan): Promise<Buffer | null> {
  if (plan.format !== 'jpg' || (plan.quality !== 'default' && plan.quality !== 'color') || plan.rotation !== 0 || plan.mirror) return null;
  if ('kind' in source && source.kind !== 'pyramid') return null;
  const pyr = 'kind' in source ? await openPyramid(source.path) : source;
  const full = pyr.levels[0];
  const { region, size } = plan;
  for (const [k, L] of pyr.levels.entries()) {
    if (!L.tileWidth || size.w !== L.tileWidth || size.h !== L.tileHeight) continue;
    const fx = levelFactor(full.width, L.width);
    const fy = levelFactor(full.height, L.height);
    if (!Number.isInteger(fx) || !Number.isInteger(fy)) continue;
    const spanX = L.tileWidth * fx;
    const spanY = L.tileHeight * fy;
    if (region.w !== spanX || region.h !== spanY || region.x % spanX !== 0 || region.y % spanY !== 0) continue;
    // Level k pixel i is the mean of full-resolution pixels [i·f, (i+1)·f) (libvips shrinks by 2×2 blocks).
    const col = region.x / spanX;
    const row = region.y / spanY;
    if ((col + 1) * L.tileWidth > L.width || (row + 1) * L.tileHeight > L.height) return null;
    return rawJpegTile(pyr, k, col, row);
  }
  return null;
}

/**
 * Downscale factor of a level against the full resolution. Pyramid levels are halvings (floor
 * by libvips, ceil by JPEG 2000), so a factor within one pixel of a power of two is that power.
 */
export function levelFactor(full: number, side: number): number {
  const f = full / side;
  const p = 2 ** Math.round(Math.log2(f));
  return Math.abs(full / p - side) < 1 ? p : f;
}

/**
 * The index of the smallest level that still gives the scaled region its pixels: the region
 * at that level is at least one pixel and less than one pixel short of the requested size
 * (IIIF sizes for a scale factor are ceil(region / factor)). Level 0 is the full resolution.
 */
export function chooseLevel(levels: readonly Size[], plan: Geometry): number {
  const full = levels[0];
  let best = 0;
  let bestFactor = 1;
  for (let k = 1; k < levels.length; k++) {
    const fx = levelFactor(full.width, levels[k].width);
    const fy = levelFactor(full.height, levels[k].height);
    const lw = plan.region.w / fx;
    const lh = plan.region.h / fy;
    if (lw > plan.size.w - 1 && lh > plan.size.h - 1 && lw >= 1 && lh >= 1 && fx * fy > bestFactor) {
      best = k;
      bestFactor = fx * fy;
    }
  }
  return best;
}

/** The pixels of level `k` that cover a full-resolution region (rounded outwards, clipped to the level). */
export function levelRegion(levels: readonly Size[], k: number, region: ImagePlan['region']): { left: number; top: number; width: number; height: number } {
  const full = levels[0];
  const L = levels[k];
  const fx = levelFactor(full.width, L.width);
  const fy = levelFactor(full.height, L.height);
  const left = Math.min(Math.floor(region.x / fx), L.width - 1);
  const top = Math.min(Math.floor(region.y / fy), L.height - 1);
  const right = Math.min(Math.max(Math.ceil((region.x + region.w) / fx), left + 1), L.width);
  const bottom = Math.min(Math.max(Math.ceil((region.y + region.h) / fy), top + 1), L.height);
  return { left, top, width: right - left, height: bottom - top };
}

function timeout(opts: RenderOptions): { seconds: number } {
  return { seconds: Math.max(1, Math.ceil((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)) };
}

function isWhole(region: PixelArea, width: number, height: number): boolean {
  return region.x === 0 && region.y === 0 && region.w >= width && region.h >= height;
}

/** Scaled region from one level of a pyramid: libvips reads only the tiles under it. */
async function pyramidPixels(pyr: PyramidFile, plan: Geometry, opts: RenderOptions): Promise<Pixels> {
  const k = chooseLevel(pyr.levels, plan);
  const L = pyr.levels[k];
  const box = levelRegion(pyr.levels, k, plan.region);
  if (box.width * box.height > opts.maxInputPixels) throw tooLarge(`level ${k} of ${pyr.path}`, box.width, box.height, opts.maxInputPixels);
  const what = `${pyr.path} (page ${L.page})`;
  try {
    // The level may be larger than maxInputPixels (a foreign pyramid): only `box` is decoded, checked above.
    let img = sharp(pyr.path, { page: L.page, limitInputPixels: false, sequentialRead: false, failOn: 'error' }).timeout(timeout(opts));
    if (box.left !== 0 || box.top !== 0 || box.width !== L.width || box.height !== L.height) img = img.extract(box);
    return await toPixels(img, plan, L.samplesPerPixel <= 2 && L.photometric <= 1);
  } catch (err) {
    throw fromSharpError(what, err, opts.maxInputPixels);
  }
}

/** Scale to the plan's size, 8-bit sRGB or grey, raw. */
async function toPixels(img: sharp.Sharp, plan: Geometry, grey: boolean): Promise<Pixels> {
  const { data, info } = await img
    .resize(plan.size.w, plan.size.h, { fit: 'fill' })
    .toColourspace(grey ? 'b-w' : 'srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

async function originalPixels(source: Extract<RenderSource, { kind: 'original' }>, plan: Geometry, opts: RenderOptions): Promise<Pixels> {
  const abs = resolve(source.path);
  const mime = essence(source.mimeType);
  switch (mediaKind(mime)) {
    case 'jpeg2000':
      return jpeg2000Pixels(abs, mime, plan, opts);
    case 'image':
      if (mime === 'image/tiff') {
        // A pyramidal TIFF original is read like a derivative: one level, the tiles under the region.
        const pyr = await openPyramid(abs).catch(() => null);
        if (pyr && pyr.levels.length > 1 && pyr.levels[0].orientation === 1) return pyramidPixels(pyr, plan, opts);
      }
      return imagePixels(abs, mime, plan, opts);
    default:
      throw new RenderError('unsupported', `${mime}: not an image this server renders`);
  }
}

/** Any format sharp reads: the header is checked against the pixel limit before decoding. */
async function imagePixels(abs: string, mime: string, plan: Geometry, opts: RenderOptions): Promise<Pixels> {
  const limit = opts.maxInputPixels;
  try {
    const meta = await sharp(abs, { limitInputPixels: false, page: 0 }).metadata();
    if (!meta.width || !meta.height) throw new RenderError('corrupt', `${mime}: the header gives no size`);
    if (meta.width * meta.height > limit) throw tooLarge(mime, meta.width, meta.height, limit);
    const { width, height } = meta.autoOrient;
    // Regions are in upright pixels: orientation is applied on load, before the extract.
    let img = sharp(abs, { limitInputPixels: limit, page: 0, autoOrient: true, failOn: 'error' }).timeout(timeout(opts));
    // Without an extract before the resize, libjpeg and libwebp can shrink while decoding.
    if (!isWhole(plan.region, width, height)) {
      const left = Math.min(plan.region.x, width - 1);
      const top = Math.min(plan.region.y, height - 1);
      img = img.extract({ left, top, width: Math.min(plan.region.w, width - left), height: Math.min(plan.region.h, height - top) });
    }
    return await toPixels(img, plan, meta.space === 'b-w' || meta.space === 'grey16');
  } catch (err) {
    throw fromSharpError(mime, err, limit);
  }
}

/** JPEG 2000: opj_decompress decodes only the resolution (-r) and the area (-d) the request needs. */
async function jpeg2000Pixels(abs: string, mime: string, plan: Geometry, opts: RenderOptions): Promise<Pixels> {
  const h = await jpeg2000Header(abs, mime);
  const resolutions: Size[] = [];
  for (let r = 0; r <= (h.decompositionLevels ?? 0); r++) resolutions.push({ width: Math.ceil(h.width / 2 ** r), height: Math.ceil(h.height / 2 ** r) });
  const reduce = chooseLevel(resolutions, plan);
  const f = 2 ** reduce;
  const { x, y, w, h: rh } = plan.region;
  const area = isWhole(plan.region, h.width, h.height) ? null : plan.region;
  // What opj_decompress writes for a zero-origin image: the reduced grid cells the area touches.
  const expectW = Math.ceil((x + w) / f) - Math.ceil(x / f);
  const expectH = Math.ceil((y + rh) / f) - Math.ceil(y / f);
  if (expectW * expectH > opts.maxInputPixels) throw tooLarge(mime, expectW, expectH, opts.maxInputPixels);
  return withTempDir(opts, async (dir) => {
    let decoded = await decodeJpeg2000(abs, h, dir, opts, { reduce, area });
    opts.signal?.throwIfAborted();
    try {
      let img = sharp(decoded, { limitInputPixels: opts.maxInputPixels, failOn: 'error' }).timeout(timeout(opts));
      let meta = await img.metadata();
      if (area && (Math.abs((meta.width ?? 0) - expectW) > 1 || Math.abs((meta.height ?? 0) - expectH) > 1)) {
        // The image sits at an offset on the JPEG 2000 canvas, where -d coordinates are measured:
        // decode the whole reduced image instead and cut the region out of it.
        decoded = await decodeJpeg2000(abs, h, dir, opts, { reduce });
        img = sharp(decoded, { limitInputPixels: opts.maxInputPixels, failOn: 'error' }).timeout(timeout(opts));
        meta = await img.metadata();
        const got = { width: meta.width ?? 0, height: meta.height ?? 0 };
        img = img.extract(levelRegion([{ width: h.width, height: h.height }, got], 1, plan.region));
      }
      return await toPixels(img, plan, meta.space === 'b-w' || meta.space === 'grey16');
    } catch (err) {
      throw fromSharpError(mime, err, opts.maxInputPixels);
    }
  });
}

/** Mirror, rotate, apply the quality and encode: the steps after the scaled region (3.0 §4.3–4.5). */
async function finish(px: Pixels, plan: ImagePlan, opts: RenderOptions): Promise<Buffer> {
  const q = opts.quality ?? DEFAULT_RENDER_QUALITY;
  // 3.0 §4.3: for rotations that are not multiples of 90 the server should return a
  // transparent background where the format has transparency; JPEG gets white.
  const transparent = plan.format !== 'jpg';
  const raw = { width: px.width, height: px.height, channels: px.channels };
  let alpha = px.channels === 2 || px.channels === 4;
  try {
    let data = px.data;
    if (plan.mirror || plan.rotation !== 0) {
      // A pass of its own, so the mirror is applied before the rotation whatever sharp's pipeline order.
      let img = sharp(data, { raw });
      if (plan.mirror) img = img.flop();
      if (plan.rotation % 90 === 0) {
        if (plan.rotation !== 0) img = img.rotate(plan.rotation);
      } else if (transparent) {
        if (!alpha) img = img.ensureAlpha(1);
        alpha = true;
        img = img.rotate(plan.rotation, { background: { r: 0, g: 0, b: 0, alpha: 0 } });
      } else {
        img = img.rotate(plan.rotation, { background: '#ffffff' });
      }
      const out = await img.raw().toBuffer({ resolveWithObject: true });
      data = out.data;
      Object.assign(raw, { width: out.info.width, height: out.info.height, channels: out.info.channels });
      alpha = out.info.channels === 2 || out.info.channels === 4;
    }
    let img = sharp(data, { raw: raw as sharp.CreateRaw });
    if (alpha && !transparent) {
      img = img.flatten({ background: '#ffffff' });
      alpha = false;
    }
    const bitonal = plan.quality === 'bitonal';
    if (plan.quality === 'gray') img = img.toColourspace('b-w');
    // bitonal: black below mid-grey, white from it; the encoders below store it as 1 bit where they can.
    // (toColourspace as well: sharp would otherwise turn the thresholded grey back into sRGB)
    else if (bitonal) img = img.threshold(128, { greyscale: true }).toColourspace('b-w');
    switch (plan.format) {
      case 'jpg':
        img = img.jpeg({ quality: q, mozjpeg: false });
        break;
      case 'png':
        // A two-colour palette is a 1-bit PNG; with transparency a third colour is needed, so grey+alpha.
        img = bitonal && !alpha ? img.png({ palette: true, colours: 2, dither: 0 }) : img.png({ compressionLevel: 6, adaptiveFiltering: false });
        break;
      case 'webp':
        img = bitonal ? img.webp({ lossless: true }) : img.webp({ quality: q });
        break;
      case 'tif':
        img = bitonal && !alpha ? img.tiff({ compression: 'ccittfax4', bitdepth: 1 }) : img.tiff({ compression: 'deflate', predictor: 'horizontal' });
        break;
      case 'gif':
        img = bitonal ? img.gif({ colours: 2, dither: 0 }) : img.gif();
        break;
    }
    return await img.toBuffer();
  } catch (err) {
    throw fromSharpError(`encoding ${plan.format}`, err);
  }
}
