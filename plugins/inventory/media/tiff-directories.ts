import { open, type FileHandle } from 'node:fs/promises';

/** One image file directory (IFD) of the main chain of a TIFF file. */
export interface TiffDirectory {
  /** Position in the chain; sharp/libvips calls this the page. */
  index: number;
  width: number | null;
  height: number | null;
  /** NewSubfileType (tag 254): bit 0 = reduced-resolution version of another image, bit 2 = mask. */
  subfileType: number;
}

const MAX_DIRECTORIES = 4096;

/**
 * List the directories of a TIFF or BigTIFF file by walking the IFD chain (TIFF 6.0 §2;
 * BigTIFF: 8-byte offsets). Reads only the IFDs, never image data. Throws on a malformed chain.
 */
export async function readTiffDirectories(path: string): Promise<TiffDirectory[]> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = await readAt(fh, 0, 16);
    const order = head.toString('latin1', 0, 2);
    if (order !== 'II' && order !== 'MM') throw new Error('not a TIFF file (byte order mark)');
    const le = order === 'II';
    const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number): number => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const version = u16(head, 2);
    const big = version === 43;
    if (version !== 42 && !big) throw new Error(`not a TIFF file (version ${version})`);
    const entrySize = big ? 20 : 12;

    const dirs: TiffDirectory[] = [];
    const seen = new Set<number>();
    let offset = big ? u64(head, 8) : u32(head, 4);
    while (offset !== 0) {
      if (seen.has(offset)) throw new Error(`IFD chain loops back to offset ${offset}`);
      if (offset + (big ? 8 : 2) > size) throw new Error(`IFD offset ${offset} lies beyond the end of the file`);
      if (dirs.length >= MAX_DIRECTORIES) throw new Error(`more than ${MAX_DIRECTORIES} IFDs`);
      seen.add(offset);
      const countBuf = await readAt(fh, offset, big ? 8 : 2);
      const count = big ? u64(countBuf, 0) : u16(countBuf, 0);
      if (count > 65_535) throw new Error(`IFD at ${offset} claims ${count} entries`);
      const tableStart = offset + (big ? 8 : 2);
      const table = await readAt(fh, tableStart, count * entrySize + (big ? 8 : 4));
      if (table.length < count * entrySize + (big ? 8 : 4)) throw new Error(`IFD at ${offset} is cut short`);

      const dir: TiffDirectory = { index: dirs.length, width: null, height: null, subfileType: 0 };
      for (let i = 0; i < count; i++) {
        const e = i * entrySize;
        const tag = u16(table, e);
        if (tag !== 254 && tag !== 256 && tag !== 257) continue;
        const type = u16(table, e + 2);
        const valueAt = e + (big ? 12 : 8);
        // Single SHORT/LONG/LONG8 values sit in the entry itself.
        const value =
          type === 3 ? u16(table, valueAt) : type === 4 ? u32(table, valueAt) : type === 16 && big ? u64(table, valueAt) : null;
        if (value === null) continue;
        if (tag === 254) dir.subfileType = value;
        else if (tag === 256) dir.width = value;
        else dir.height = value;
      }
      dirs.push(dir);
      const nextAt = count * entrySize;
      offset = big ? u64(table, nextAt) : u32(table, nextAt);
    }
    return dirs;
  } finally {
    await fh.close();
  }
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

/** Pages a reader would show: directories that are neither reduced-resolution copies nor masks. */
export function tiffPageCount(dirs: readonly TiffDirectory[]): number {
  return dirs.filter((d) => (d.subfileType & 0b101) === 0).length;
}

/**
 * The smallest reduced-resolution directory of the first page whose longest side still reaches
 * `size` (pyramidal TIFF), so a thumbnail of a 20 000 px scan decodes a small level; else 0.
 */
export function tiffLevelFor(dirs: readonly TiffDirectory[], size: number): number {
  let best = 0;
  let bestSide = Infinity;
  for (const d of dirs.slice(1)) {
    if ((d.subfileType & 1) === 0) break; // the next page starts: its levels are not ours
    if (d.width === null || d.height === null) continue;
    const side = Math.max(d.width, d.height);
    if (side >= size && side < bestSide) {
      best = d.index;
      bestSide = side;
    }
  }
  return best;
}
