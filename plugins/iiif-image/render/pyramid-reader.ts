import { open, stat, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';

/** One resolution level of a pyramidal TIFF: one IFD of the main chain. */
export interface PyramidLevel {
  /** Index of the IFD in the main chain: sharp's / libvips' `page` option reads this level. */
  page: number;
  width: number;
  height: number;
  /** 0 when the level is stored in strips, not tiles. */
  tileWidth: number;
  tileHeight: number;
  /** TIFF Compression (7 = JPEG). */
  compression: number;
  /** TIFF PhotometricInterpretation (1 = grey, 2 = RGB, 6 = YCbCr). */
  photometric: number;
  samplesPerPixel: number;
  bitsPerSample: number[];
  /** 1 = chunky, 2 = planar. */
  planarConfig: number;
  /** TIFF Orientation (1 = top-left, as stored). */
  orientation: number;
  /** Offsets and byte counts of the tiles, row by row (planar: all tiles of plane 0 first). */
  tileOffsets: number[];
  tileByteCounts: number[];
  /** The JPEGTables tag: SOI, the shared DQT/DHT segments, EOI; null when the tiles carry their own. */
  jpegTables: Buffer | null;
  /** An embedded ICC profile (tag 34675), which a spliced tile carries along; null when none. */
  iccProfile: Buffer | null;
}

/** The directory of a pyramidal TIFF, read once: level 0 is the full resolution. */
export interface PyramidFile {
  path: string;
  bigTiff: boolean;
  littleEndian: boolean;
  levels: PyramidLevel[];
}

const MAX_IFDS = 1024;
/** More tiles than this in one level is not a file this server wrote (100 000² px at 16 px tiles is 39 M). */
const MAX_TILES = 50_000_000;
const MAX_JPEG_TABLES = 64 * 1024;
/** Profiles up to this size travel with a spliced tile (APP2 takes 65 519 bytes a segment, 255 segments). */
const MAX_ICC = 4 * 1024 * 1024;
/** TIFF field types and their sizes in bytes (TIFF 6.0 §2, BigTIFF adds 16–18). */
const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };
const WANTED = new Set([254, 256, 257, 258, 259, 262, 274, 277, 284, 322, 323, 324, 325, 347, 34675]);

interface CacheEntry {
  mtimeMs: number;
  size: number;
  ino: number;
  file: Promise<PyramidFile>;
}
const CACHE_LIMIT = 512;
const cache = new Map<string, CacheEntry>();

/**
 * Open a pyramidal TIFF (classic or BigTIFF, either byte order) and read its directory: the
 * main IFD chain from IFD 0 to the last reduced-resolution IFD (NewSubfileType bit 0) before
 * the next page. Cached per path; a file changed on disk (mtime, size, inode) is read again.
 */
export async function openPyramid(path: string): Promise<PyramidFile> {
  const abs = resolve(path);
  const st = await stat(abs);
  const hit = cache.get(abs);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size && hit.ino === st.ino) {
    // Map order is insertion order: re-inserting makes this the most recently used.
    cache.delete(abs);
    cache.set(abs, hit);
    return hit.file;
  }
  const file = readPyramid(abs);
  const entry: CacheEntry = { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino, file };
  cache.set(abs, entry);
  while (cache.size > CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    cache.delete(oldest);
  }
  file.catch(() => {
    if (cache.get(abs) === entry) cache.delete(abs);
  });
  return file;
}

