import { TextDecoder } from 'node:util';
import { RecordError } from './record-error';

/**
 * Index of the first byte in buf[start, end) that is not part of a well-formed UTF-8 sequence
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), or -1 if all are.
 */
export function findInvalidUtf8(buf: Uint8Array, start = 0, end = buf.length): number {
  let i = start;
  while (i < end) {
    const b = buf[i] ?? 0;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= end) return i; // truncated sequence
    const second = buf[i + 1] ?? 0;
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) {
      const c = buf[i + k] ?? 0;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** True if the bytes hold at least one multi-byte UTF-8 sequence and no malformed one. */
export function looksLikeUtf8(buf: Uint8Array, start = 0, end = buf.length): boolean {
  let multibyte = false;
  for (let i = start; i < end; i++) {
    if ((buf[i] ?? 0) >= 0x80) {
      multibyte = true;
      break;
    }
  }
  return multibyte && findInvalidUtf8(buf, start, end) === -1;
}

const decoders = new Map<string, TextDecoder>();

/** Canonical name of a charset label, or null if TextDecoder does not know it. */
export function charsetName(label: string): string | null {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return null;
  }
}

/** A fatal (throwing) TextDecoder for a label TextDecoder knows; RecordError 'unsupported-charset' otherwise. */
export function strictDecoder(label: string): TextDecoder {
  const key = label.toLowerCase();
  let d = decoders.get(key);
  if (!d) {
    try {
      d = new TextDecoder(key, { fatal: true });
    } catch {
      throw new RecordError('unsupported-charset', `charset "${label}" is not supported`);
    }
    decoders.set(key, d);
  }
  return d;
}

const utf8 = new TextDecoder('utf-8');

/** Decodes bytes already known to be valid UTF-8. */
export function decodeUtf8(buf: Uint8Array, start = 0, end = buf.length): string {
  return utf8.decode(buf.subarray(start, end));
}
