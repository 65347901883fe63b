// Helpers of the renderer specs: images they make themselves (so the suite means something
// without ../shared), hand-built files the encoders would never write, and pixel measurements.
import sharp from 'sharp';
import type { ImagePlan } from '../../../../plugins/iiif-image/protocol/types';

/** Colours of the quadrants of the test image: top-left, top-right, bottom-left, bottom-right. */
export const QUAD = {
  tl: [200, 40, 40],
  tr: [40, 170, 60],
  bl: [40, 60, 200],
  br: [230, 210, 40],
} as const;
export type Rgb = readonly number[];

/** Colour of the quadrant image at (x, y): the quadrant's colour plus a gentle left→right gradient (0–20 on red). */
export function quadColour(x: number, y: number, width: number, height: number): Rgb {
  const q = y < height / 2 ? (x < width / 2 ? QUAD.tl : QUAD.tr) : x < width / 2 ? QUAD.bl : QUAD.br;
  return [q[0] + Math.round((x / width) * 20), q[1], q[2]];
}

/** The quadrant image as raw RGB. */
export function quadRaw(width: number, height: number): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = quadColour(x, y, width, height);
      raw.set(c, (y * width + x) * 3);
    }
  }
  return raw;
}

/** Write the quadrant image as a JPEG (or via `encode` as anything sharp writes). */
export async function writeQuad(path: string, width: number, height: number, encode: (s: sharp.Sharp) => sharp.Sharp = (s) => s.jpeg({ quality: 95 })): Promise<void> {
  await encode(sharp(quadRaw(width, height), { raw: { width, height, channels: 3 } })).toFile(path);
}

/** A complete plan; the canonical string does not matter to the renderer. */
export function plan(p: Partial<ImagePlan> & Pick<ImagePlan, 'region' | 'size'>): ImagePlan {
  return { version: 3, mirror: false, rotation: 0, quality: 'default', format: 'jpg', canonical: 'spec', ...p };
}

