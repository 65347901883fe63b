import { open, type FileHandle } from 'node:fs/promises';
import { MediaError } from './media-error';

/** What the main header of a JPEG 2000 codestream says, read without decoding anything. */
export interface Jpeg2000Header {
  width: number;
  height: number;
  components: number;
  /** Wavelet decomposition levels of the main COD marker (= resolution levels − 1), or null. */
  decompositionLevels: number | null;
  /** 'jp2' when the codestream sits in a JP2/JPX box structure, 'j2c' when the file is a bare codestream. */
  container: 'jp2' | 'j2c';
}

const SOC = 0xff4f;
const SIZ = 0xff51;
const COD = 0xff52;
const SOT = 0xff90;
const MAIN_HEADER_LIMIT = 256 * 1024;

/**
 * Read image size and decomposition levels of a JPEG 2000 file (JP2, JPX or a raw codestream)
 * from the SIZ and COD markers (ITU-T T.800 Annex A.5.1, A.6.1); a JP2 file's codestream is
 * found by walking its boxes to `jp2c` (T.800 Annex I.4). Throws MediaError 'media-corrupt'.
 */
export async function readJpeg2000Header(path: string, mimeType = 'image/jp2'): Promise<Jpeg2000Header> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const start = await readAt(fh, 0, 12);
    let container: 'jp2' | 'j2c';
    let csOffset: number;
    if (start.length >= 2 && start.readUInt16BE(0) === SOC) {
      container = 'j2c';
      csOffset = 0;
    } else if (start.length >= 12 && start.toString('latin1', 4, 8) === 'jP  ') {
      container = 'jp2';
      csOffset = await findCodestream(fh, size, mimeType);
    } else {
      throw corrupt(mimeType, 'neither a JP2 signature box nor a codestream start (SOC) marker');
    }
    const header = await readAt(fh, csOffset, Math.min(MAIN_HEADER_LIMIT, size - csOffset));
    return { ...parseMainHeader(header, mimeType), container };
  } finally {
    await fh.close();
  }
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(Math.max(0, length));
  const { bytesRead } = await fh.read(buf, 0, buf.length, position);
  return buf.subarray(0, bytesRead);
}

function corrupt(mimeType: string, what: string): MediaError {
  return new MediaError('media-corrupt', `${mimeType}: JPEG 2000 header: ${what}`);
}

/** Offset of the first contiguous codestream (the payload of the first `jp2c` box). */
async function findCodestream(fh: FileHandle, size: number, mimeType: string): Promise<number> {
  let pos = 0;
  for (let boxes = 0; boxes < 10_000 && pos + 8 <= size; boxes++) {
    const h = await readAt(fh, pos, 16);
    if (h.length < 8) break;
    let length = h.readUInt32BE(0);
    const type = h.toString('latin1', 4, 8);
    let headerLength = 8;
    if (length === 1) {
      if (h.length < 16) break;
      length = Number(h.readBigUInt64BE(8));
      headerLength = 16;
    } else if (length === 0) {
      length = size - pos; // the last box runs to the end of the file
    }
    if (type === 'jp2c') return pos + headerLength;
    if (length < headerLength) throw corrupt(mimeType, `box '${type}' at ${pos} has an impossible length ${length}`);
    pos += length;
  }
  throw corrupt(mimeType, 'no contiguous codestream box (jp2c)');
}

function parseMainHeader(cs: Buffer, mimeType: string): Omit<Jpeg2000Header, 'container'> {
  if (cs.length < 4 || cs.readUInt16BE(0) !== SOC) throw corrupt(mimeType, 'codestream does not start with SOC');
  if (cs.readUInt16BE(2) !== SIZ) throw corrupt(mimeType, 'SIZ marker does not follow SOC');
  // SIZ: Lsiz Rsiz Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz Csiz ...
  if (cs.length < 4 + 38) throw corrupt(mimeType, 'SIZ marker segment is cut short');
  const lsiz = cs.readUInt16BE(4);
  const xsiz = cs.readUInt32BE(8);
  const ysiz = cs.readUInt32BE(12);
  const xosiz = cs.readUInt32BE(16);
  const yosiz = cs.readUInt32BE(20);
  const components = cs.readUInt16BE(40);
  const width = xsiz - xosiz;
  const height = ysiz - yosiz;
  if (width <= 0 || height <= 0 || components === 0) {
    throw corrupt(mimeType, `SIZ gives an empty image (${width}x${height}, ${components} components)`);
  }
  // Walk the remaining main-header marker segments up to the first tile (SOT) for COD.
  let decompositionLevels: number | null = null;
  let pos = 4 + lsiz;
  while (pos + 4 <= cs.length) {
    const marker = cs.readUInt16BE(pos);
    if (marker === SOT || (marker & 0xff00) !== 0xff00) break;
    const len = cs.readUInt16BE(pos + 2);
    // COD: Lcod Scod, SGcod (progression order, layers ×2, MCT), SPcod (decomposition levels, ...)
    if (marker === COD && pos + 9 < cs.length) {
      decompositionLevels = cs[pos + 9];
      break;
    }
    if (len < 2) break;
    pos += 2 + len;
  }
  return { width, height, components, decompositionLevels };
}
