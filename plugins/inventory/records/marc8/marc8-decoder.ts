/**
 * MARC-8 to Unicode, per the Library of Congress "MARC 21 Specifications: Character Sets, Part 2,
 * MARC-8 Encoding Environment" (https://www.loc.gov/marc/specifications/speccharmarc8.html).
 *
 * G0 starts as Basic Latin (ASCII) and G1 as Extended Latin (ANSEL) at the start of every field;
 * ISO 2022 escapes (ESC ( F, ESC ) F, ESC $ F, ...) and MARC's technique-1 escapes (ESC g/b/p/s)
 * switch sets. Combining marks precede their base character in MARC-8 and are moved after it.
 * Code tables: marc8-tables.json (see generate-marc8-tables.ts for where they come from).
 */
import tables from './marc8-tables.json';

interface Marc8Char {
  text: string;
  combining: boolean;
}

interface Tables {
  sets: Map<string, Map<number, Marc8Char>>;
  names: Map<string, string>;
  c1: Map<number, Marc8Char>;
}

let loaded: Tables | undefined;

function parseEntries(entries: string): Map<number, Marc8Char> {
  const map = new Map<number, Marc8Char>();
  for (const e of entries.split(' ')) {
    const eq = e.indexOf('=');
    if (eq < 0) continue;
    const combining = e.endsWith('*');
    const cps = e.slice(eq + 1, combining ? -1 : undefined).split('+').map((h) => parseInt(h, 16));
    map.set(parseInt(e.slice(0, eq), 16), { text: String.fromCodePoint(...cps), combining });
  }
  return map;
}

/** The code tables, parsed on first use (about 16,000 EACC entries; a few milliseconds). */
function marc8Tables(): Tables {
  if (!loaded) {
    const sets = new Map<string, Map<number, Marc8Char>>();
    const names = new Map<string, string>([['B', 'Basic Latin']]);
    for (const [finalChar, set] of Object.entries(tables.sets)) {
      sets.set(finalChar, parseEntries(set.entries));
      names.set(finalChar, set.name);
    }
    loaded = { sets, names, c1: parseEntries(tables.c1) };
  }
  return loaded;
}

const ESC = 0x1b;
const DELIMITER = 0x1f;
const REPLACEMENT = '\uFFFD';
/** ANSEL ligature and double tilde: first half (7-bit code) -> its second half. */
const DOUBLE_DIACRITIC_HALVES = new Map([[0x6b, 0x6c], [0x7a, 0x7b]]);

/**
 * Decodes MARC-8 field data. One instance serves one record and collects what it could not
 * decode, so the record gets one warning (see `warning()`).
 */
export class Marc8Decoder {
  private readonly t = marc8Tables();
  private unmapped = 0;
  private readonly problems = new Set<string>();
  private readonly places = new Set<string>();
  private asAscii = 0;
  private readonly asciiPlaces = new Set<string>();

