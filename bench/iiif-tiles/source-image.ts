import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { PROJECT_ROOT } from '../../core/version';
import { BenchError } from '../support/bench-support';

/**
 * The bench's source image: a large JPEG with real-looking detail everywhere, and a tiled
 * pyramidal TIFF of it for the servers that want one. Deterministic: the same inputs, seed and
 * sharp/libvips version give the same pixels.
 */

/** Four paintings from ../shared/data/images, one per quadrant (real brush and canvas detail). */
const MOSAIC = [
  'aic-caillebotte-paris-street-rainy-day.pyramid.tif',
  'aic-seurat-la-grande-jatte.pyramid.tif',
  'aic-morisot-woman-at-her-toilette.pyramid.tif',
  'indian-ferns-cover.pyramid.tif',
];
const SHARED_IMAGES = resolve(PROJECT_ROOT, '..', 'shared', 'data', 'images');
/** Side of the grain tile: a prime, so its repeats never line up with a 256/512 tile grid. */
const GRAIN_SIDE = 1031;
/** Grain amplitude in 8-bit levels (±), like scanner or film noise: the paintings are upscaled 1.0-1.6×, and grain gives the full-resolution level fine detail. */
const GRAIN_AMPLITUDE = 10;

export interface SourceOptions {
  /** Width and height of the square source, px. */
  side: number;
  jpegQuality: number;
  /** Tile side of the pyramidal TIFF. */
  tiffTile: number;
  tiffQuality: number;
  seed: number;
}

export interface SourceImages {
  jpeg: string;
  tiff: string;
  width: number;
  height: number;
  jpegBytes: number;
  tiffBytes: number;
  /** The TIFF's pages, largest first (its pyramid levels). */
  levels: { width: number; height: number }[];
  /** What the pixels are, for the printed output. */
  content: string;
  jpegSeconds: number;
  tiffSeconds: number;
}

/** A small seeded PRNG (mulberry32): the grain must be the same on every run, which sharp's own noise is not. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A grey grain tile centred on 128, for a soft-light blend (128 leaves a pixel as it is). */
function grainTile(seed: number): Promise<Buffer> {
  const rnd = mulberry32(seed);
  const px = Buffer.alloc(GRAIN_SIDE * GRAIN_SIDE);
  for (let i = 0; i < px.length; i++) {
    // Sum of two uniforms: a triangular distribution, closer to sensor noise than a flat one.
    px[i] = Math.round(128 + GRAIN_AMPLITUDE * 2 * (rnd() + rnd() - 1));
  }
  return sharp(px, { raw: { width: GRAIN_SIDE, height: GRAIN_SIDE, channels: 1 } }).toColourspace('srgb').png({ compressionLevel: 1 }).toBuffer();
}

/**
 * Without ../shared/data: a synthetic quadrant of seeded smooth value noise and gradients,
 * computed at 1/8 scale and enlarged (the grain adds the fine detail on top).
 */
async function syntheticQuadrant(side: number, seed: number): Promise<Buffer> {
  const small = Math.ceil(side / 8);
  const rnd = mulberry32(seed);
  const grid = 24;
  const lattice = Array.from({ length: (grid + 1) * (grid + 1) * 3 }, () => rnd());
  const px = Buffer.alloc(small * small * 3);
  const smooth = (t: number): number => t * t * (3 - 2 * t);
  for (let y = 0; y < small; y++) {
    const gy = (y / small) * grid;
    const y0 = Math.floor(gy);
    const ty = smooth(gy - y0);
    for (let x = 0; x < small; x++) {
      const gx = (x / small) * grid;
      const x0 = Math.floor(gx);
      const tx = smooth(gx - x0);
      for (let c = 0; c < 3; c++) {
        const at = (i: number, j: number): number => lattice[((j * (grid + 1)) + i) * 3 + c] ?? 0;
        const top = at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx;
        const bottom = at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx;
        const noise = top * (1 - ty) + bottom * ty;
        const gradient = c === 0 ? x / small : c === 1 ? y / small : (x + y) / (2 * small);
        px[(y * small + x) * 3 + c] = Math.round(255 * (0.65 * noise + 0.35 * gradient));
      }
    }
  }
  return sharp(px, { raw: { width: small, height: small, channels: 3 } }).resize(side, side, { kernel: 'lanczos3' }).png({ compressionLevel: 1 }).toBuffer();
}