export interface Decoded {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

/** Decode any image to raw pixels. */
export async function decode(img: Buffer | string): Promise<Decoded> {
  const { data, info } = await sharp(img).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** The channel values of one pixel. */
export function pixel(d: Decoded, x: number, y: number): number[] {
  const i = (y * d.width + x) * d.channels;
  return Array.from(d.data.subarray(i, i + d.channels));
}

/** Mean of each channel over a rectangle. */
export function meanOf(d: Decoded, left: number, top: number, width: number, height: number): number[] {
  const sums = new Array<number>(d.channels).fill(0);
  for (let y = top; y < top + height; y++) {
    for (let x = left; x < left + width; x++) {
      for (let c = 0; c < d.channels; c++) sums[c] += d.data[(y * d.width + x) * d.channels + c];
    }
  }
  return sums.map((s) => s / (width * height));
}

/** Largest difference of any channel between two colours (only the channels both have). */
export function colourDistance(a: readonly number[], b: readonly number[]): number {
  let max = 0;
  for (let i = 0; i < Math.min(a.length, b.length, 3); i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Mean absolute difference of two equally sized decoded images, over the first `channels` channels. */
export function meanDifference(a: Decoded, b: Decoded, channels = Math.min(a.channels, b.channels)): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`sizes differ: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  let sum = 0;
  for (let p = 0; p < a.width * a.height; p++) {
    for (let c = 0; c < channels; c++) sum += Math.abs(a.data[p * a.channels + c] - b.data[p * b.channels + c]);
  }
  return sum / (a.width * a.height * channels);
}

/**
 * A big-endian ("MM") classic TIFF written by hand, one IFD per entry of `ifds`, each tiled
 * and JPEG-compressed (YCbCr) with complete JPEG streams as tiles and no JPEGTables: the kind
 * of file libvips never writes, to check the directory reader and the splicer on their own.
 */
export function bigEndianJpegTiff(ifds: Array<{ width: number; height: number; tile: number; subfileType: number; tiles: Buffer[] }>): Buffer {
  const parts: Buffer[] = [];
  let size = 8;
  // Tile data and out-of-line values first, the IFDs after them: every offset is known by then.
  const push = (b: Buffer): number => {
    const at = size;
    parts.push(b);
    size += b.length;
    if (b.length % 2) {
      parts.push(Buffer.alloc(1)); // values start on a word boundary (TIFF 6.0 §2)
      size++;
    }
    return at;
  };
  const bits = Buffer.alloc(6);
  [8, 8, 8].forEach((v, i) => bits.writeUInt16BE(v, i * 2));
  const bitsAt = push(bits);
  const ENTRIES = 13;
  const IFD_SIZE = 2 + ENTRIES * 12 + 4;
  const ifdBuffers = ifds.map((d) => {
    const offs = Buffer.alloc(4 * d.tiles.length);
    const counts = Buffer.alloc(4 * d.tiles.length);
    d.tiles.forEach((t, i) => {
      offs.writeUInt32BE(push(t), i * 4);
      counts.writeUInt32BE(t.length, i * 4);
    });
    const many = d.tiles.length > 1;
    const entries: Array<[number, number, number, number | Buffer]> = [
      [254, 4, 1, d.subfileType],
      [256, 3, 1, d.width],
      [257, 3, 1, d.height],
      [258, 3, 3, bitsAt],
      [259, 3, 1, 7],
      [262, 3, 1, 6],
      [277, 3, 1, 3],
      [284, 3, 1, 1],
      [322, 3, 1, d.tile],
      [323, 3, 1, d.tile],
      [324, 4, d.tiles.length, many ? push(offs) : offs],
      [325, 4, d.tiles.length, many ? push(counts) : counts],
      [530, 3, 2, Buffer.from([0, 2, 0, 2])],
    ];
    const ifd = Buffer.alloc(IFD_SIZE);
    ifd.writeUInt16BE(ENTRIES, 0);
    entries.forEach(([tag, type, count, value], i) => {
      const e = 2 + i * 12;
      ifd.writeUInt16BE(tag, e);
      ifd.writeUInt16BE(type, e + 2);
      ifd.writeUInt32BE(count, e + 4);
      if (Buffer.isBuffer(value)) value.copy(ifd, e + 8, 0, 4);
      else if (type === 3 && count === 1) ifd.writeUInt16BE(value, e + 8);
      else ifd.writeUInt32BE(value, e + 8);
    });
    return ifd;
  });
  const first = size;
  ifdBuffers.forEach((ifd, i) => ifd.writeUInt32BE(i + 1 < ifdBuffers.length ? first + (i + 1) * IFD_SIZE : 0, IFD_SIZE - 4));
  const header = Buffer.alloc(8);
  header.write('MM', 0, 'latin1');
  header.writeUInt16BE(42, 2);
  header.writeUInt32BE(first, 4);
  return Buffer.concat([header, ...parts, ...ifdBuffers]);
}

/**
 * A raw JPEG 2000 codestream (SOC, SIZ, COD, EOC) that claims width×height pixels and holds
 * no image data: its header is all a server may read before refusing it.
 */
export function hugeJ2kHeader(width: number, height: number): Buffer {
  const siz = Buffer.alloc(2 + 2 + 38 + 3);
  siz.writeUInt16BE(0xff51, 0);
  siz.writeUInt16BE(41, 2); // Lsiz: 38 + 3 × one component
  siz.writeUInt16BE(0, 4); // Rsiz
  siz.writeUInt32BE(width, 6);
  siz.writeUInt32BE(height, 10);
  siz.writeUInt32BE(0, 14);
  siz.writeUInt32BE(0, 18);
  siz.writeUInt32BE(width, 22); // one tile
  siz.writeUInt32BE(height, 26);
  siz.writeUInt32BE(0, 30);
  siz.writeUInt32BE(0, 34);
  siz.writeUInt16BE(1, 38); // Csiz
  siz.set([7, 1, 1], 40); // 8-bit unsigned, no subsampling
  const cod = Buffer.from([0xff, 0x52, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x05, 0x04, 0x04, 0x00, 0x00]);
  return Buffer.concat([Buffer.from([0xff, 0x4f]), siz, cod, Buffer.from([0xff, 0xd9])]);
}