  /**
   * Decodes bytes[start, end) of one field (indicators excluded). Subfield delimiters (0x1F) are
   * kept as U+001F so the caller can split; character sets carry across them, as MARC-8 resets
   * only at field boundaries. The result is not yet normalized.
   */
  decodeField(bytes: Uint8Array, start: number, end: number, place: string): string {
    let g0 = 'B';
    let g1 = 'E';
    let g0Multi = false;
    let g1Multi = false;
    let out = '';
    let marks = '';
    let pendingSecondHalf = -1; // 7-bit ANSEL code of a double diacritic's expected second half
    const problem = (what: string): void => {
      this.unmapped++;
      this.places.add(place);
      if (this.problems.size < 5) this.problems.add(what);
    };
    const emit = (text: string): void => {
      out += text + marks;
      marks = '';
    };

    let i = start;
    while (i < end) {
      const b = bytes[i] ?? 0;
      if (b === ESC) {
        const esc = this.readEscape(bytes, i, end);
        if (!esc) {
          problem(`unknown escape sequence ${hexBytes(bytes, i, Math.min(end, i + 3))}`);
          i++;
          continue;
        }
        if (esc.set !== 'B' && !this.t.sets.has(esc.set)) problem(`unsupported character set (escape final '${esc.set}')`);
        if (esc.g1) {
          g1 = esc.set;
          g1Multi = esc.multibyte;
        } else {
          g0 = esc.set;
          g0Multi = esc.multibyte;
        }
        i += esc.length;
        continue;
      }
      if (b === DELIMITER) {
        out += marks + '\u001f';
        marks = '';
        pendingSecondHalf = -1;
        i++;
        // The subfield code is one ASCII byte whatever G0 holds; the sets stay designated after it.
        const code = bytes[i] ?? 0;
        if (i < end && code > 0x20 && code < 0x7f) {
          out += String.fromCharCode(code);
          i++;
        }
        continue;
      }
      if (b < 0x20) {
        emit(String.fromCharCode(b)); // a control character; the caller strips it with a warning
        i++;
        continue;
      }
      if (b === 0x20) {
        emit(' '); // space is single-byte even in multibyte mode
        i++;
        continue;
      }
      const high = b >= 0x80;
      if (high && b < 0xa0) {
        const c1 = this.t.c1.get(b);
        if (c1) emit(c1.text);
        else {
          problem(`byte 0x${hex(b)}`);
          emit(REPLACEMENT);
        }
        i++;
        continue;
      }
      const set = high ? g1 : g0;
      const multibyte = high ? g1Multi : g0Multi;
      if (multibyte) {
        const b2 = bytes[i + 1] ?? 0;
        const b3 = bytes[i + 2] ?? 0;
        // A delimiter or escape inside a 3-byte character means the data is mangled: resync on the next byte.
        const complete = i + 2 < end && b2 >= 0x20 && b3 >= 0x20 && (b2 & 0x7f) >= 0x21 && (b3 & 0x7f) >= 0x20;
        const code = ((b & 0x7f) << 16) | ((b2 & 0x7f) << 8) | (b3 & 0x7f);
        const ch = complete ? this.t.sets.get(set)?.get(code) : undefined;
        if (ch) {
          emit(ch.text);
          i += 3;
        } else if (!high) {
          // Not an EACC character: usually ASCII after a missing ESC ( B. Take one byte as ASCII and resync.
          this.asAscii++;
          this.asciiPlaces.add(place);
          emit(String.fromCharCode(b));
          i++;
        } else {
          problem(complete ? `code 0x${code.toString(16).toUpperCase()} in ${this.setName(set)}` : `incomplete multibyte character ${hexBytes(bytes, i, Math.min(end, i + 3))}`);
          emit(REPLACEMENT);
          i += complete ? 3 : 1;
        }
        continue;
      }
      const code = b & 0x7f;
      if (code === 0x7f || code === 0x20) {
        problem(`byte 0x${hex(b)}`);
        emit(REPLACEMENT);
        i++;
        continue;
      }
      if (set === 'B') {
        const ncr = code === 0x26 ? readNcr(bytes, i, end) : null;
        if (ncr) {
          emit(ncr.text); // a whole reference is one base character: preceding marks belong to it
          i += ncr.length;
          continue;
        }
        emit(String.fromCharCode(code));
        i++;
        continue;
      }
      const ch = this.t.sets.get(set)?.get(code);
      if (!ch && !high && this.t.sets.has(set)) {
        // A code the G0 set leaves undefined (often ASCII punctuation after a missing ESC ( B).
        this.asAscii++;
        this.asciiPlaces.add(place);
        emit(String.fromCharCode(code));
      } else if (!ch) {
        problem(`byte 0x${hex(b)} in ${this.setName(set)}`);
        emit(REPLACEMENT);
      } else if (!ch.combining) emit(ch.text);
      else if (set === 'E' && code === pendingSecondHalf) pendingSecondHalf = -1; // its first half already spans both letters
      else {
        if (set === 'E') pendingSecondHalf = DOUBLE_DIACRITIC_HALVES.get(code) ?? pendingSecondHalf;
        marks += ch.text;
      }
      i++;
    }
    return out + marks;
  }

