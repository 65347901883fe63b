import {
  type ApiVersion,
  FORMATS,
  type ImageFacts,
  type ImageFormat,
  type ImageLimits,
  type ImagePlan,
  QUALITIES,
  type Quality,
  ImageApiError,
} from './types';

/*
 * The image request parameters of IIIF Image API 3.0 (https://iiif.io/api/image/3.0/#4-image-requests)
 * and 2.1 (https://iiif.io/api/image/2.1/#image-request-parameters), at level 2 plus mirroring,
 * arbitrary rotation and (3.0) `^` upscaling. Pure: the stored dimensions and the limits in,
 * an ImagePlan or an ImageApiError out.
 *
 * Every error is a 400. Where the specs name a status they say 400 (region zero or outside,
 * 3.0 §4.1 / 2.1 §4.1; size without `^` above the region and size beyond the server limits,
 * 3.0 §4.2; rotation out of range, §4.3; unsupported quality, §4.4; unsupported format,
 * 3.0 §4.5 "A format value that is unsupported SHOULD result in a 400"). The status tables
 * (3.0 §7.3, 2.1 §7.2) list 404 for "the requested size is greater than the limits
 * specified"; §4.2 of 3.0 is the more specific text and the validator expects 400 for its
 * size checks, so sizes beyond the limits are 400 here too.
 *
 * Rounding: where a side is derived from the other through the aspect ratio (w, ,h !w,h max
 * pct) it is rounded to the nearest pixel, which is what "maintains the aspect ratio ... as
 * closely as possible" (3.0 §4.2) asks for, and never below 1 px: a thin edge tile at a high
 * scale factor (a 3 px strip at 1/8) still gets a 1 px side instead of an error. Explicit
 * zeros (0, ; pct:0) are errors. Percent regions round each value to the nearest pixel,
 * which reproduces the 3.0 §4.1 examples (pct:41.6,7.5,40,70 of 300×200 = 125,15,120,140).
 */

/** The five path segments of an image request, still encoded as in the URL (format without the dot). */
export interface ImageRequestParams {
  region: string;
  size: string;
  rotation: string;
  quality: string;
  format: string;
}