/** Forget cached directories (all, or one path). */
export function forgetPyramid(path?: string): void {
  if (path === undefined) cache.clear();
  else cache.delete(resolve(path));
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

async function readPyramid(abs: string): Promise<PyramidFile> {
  const fh = await open(abs, 'r');
  try {
    const fileSize = (await fh.stat()).size;
    const head = await readAt(fh, 0, 16);
    const order = head.toString('latin1', 0, 2);
    if (head.length < 8 || (order !== 'II' && order !== 'MM')) throw new Error(`${abs}: not a TIFF file`);
    const le = order === 'II';
    const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number): number => {
      const v = le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${abs}: a 64-bit offset beyond 2^53`);
      return Number(v);
    };
    const version = u16(head, 2);
    const big = version === 43;
    if (version !== 42 && !big) throw new Error(`${abs}: not a TIFF file (version ${version})`);
    if (big && (head.length < 16 || u16(head, 4) !== 8)) throw new Error(`${abs}: BigTIFF header with an unusual offset size`);
    const entrySize = big ? 20 : 12;
    const inline = big ? 8 : 4;

    /** The values of one IFD entry, as numbers (BYTE, SHORT, LONG, LONG8) or raw bytes. */
    const values = async (entry: Buffer, e: number, type: number, count: number): Promise<Buffer> => {
      const size = (TYPE_SIZES[type] ?? 0) * count;
      if (size <= inline) return entry.subarray(e + (big ? 12 : 8), e + (big ? 12 : 8) + size);
      const at = big ? u64(entry, e + 12) : u32(entry, e + 8);
      if (at + size > fileSize) throw new Error(`${abs}: a tag's values run past the end of the file`);
      return readAt(fh, at, size);
    };
    const numbers = (buf: Buffer, type: number, count: number): number[] => {
      const out = new Array<number>(count);
      for (let i = 0; i < count; i++) {
        out[i] = type === 3 ? u16(buf, i * 2) : type === 4 || type === 13 ? u32(buf, i * 4) : type === 16 || type === 18 ? u64(buf, i * 8) : buf[i];
      }
      return out;
    };

    const levels: PyramidLevel[] = [];
    const seen = new Set<number>();
    let offset = big ? u64(head, 8) : u32(head, 4);
    for (let page = 0; offset !== 0; page++) {
      if (seen.has(offset) || page >= MAX_IFDS) throw new Error(`${abs}: the IFD chain loops or is too long`);
      seen.add(offset);
      const countBuf = await readAt(fh, offset, big ? 8 : 2);
      if (countBuf.length < (big ? 8 : 2)) throw new Error(`${abs}: IFD at ${offset} lies past the end of the file`);
      const count = big ? u64(countBuf, 0) : u16(countBuf, 0);
      if (count === 0 || count > 4096) throw new Error(`${abs}: IFD at ${offset} claims ${count} entries`);
      const table = await readAt(fh, offset + (big ? 8 : 2), count * entrySize + inline);
      if (table.length < count * entrySize + inline) throw new Error(`${abs}: IFD at ${offset} is cut short`);

      const tags = new Map<number, { type: number; count: number; e: number }>();
      for (let i = 0; i < count; i++) {
        const e = i * entrySize;
        const tag = u16(table, e);
        if (!WANTED.has(tag)) continue;
        const type = u16(table, e + 2);
        const n = big ? u64(table, e + 4) : u32(table, e + 4);
        tags.set(tag, { type, count: n, e });
      }
      const first = async (tag: number, fallback: number): Promise<number> => {
        const t = tags.get(tag);
        if (!t || t.count < 1 || ![1, 3, 4, 16].includes(t.type)) return fallback;
        return numbers(await values(table, t.e, t.type, 1), t.type, 1)[0];
      };
      const list = async (tag: number, max: number): Promise<number[]> => {
        const t = tags.get(tag);
        if (!t || ![1, 3, 4, 16].includes(t.type)) return [];
        if (t.count > max) throw new Error(`${abs}: tag ${tag} has ${t.count} values, more than ${max}`);
        return numbers(await values(table, t.e, t.type, t.count), t.type, t.count);
      };

      const subfileType = await first(254, 0);
      // A later IFD that is not a reduced-resolution copy is the next page: its levels are not ours.
      if (page > 0 && (subfileType & 1) === 0) break;
      const nextAt = count * entrySize;
      offset = big ? u64(table, nextAt) : u32(table, nextAt);
      if (subfileType & 4) continue; // a transparency mask, not a level

      const width = await first(256, 0);
      const height = await first(257, 0);
      if (width <= 0 || height <= 0) throw new Error(`${abs}: IFD ${page} has no image size`);
      const tileWidth = await first(322, 0);
      const tileHeight = await first(323, 0);
      const samplesPerPixel = await first(277, 1);
      const planarConfig = await first(284, 1);
      let tileOffsets: number[] = [];
      let tileByteCounts: number[] = [];
      if (tileWidth > 0 && tileHeight > 0) {
        const tiles = Math.ceil(width / tileWidth) * Math.ceil(height / tileHeight) * (planarConfig === 2 ? samplesPerPixel : 1);
        if (tiles > MAX_TILES) throw new Error(`${abs}: IFD ${page} has ${tiles} tiles`);
        tileOffsets = await list(324, tiles);
        tileByteCounts = await list(325, tiles);
        if (tileOffsets.length !== tiles || tileByteCounts.length !== tiles) {
          throw new Error(`${abs}: IFD ${page} lists ${tileOffsets.length} tile offsets for ${tiles} tiles`);
        }
      }
      let jpegTables: Buffer | null = null;
      const jt = tags.get(347);
      if (jt && jt.count > 0 && jt.count <= MAX_JPEG_TABLES && (jt.type === 7 || jt.type === 1)) {
        jpegTables = Buffer.from(await values(table, jt.e, jt.type, jt.count));
      }
      let iccProfile: Buffer | null = null;
      const icc = tags.get(34675);
      if (icc && icc.count > 0 && icc.count <= MAX_ICC && (icc.type === 7 || icc.type === 1)) {
        iccProfile = Buffer.from(await values(table, icc.e, icc.type, icc.count));
      }
      const bits = await list(258, 64);
      levels.push({
        page,
        width,
        height,
        tileWidth: tileOffsets.length ? tileWidth : 0,
        tileHeight: tileOffsets.length ? tileHeight : 0,
        compression: await first(259, 1),
        photometric: await first(262, samplesPerPixel >= 3 ? 2 : 1),
        samplesPerPixel,
        bitsPerSample: bits.length ? bits : [1],
        planarConfig,
        orientation: await first(274, 1),
        tileOffsets,
        tileByteCounts,
        jpegTables,
        iccProfile,
      });
    }
    if (!levels.length) throw new Error(`${abs}: no image directory`);
    return { path: abs, bigTiff: big, littleEndian: le, levels };
  } finally {
    await fh.close();
  }
}