  /** One warning for everything this decoder could not map, or null. */
  warning(): string | null {
    const parts: string[] = [];
    if (this.unmapped) {
      parts.push(`${this.unmapped} undecodable character(s) replaced by U+FFFD in ${[...this.places].join(', ')} (${[...this.problems].join('; ')})`);
    }
    if (this.asAscii) {
      parts.push(
        `${this.asAscii} byte(s) undefined in the designated character set read as ASCII in ${[...this.asciiPlaces].join(', ')} ` +
          '(an escape back to ASCII is probably missing)',
      );
    }
    return parts.length ? `MARC-8: ${parts.join('; ')}` : null;
  }

  private setName(set: string): string {
    return this.t.names.get(set) ?? `set '${set}'`;
  }

  /** Reads an escape sequence at bytes[i] (ESC); null if it is not one MARC-8 defines. */
  private readEscape(bytes: Uint8Array, i: number, end: number): { set: string; g1: boolean; multibyte: boolean; length: number } | null {
    const at = (k: number): number => (i + k < end ? (bytes[i + k] ?? -1) : -1);
    const n1 = at(1);
    // Technique 1: Greek symbols, subscripts, superscripts replace G0; ESC s returns to ASCII.
    if (n1 === 0x67 || n1 === 0x62 || n1 === 0x70) return { set: String.fromCharCode(n1), g1: false, multibyte: false, length: 2 };
    if (n1 === 0x73) return { set: 'B', g1: false, multibyte: false, length: 2 };
    let k = 1;
    let multibyte = false;
    if (n1 === 0x24) {
      multibyte = true;
      k = 2;
    }
    const intermediate = at(k);
    let g1: boolean;
    if (intermediate === 0x28 || intermediate === 0x2c) g1 = false;
    else if (intermediate === 0x29 || intermediate === 0x2d) g1 = true;
    else if (multibyte && intermediate >= 0x30) {
      // ESC $ F: multibyte set into G0 with no intermediate
      return { set: String.fromCharCode(intermediate), g1: false, multibyte, length: 3 };
    } else return null;
    let f = at(k + 1);
    let length = k + 2;
    if (f === 0x21) {
      // ANSEL's final is "!E"
      f = at(k + 2);
      length++;
    }
    if (f < 0x30 || f > 0x7e) return null;
    return { set: String.fromCharCode(f), g1, multibyte, length };
  }
}

const hex = (b: number): string => b.toString(16).toUpperCase().padStart(2, '0');
const hexBytes = (bytes: Uint8Array, from: number, to: number): string =>
  Array.from(bytes.subarray(from, to), (b) => (b === ESC ? 'ESC' : hex(b))).join(' ');

/**
 * A numeric character reference (&#xHHHH;) at bytes[i], as MARC-8 records carry characters
 * outside MARC-8 (LoC's lossless conversion convention, MARC 21 Specifications, Character Sets
 * Part 3 "Unicode Encoding Environment" section on lossless conversion).
 */
function readNcr(bytes: Uint8Array, i: number, end: number): { text: string; length: number } | null {
  if (bytes[i + 1] !== 0x23 || bytes[i + 2] !== 0x78) return null; // "&#x"
  let k = i + 3;
  let digits = '';
  while (k < end && digits.length < 6 && /[0-9A-Fa-f]/.test(String.fromCharCode(bytes[k] ?? 0))) digits += String.fromCharCode(bytes[k++] ?? 0);
  const cp = parseInt(digits, 16);
  if (!digits || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
  if (bytes[k] === 0x3b) return { text: String.fromCodePoint(cp), length: k + 1 - i };
  // "&#xHHHH%x;": how some versions of marc4j wrote references; read it like the real thing.
  if (bytes[k] === 0x25 && bytes[k + 1] === 0x78 && bytes[k + 2] === 0x3b) return { text: String.fromCodePoint(cp), length: k + 3 - i };
  return null;
}
