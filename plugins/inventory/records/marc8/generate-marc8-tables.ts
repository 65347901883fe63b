/**
 * Regenerates marc8-tables.json, the MARC-8 -> Unicode code tables the decoder uses.
 *
 * Development tool, not used at run time. It needs Index Data's `yaz-iconv` (Debian package
 * `yaz`), whose MARC-8 decoder implements the Library of Congress code tables
 * (https://www.loc.gov/marc/specifications/specchartables.html). Every graphic code point of
 * every MARC-8 set is fed to `yaz-iconv -f marc8 -t utf8` and the answer recorded, so the table
 * holds the LoC mapping as YAZ implements it; no table is copied from anywhere.
 *
 *   apt-get install yaz
 *   npx tsc -p . && node dist/plugins/inventory/records/marc8/generate-marc8-tables.js
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const ESC = 0x1b;
/** A probe ends with ASCII re-designated, a base letter (to tell combining marks) and this. */
const SEPARATOR = '#%#';
const RESET = [ESC, 0x28, 0x42, ESC, 0x29, 0x21, 0x45]; // G0 = ASCII, G1 = ANSEL

interface SetSpec {
  final: string;
  name: string;
  /** Bytes that designate the set, followed by the code bytes. */
  designate: number[];
  /** Probe in the G1 half (0xA1-0xFE) rather than G0 (0x21-0x7E). */
  g1?: boolean;
}

const SINGLE_BYTE_SETS: SetSpec[] = [
  { final: 'E', name: 'Extended Latin (ANSEL)', designate: [ESC, 0x29, 0x21, 0x45], g1: true },
  { final: '2', name: 'Basic Hebrew', designate: [ESC, 0x28, 0x32] },
  { final: '3', name: 'Basic Arabic', designate: [ESC, 0x28, 0x33] },
  { final: '4', name: 'Extended Arabic', designate: [ESC, 0x29, 0x34], g1: true },
  { final: 'N', name: 'Basic Cyrillic', designate: [ESC, 0x28, 0x4e] },
  { final: 'Q', name: 'Extended Cyrillic', designate: [ESC, 0x29, 0x51], g1: true },
  { final: 'S', name: 'Basic Greek', designate: [ESC, 0x28, 0x53] },
  { final: 'g', name: 'Greek symbols', designate: [ESC, 0x67] },
  { final: 'b', name: 'Subscripts', designate: [ESC, 0x62] },
  { final: 'p', name: 'Superscripts', designate: [ESC, 0x70] },
];

/**
 * YAZ maps the first half of the two-part ligature and double tilde (ANSEL EB, FA) to the
 * combining double diacritics U+0361 / U+0360 and drops the second half (EC, FB), as OCLC and
 * the UTF-8 twins of MARC-8 test files do. The decoder drops a second half that follows a first
 * half; a lone second half keeps LoC's half-mark (U+FE21 / U+FE23) so nothing is lost.
 */
const OVERRIDES: Record<string, string> = { 'E:6C': 'FE21*', 'E:7B': 'FE23*' };

function probe(input: number[]): string[] {
  const out = execFileSync('yaz-iconv', ['-f', 'marc8', '-t', 'utf8'], {
    input: Buffer.from(input),
    maxBuffer: 1 << 28,
  });
  return out.toString('utf8').split(SEPARATOR);
}

/**
 * Turns yaz's answer for "<char>a" into "HEX[+HEX...][*]" ('*' = combining), or null. YAZ may
 * put a combining mark before or after the probe's base letter depending on the escapes between
 * them, so the base is removed from either end and "combining" is decided by Unicode category:
 * every MARC-8 combining character maps to a Unicode mark (Mn/Mc/Me) and no other one does.
 */
function entry(answer: string): string | null {
  const s = answer.normalize('NFD');
  let value: string;
  if (s.length > 1 && s.endsWith('a')) value = s.slice(0, -1);
  else if (s.length > 1 && s.startsWith('a')) value = s.slice(1);
  else return null;
  const combining = /^\p{M}+$/u.test(value);
  const hex = [...value.normalize('NFC')].map((c) => (c.codePointAt(0) ?? 0).toString(16).toUpperCase());
  return hex.join('+') + (combining ? '*' : '');
}

const hex2 = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

function singleByteSet(spec: SetSpec): string {
  const input: number[] = [];
  const codes: number[] = [];
  for (let c = 0x21; c <= 0x7e; c++) {
    input.push(...RESET, ...spec.designate, spec.g1 ? c | 0x80 : c, ...RESET, 0x61, ...Buffer.from(SEPARATOR));
    codes.push(c);
  }
  const answers = probe(input);
  const entries: string[] = [];
  codes.forEach((c, i) => {
    const key = `${spec.final}:${hex2(c)}`;
    const e = OVERRIDES[key] ?? entry(answers[i] ?? '');
    if (e) entries.push(`${hex2(c)}=${e}`);
  });
  return entries.join(' ');
}

function eacc(): string {
  const entries: string[] = [];
  // One yaz run per first byte keeps each input small (94 * 94 probes).
  for (let b1 = 0x21; b1 <= 0x7e; b1++) {
    const input: number[] = [];
    const codes: number[] = [];
    for (let b2 = 0x21; b2 <= 0x7e; b2++) {
      for (let b3 = 0x20; b3 <= 0x7e; b3++) {
        input.push(...RESET, ESC, 0x24, 0x31, b1, b2, b3, ...RESET, 0x61, ...Buffer.from(SEPARATOR));
        codes.push((b1 << 16) | (b2 << 8) | b3);
      }
    }
    const answers = probe(input);
    codes.forEach((code, i) => {
      const e = entry(answers[i] ?? '');
      // A third byte 0x20 is a code only where YAZ maps it to something other than a space.
      if (e && !((code & 0xff) === 0x20 && e === '20')) entries.push(`${code.toString(16).toUpperCase()}=${e}`);
    });
  }
  return entries.join(' ');
}

/** ANSEL's four C1 code points (non-sort begin/end, joiners) work whatever G1 holds. */
function c1Controls(): string {
  const entries: string[] = [];
  for (const c of [0x88, 0x89, 0x8d, 0x8e]) {
    const [answer] = probe([...RESET, c, 0x61, ...Buffer.from(SEPARATOR)]);
    const e = entry(answer ?? '');
    if (e) entries.push(`${hex2(c)}=${e}`);
  }
  return entries.join(' ');
}

function main(): void {
  const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'yaz']).toString().trim();
  const sets: Record<string, { name: string; entries: string }> = {};
  for (const spec of SINGLE_BYTE_SETS) sets[spec.final] = { name: spec.name, entries: singleByteSet(spec) };
  sets['1'] = { name: 'East Asian Character Code (EACC)', entries: eacc() };
  const table = {
    about:
      'MARC-8 to Unicode. Keys: 7-bit code (single-byte sets) or 3-byte EACC code, hex; values: ' +
      "code points (NFC), '*' marks a combining mark. Generated by generate-marc8-tables.ts from " +
      `yaz-iconv (YAZ ${version}, Index Data), which implements the Library of Congress MARC-8 code tables.`,
    c1: c1Controls(),
    sets,
  };
  const target = path.resolve(__dirname, '../../../../../plugins/inventory/records/marc8/marc8-tables.json');
  writeFileSync(target, JSON.stringify(table, null, 1) + '\n');
  const counts = Object.entries(sets).map(([k, v]) => `${k}:${v.entries.split(' ').length}`);
  console.log(`wrote ${target} (${counts.join(', ')})`);
}

if (require.main === module) main();