/** One quadrant: a painting cropped to a square and scaled to `side`, or the synthetic fallback. */
async function quadrant(index: number, side: number, seed: number): Promise<{ input: Buffer; what: string }> {
  const name = MOSAIC[index] ?? '';
  const path = join(SHARED_IMAGES, name);
  if (existsSync(path)) {
    // Raw pixels, not re-encoded: the mosaic is encoded once, as the source JPEG.
    const input = await sharp(path, { limitInputPixels: false }).resize(side, side, { fit: 'cover', kernel: 'lanczos3' }).png({ compressionLevel: 1 }).toBuffer();
    return { input, what: name.replace(/\.pyramid\.tif$/, '') };
  }
  return { input: await syntheticQuadrant(side, seed + index), what: 'synthetic' };
}

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/** Write `source.jpg` and `source-pyramid.tif` into `dir`. */
export async function makeSourceImages(dir: string, o: SourceOptions): Promise<SourceImages> {
  if (o.side % 2) throw new BenchError('the source side must be even (two quadrants per row)');
  const half = o.side / 2;
  mkdirSync(dir, { recursive: true });
  const jpeg = join(dir, 'source.jpg');
  const tiff = join(dir, 'source-pyramid.tif');
  let t0 = process.hrtime.bigint();
  const quads = await Promise.all([0, 1, 2, 3].map((i) => quadrant(i, half, o.seed)));
  const grain = await grainTile(o.seed);
  await sharp({ create: { width: o.side, height: o.side, channels: 3, background: { r: 128, g: 128, b: 128 } }, limitInputPixels: false })
    .composite([
      ...quads.map((q, i) => ({ input: q.input, left: (i % 2) * half, top: Math.floor(i / 2) * half })),
      { input: grain, tile: true, blend: 'soft-light' as const },
    ])
    // 4:2:0 chroma, baseline, no progressive: what a camera or scanner writes.
    .jpeg({ quality: o.jpegQuality, chromaSubsampling: '4:2:0', mozjpeg: false })
    .toFile(jpeg);
  const jpegSeconds = seconds(t0);

  t0 = process.hrtime.bigint();
  // The pyramid as iipsrv wants it (and iiif-processor can use): tiled, JPEG-compressed, one
  // IFD per level, each half the one before, down to a level that fits in one tile.
  await sharp(jpeg, { limitInputPixels: false })
    .tiff({ tile: true, pyramid: true, compression: 'jpeg', quality: o.tiffQuality, tileWidth: o.tiffTile, tileHeight: o.tiffTile })
    .toFile(tiff);
  const tiffSeconds = seconds(t0);

  const meta = await sharp(tiff, { limitInputPixels: false }).metadata();
  const pages = meta.pages ?? 1;
  const levels: { width: number; height: number }[] = [];
  for (let page = 0; page < pages; page++) {
    const m = await sharp(tiff, { page, limitInputPixels: false }).metadata();
    levels.push({ width: m.width, height: m.height });
  }
  if (levels[0]?.width !== o.side || levels[0]?.height !== o.side) throw new BenchError(`the pyramid's first level is ${levels[0]?.width ?? '?'}×${levels[0]?.height ?? '?'}, not ${o.side}×${o.side}`);
  const names = quads.map((q) => q.what);
  const content = names.every((n) => n === 'synthetic')
    ? `synthetic value noise and gradients (seed ${o.seed}; ${SHARED_IMAGES} is absent), with seeded grain ±${GRAIN_AMPLITUDE}`
    : `2×2 mosaic of ${names.join(', ')} (../shared/data/images, each cropped square and scaled to ${half}²), with seeded grain ±${GRAIN_AMPLITUDE} (seed ${o.seed})`;
  return { jpeg, tiff, width: o.side, height: o.side, jpegBytes: statSync(jpeg).size, tiffBytes: statSync(tiff).size, levels, content, jpegSeconds, tiffSeconds };
}