/** Behaviour the specs leave open. */
export interface ParseOptions {
  /**
   * 3.0 `!w,h` without `^` where the box is larger than the region. §4.2 says the result
   * "MUST be as large as possible but not larger than the extracted region", which reads as
   * "return the region at its own size"; the official validator (size_noup: `!2000,3000` on a
   * 1000×1000 image must not be 200) and Cantaloupe, iipsrv and iiif-processor answer 400
   * instead (see IIIF/image-validator#100, cantaloupe-project/cantaloupe#600). Default false:
   * 400, as the validator expects; true: clamp to the region.
   */
  clampConfinedSize?: boolean;
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Size {
  w: number;
  h: number;
}

type SizeForm =
  | { kind: 'max' }
  | { kind: 'full' }
  | { kind: 'pct'; n: number }
  | { kind: 'w'; w: number }
  | { kind: 'h'; h: number }
  | { kind: 'wh'; w: number; h: number }
  | { kind: 'confined'; w: number; h: number };

// Pixel values are non-negative integers; percentages and rotation are decimals of digits and
// one dot only (3.0 §4.7: "0.9 not +0.9"; no exponent, no sign). A missing leading zero (.5)
// is only a SHOULD, so it is accepted.
const INT = '\\d+';
const DEC = '(?:\\d+(?:\\.\\d+)?|\\.\\d+)';
const REGION_PX = new RegExp(`^(${INT}),(${INT}),(${INT}),(${INT})$`);
const REGION_PCT = new RegExp(`^pct:(${DEC}),(${DEC}),(${DEC}),(${DEC})$`);
const SIZE_PCT = new RegExp(`^pct:(${DEC})$`);
const SIZE_W = new RegExp(`^(${INT}),$`);
const SIZE_H = new RegExp(`^,(${INT})$`);
const SIZE_WH = new RegExp(`^(!?)(${INT}),(${INT})$`);
const ROTATION = new RegExp(`^(!?)(${DEC})$`);

function bad(message: string): ImageApiError {
  return new ImageApiError(400, message);
}

/** Parse and validate one image request against the stored dimensions and the server limits. */
export function parseImageRequest(
  version: ApiVersion,
  params: ImageRequestParams,
  image: ImageFacts,
  limits: ImageLimits,
  options: ParseOptions = {},
): ImagePlan {
  const format = parseFormat(params.format);
  const quality = parseQuality(params.quality);
  const { mirror, rotation, text: rotationText } = parseRotation(params.rotation);
  const region = parseRegion(params.region, image);
  const { form, upscale } = parseSizeSyntax(version, params.size);
  const size = computeSize(version, form, upscale, region, limits, options);

  const regionText = isWhole(region, image) ? 'full' : `${region.x},${region.y},${region.w},${region.h}`;
  const sizeText = version === 3 ? canonicalSize3(size, region, limits) : canonicalSize2(size, region);
  return {
    version,
    region,
    size,
    mirror,
    rotation,
    quality,
    format,
    canonical: `${regionText}/${sizeText}/${rotationText}/${quality}.${format}`,
  };
}

function parseFormat(raw: string): ImageFormat {
  if (!(FORMATS as readonly string[]).includes(raw)) {
    throw bad(`Unsupported format "${raw}"; supported: ${FORMATS.join(', ')}`);
  }
  return raw as ImageFormat;
}

function parseQuality(raw: string): Quality {
  if (!(QUALITIES as readonly string[]).includes(raw)) {
    throw bad(`Unsupported quality "${raw}"; supported: ${QUALITIES.join(', ')}`);
  }
  return raw as Quality;
}

/** Rotation and mirroring (3.0 §4.3, 2.1 §4.3) with the canonical text of §4.8 / §4.7. */
function parseRotation(raw: string): { mirror: boolean; rotation: number; text: string } {
  const m = ROTATION.exec(raw);
  if (!m) throw bad(`Invalid rotation "${raw}": expected n or !n, n a decimal from 0 to 360`);
  const mirror = m[1] === '!';
  const value = Number(m[2]);
  if (!(value >= 0 && value <= 360)) throw bad(`Rotation ${m[2]} is out of range 0..360`);
  // The canonical text is an integer if possible, else a decimal without trailing zeros and
  // with a leading 0; 2.1 §4 caps decimals at 10 digits, so the value is cut to that and the
  // plan carries exactly what the canonical URL says. A full turn is no turn.
  let text = formatDecimal(value);
  if (Number(text) === 360) text = '0';
  return { mirror, rotation: Number(text), text: `${mirror ? '!' : ''}${text}` };
}

function formatDecimal(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const fixed = value.toFixed(10).replace(/0+$/, '');
  return fixed.endsWith('.') ? fixed.slice(0, -1) : fixed;
}

/** Region (3.0 §4.1, 2.1 §4.1), clipped to the image; empty or outside is 400. */
function parseRegion(raw: string, image: ImageFacts): Rect {
  const { width: W, height: H } = image;
  if (raw === 'full') return { x: 0, y: 0, w: W, h: H };
  if (raw === 'square') {
    // Centred in the longer dimension, "often a reasonable default" (3.0 §4.1).
    const side = Math.min(W, H);
    return { x: Math.floor((W - side) / 2), y: Math.floor((H - side) / 2), w: side, h: side };
  }
  let rect: Rect;
  const pct = REGION_PCT.exec(raw);
  const px = pct ? null : REGION_PX.exec(raw);
  if (pct) {
    const [px0, py0, pw, ph] = pct.slice(1, 5).map(Number);
    if (pw === 0 || ph === 0) throw bad(`Region "${raw}" has a zero width or height`);
    if (px0 >= 100 || py0 >= 100) throw bad(`Region "${raw}" is entirely outside the image`);
    rect = {
      // Just under 100% can round up to the edge; the origin stays on the last pixel then.
      x: Math.min(Math.round((W * px0) / 100), W - 1),
      y: Math.min(Math.round((H * py0) / 100), H - 1),
      w: Math.max(1, Math.round((W * pw) / 100)),
      h: Math.max(1, Math.round((H * ph) / 100)),
    };
  } else if (px) {
    const [x, y, w, h] = px.slice(1, 5).map(Number);
    if (w === 0 || h === 0) throw bad(`Region "${raw}" has a zero width or height`);
    rect = { x, y, w, h };
  } else {
    throw bad(`Invalid region "${raw}": expected full, square, x,y,w,h or pct:x,y,w,h`);
  }
  if (rect.x >= W || rect.y >= H) throw bad(`Region "${raw}" is entirely outside the ${W}×${H} image`);
  // "SHOULD return an image cropped at the image's edge, rather than adding empty space."
  return { x: rect.x, y: rect.y, w: Math.min(rect.w, W - rect.x), h: Math.min(rect.h, H - rect.y) };
}

/** The size syntax of each version (3.0 §4.2 with `^`; 2.1 §4.2 with `full`). */
function parseSizeSyntax(version: ApiVersion, raw: string): { form: SizeForm; upscale: boolean } {
  let text = raw;
  let upscale = false;
  if (text.startsWith('^')) {
    if (version === 2) throw bad(`Invalid size "${raw}": the ^ prefix is IIIF Image API 3.0 syntax`);
    upscale = true;
    text = text.slice(1);
  }
  if (text === 'max') return { form: { kind: 'max' }, upscale };
  if (text === 'full') {
    // 3.0 replaced full by max (3.0 change log; validator size_nofull).
    if (version === 3) throw bad('Invalid size "full": IIIF Image API 3.0 uses max');
    return { form: { kind: 'full' }, upscale };
  }
  let m = SIZE_PCT.exec(text);
  if (m) return { form: { kind: 'pct', n: Number(m[1]) }, upscale };
  m = SIZE_W.exec(text);
  if (m) return { form: { kind: 'w', w: Number(m[1]) }, upscale };
  m = SIZE_H.exec(text);
  if (m) return { form: { kind: 'h', h: Number(m[1]) }, upscale };
  m = SIZE_WH.exec(text);
  if (m) {
    const w = Number(m[2]);
    const h = Number(m[3]);
    return { form: m[1] === '!' ? { kind: 'confined', w, h } : { kind: 'wh', w, h }, upscale };
  }
  throw bad(`Invalid size "${raw}"`);
}

function computeSize(
  version: ApiVersion,
  form: SizeForm,
  upscale: boolean,
  region: Rect,
  limits: ImageLimits,
  options: ParseOptions,
): Size {
  const { w: rw, h: rh } = region;
  // 3.0: only `^` sizes may exceed the region (§4.2). 2.1: a server "MAY support scaling above
  // the full size" (§4.2), and this one does (sizeAboveFull), within the limits.
  const mayUpscale = version === 2 || upscale;
  const noUpscale = (s: Size, raw: string): void => {
    if (!mayUpscale && (s.w > rw || s.h > rh)) {
      throw bad(`Size ${raw} is larger than the ${rw}×${rh} region; IIIF 3.0 needs the ^ prefix to upscale`);
    }
  };
  let size: Size;
  switch (form.kind) {
    case 'max':
      // max is never larger than the limits: it is "constrained to a smaller size" (3.0 §4.2),
      // "the maximum size available, as indicated by maxWidth, maxHeight, maxArea" (2.1 §4.2).
      return fitLimits(rw, rh, limits, upscale);
    case 'full':
      size = { w: rw, h: rh };
      break;
    case 'pct':
      if (form.n === 0) throw bad('Size pct:0 is empty');
      if (!mayUpscale && form.n > 100) throw bad(`Size pct:${form.n} is above 100%; IIIF 3.0 needs ^pct to upscale`);
      size = { w: Math.max(1, Math.round((rw * form.n) / 100)), h: Math.max(1, Math.round((rh * form.n) / 100)) };
      break;
    case 'w':
      if (form.w === 0) throw bad('Size width 0 is empty');
      size = { w: form.w, h: derive(rh, rw, form.w) };
      noUpscale(size, `${form.w},`);
      break;
    case 'h':
      if (form.h === 0) throw bad('Size height 0 is empty');
      size = { w: derive(rw, rh, form.h), h: form.h };
      noUpscale(size, `,${form.h}`);
      break;
    case 'wh':
      if (form.w === 0 || form.h === 0) throw bad(`Size ${form.w},${form.h} is empty`);
      size = { w: form.w, h: form.h };
      noUpscale(size, `${form.w},${form.h}`);
      break;
    case 'confined': {
      if (form.w === 0 || form.h === 0) throw bad(`Size !${form.w},${form.h} is empty`);
      let fitted = fit(rw, rh, form.w, form.h);
      if (!mayUpscale && (fitted.w > rw || fitted.h > rh)) {
        // The region has the box's best-fit aspect ratio and is smaller, so it is the clamp.
        if (options.clampConfinedSize) fitted = { w: rw, h: rh };
        else noUpscale(fitted, `!${form.w},${form.h}`);
      }
      // "not larger than ... server-imposed limits" (3.0 §4.2): the box shrinks to the limits.
      if (exceeds(fitted, limits)) {
        fitted = fitArea(rw, rh, fit(rw, rh, Math.min(fitted.w, limits.maxWidth), Math.min(fitted.h, limits.maxHeight)), limits);
      }
      return fitted;
    }
  }
  if (exceeds(size, limits)) {
    throw bad(
      `Size ${size.w}×${size.h} is beyond the limits of this service ` +
        `(maxWidth ${limits.maxWidth}, maxHeight ${limits.maxHeight}, maxArea ${limits.maxArea})`,
    );
  }
  return size;
}

/** The side that keeps the aspect ratio of a `from`×`other` region when `from` becomes `given`. */
function derive(other: number, from: number, given: number): number {
  return Math.max(1, Math.round((other * given) / from));
}

/** The largest size of a rw×rh region's aspect ratio within bw×bh (integer arithmetic where it can). */
function fit(rw: number, rh: number, bw: number, bh: number): Size {
  return bw * rh <= bh * rw ? { w: bw, h: derive(rh, rw, bw) } : { w: derive(rw, rh, bh), h: bh };
}

/** Shrink an aspect-kept size until it fits maxArea. */
function fitArea(rw: number, rh: number, size: Size, limits: ImageLimits): Size {
  if (size.w * size.h <= limits.maxArea) return size;
  const s = Math.sqrt(limits.maxArea / (rw * rh));
  const rounded = { w: Math.max(1, Math.round(rw * s)), h: Math.max(1, Math.round(rh * s)) };
  if (rounded.w * rounded.h <= limits.maxArea) return rounded;
  return { w: Math.max(1, Math.floor(rw * s)), h: Math.max(1, Math.floor(rh * s)) };
}

/** `max` (not upscaled) or 3.0 `^max` (scaled up or down to the limits). */
function fitLimits(rw: number, rh: number, limits: ImageLimits, upscale: boolean): Size {
  const bw = upscale ? limits.maxWidth : Math.min(rw, limits.maxWidth);
  const bh = upscale ? limits.maxHeight : Math.min(rh, limits.maxHeight);
  return fitArea(rw, rh, fit(rw, rh, bw, bh), limits);
}

function exceeds(s: Size, limits: ImageLimits): boolean {
  return s.w > limits.maxWidth || s.h > limits.maxHeight || s.w * s.h > limits.maxArea;
}

function isWhole(r: Rect, image: ImageFacts): boolean {
  return r.x === 0 && r.y === 0 && r.w === image.width && r.h === image.height;
}

function same(a: Size, b: Size): boolean {
  return a.w === b.w && a.h === b.h;
}

/**
 * 3.0 §4.8: `max` if the maximum size without upscaling is requested, `^max` for the maximum
 * upscaled size, otherwise `w,h`, or `^w,h` when the region has to be upscaled.
 */
function canonicalSize3(size: Size, region: Rect, limits: ImageLimits): string {
  if (same(size, fitLimits(region.w, region.h, limits, false))) return 'max';
  if (same(size, fitLimits(region.w, region.h, limits, true))) return '^max';
  return `${size.w > region.w || size.h > region.h ? '^' : ''}${size.w},${size.h}`;
}

/**
 * 2.1 §4.7: `full` if the region is not scaled, `w,` when the aspect ratio is kept (also for
 * a limited `max`, per the deprecation note of §4.2), `w,h` for a distorted size. "Kept" means
 * that `w,` gives back exactly this height, so the canonical URL parses to the same plan.
 */
function canonicalSize2(size: Size, region: Rect): string {
  if (size.w === region.w && size.h === region.h) return 'full';
  return derive(region.h, region.w, size.w) === size.h ? `${size.w},` : `${size.w},${size.h}`;
}