// JPEG markers (ITU-T T.81 Table B.1).
const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
/** SOF markers of Huffman-coded baseline, extended and progressive DCT: what browsers decode. */
const PLAIN_SOF = new Set([0xc0, 0xc1, 0xc2]);
/** APP0 "JFIF" 1.01, no thumbnail, aspect 1:1: says "YCbCr (or grey)" to every decoder. */
const APP0_JFIF = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
/** APP14 "Adobe" with transform 0: the three components are RGB, not YCbCr (T.872 §6.5.3). */
const APP14_ADOBE_RGB = Buffer.from([0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]);

/**
 * One stored tile of a level as a complete, standalone JPEG (JPEGTables spliced in, a JFIF or
 * Adobe marker saying how its colours are coded), without decoding anything. Null when that
 * tile is not a plain, full-size JPEG tile: not JPEG-compressed, an edge tile (padded past the
 * image, so its pixels are not all image), empty, or of an unusual layout.
 */
export async function rawJpegTile(pyr: PyramidFile, level: number, col: number, row: number): Promise<Buffer | null> {
  const L = pyr.levels[level] as PyramidLevel | undefined;
  if (!L) throw new RangeError(`${pyr.path}: no level ${level} (it has ${pyr.levels.length})`);
  if (!L.tileWidth || !L.tileHeight) return null;
  const across = Math.ceil(L.width / L.tileWidth);
  const down = Math.ceil(L.height / L.tileHeight);
  if (!Number.isInteger(col) || !Number.isInteger(row) || col < 0 || row < 0 || col >= across || row >= down) {
    throw new RangeError(`${pyr.path}: level ${level} has no tile ${col},${row} (${across}x${down} tiles)`);
  }
  if ((col + 1) * L.tileWidth > L.width || (row + 1) * L.tileHeight > L.height) return null; // edge tile
  if (L.compression !== 7 || L.planarConfig !== 1 || L.bitsPerSample.some((b) => b !== 8)) return null;
  // Grey (MinIsBlack), RGB or YCbCr without extra samples: what a JPEG file can say on its own.
  const colour = L.samplesPerPixel === 1 && L.photometric === 1 ? 'grey' : L.samplesPerPixel === 3 && (L.photometric === 2 || L.photometric === 6) ? L.photometric : null;
  if (colour === null) return null;
  const index = row * across + col;
  const offset = L.tileOffsets[index];
  const length = L.tileByteCounts[index];
  if (!length || length < 4) return null; // a sparse (never written) tile

  const fh = await open(pyr.path, 'r');
  let data: Buffer;
  try {
    data = await readAt(fh, offset, length);
  } finally {
    await fh.close();
  }
  if (data.length !== length || data[0] !== 0xff || data[1] !== SOI) return null;
  const frame = jpegFrame(data);
  if (!frame || frame.width !== L.tileWidth || frame.height !== L.tileHeight || frame.components !== L.samplesPerPixel) return null;

  let tables: Buffer = Buffer.alloc(0);
  if (L.jpegTables) {
    const t = L.jpegTables;
    if (t.length < 4 || t[0] !== 0xff || t[1] !== SOI) return null;
    // The tables are an "abbreviated table specification" (SOI … EOI): keep what lies between.
    const end = t[t.length - 2] === 0xff && t[t.length - 1] === EOI ? t.length - 2 : t.length;
    tables = t.subarray(2, end);
  }
  const marker = colour === 2 ? APP14_ADOBE_RGB : APP0_JFIF;
  return Buffer.concat([Buffer.from([0xff, SOI]), marker, ...iccSegments(L.iccProfile), tables, data.subarray(2)]);
}

const ICC_CHUNK = 65_519; // 65 535 − 2 (length) − 14 ("ICC_PROFILE\0", sequence, count)

/**
 * An ICC profile as APP2 "ICC_PROFILE" segments (ICC.1 Annex B.4), so a tile of a colour-managed
 * pyramid shows the colours the TIFF does: decoders apply the profile as they would the TIFF's.
 */
function iccSegments(profile: Buffer | null): Buffer[] {
  if (!profile?.length) return [];
  const count = Math.ceil(profile.length / ICC_CHUNK);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const chunk = profile.subarray(i * ICC_CHUNK, (i + 1) * ICC_CHUNK);
    const head = Buffer.alloc(18);
    head.writeUInt16BE(0xffe2, 0);
    head.writeUInt16BE(2 + 14 + chunk.length, 2);
    head.write('ICC_PROFILE\0', 4, 'latin1');
    head[16] = i + 1;
    head[17] = count;
    out.push(head, chunk);
  }
  return out;
}

/** Size and component count from the frame header of an (abbreviated) JPEG stream; null if it has none or an unusual one. */
function jpegFrame(data: Buffer): { width: number; height: number; components: number } | null {
  let pos = 2;
  while (pos + 4 <= data.length) {
    if (data[pos] !== 0xff) return null;
    const marker = data[pos + 1];
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    if (marker === SOS || marker === EOI) return null; // scan before any frame header
    const len = data.readUInt16BE(pos + 2);
    if (len < 2 || pos + 2 + len > data.length) return null;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (!PLAIN_SOF.has(marker) || len < 8) return null; // lossless, hierarchical or arithmetic-coded
      return { height: data.readUInt16BE(pos + 5), width: data.readUInt16BE(pos + 7), components: data[pos + 9] };
    }
    pos += 2 + len;
  }
  return null;
}
