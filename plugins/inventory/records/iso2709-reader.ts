/**
 * ISO 2709 (MARC 21 "communications format") reader with strict structural validation, per
 * https://www.loc.gov/marc/specifications/specrecstruc.html. Reading is two passes: every
 * record's frame (leader, directory, terminators) is checked before any is decoded, so a
 * structural fault anywhere in the stream is reported before a content problem in an earlier record.
 */
import type { TextDecoder } from 'node:util';
import { isControlTag, type MarcField, type MarcRecord, type MarcSubfield } from './marc-record';
import { finishIndicator, finishLeader, finishSubfieldCode, isValidDataTag } from './marc-validation';
import { Marc8Decoder } from './marc8/marc8-decoder';
import { RecordError } from './record-error';
import { charsetName, decodeUtf8, findInvalidUtf8, looksLikeUtf8, strictDecoder } from './text-decoding';
import { CharScrubber } from './xml-chars';

const FIELD_TERMINATOR = 0x1e;
const RECORD_TERMINATOR = 0x1d;
const DELIMITER = 0x1f;
const MAX_RECORD_LENGTH = 99999;

export interface Iso2709Options {
  /** Overrides leader/09: 'utf-8', 'marc-8', or any label TextDecoder knows (e.g. 'windows-1251'). */
  charset?: string;
}

/** A record as read, with the repairs made while reading it. */
export interface ReadMarcRecord {
  record: MarcRecord;
  warnings: string[];
}

interface DirectoryEntry {
  tag: string;
  /** Absolute offsets of the field's data, field terminator excluded. */
  start: number;
  end: number;
}

interface Frame {
  number: number;
  offset: number;
  end: number;
  leader: string;
  entries: DirectoryEntry[];
  warnings: string[];
}

/** Reads every record of an ISO 2709 stream; throws RecordError on the first fault. */
export function readIso2709(body: Buffer, opts: Iso2709Options = {}): MarcRecord[] {
  return readIso2709Records(body, opts).map((r) => r.record);
}

/** Like readIso2709, keeping each record's warnings. */
export function readIso2709Records(body: Buffer, opts: Iso2709Options = {}): ReadMarcRecord[] {
  const charset = opts.charset ? resolveCharset(opts.charset) : undefined;
  return frameRecords(body).map((frame) => decodeRecord(body, frame, charset));
}

type Charset = 'utf-8' | 'marc-8' | { label: string; decoder: TextDecoder };

function resolveCharset(label: string): Charset {
  const l = label.trim().toLowerCase();
  if (l === 'marc-8' || l === 'marc8' || l === 'ansel') return 'marc-8';
  const name = charsetName(l);
  if (!name) throw new RecordError('unsupported-charset', `charset "${label}" is not supported; use utf-8, marc-8 or a charset such as windows-1251 or iso-8859-1`);
  if (name === 'utf-8') return 'utf-8';
  // MARC structure bytes (0x1D-0x1F, ASCII digits) must mean the same in the charset.
  if (name.startsWith('utf-16')) throw new RecordError('unsupported-charset', `charset "${label}" is not ASCII-compatible, so it cannot carry ISO 2709 records`);
  return { label: name, decoder: strictDecoder(name) };
}

const latin1 = (body: Buffer, start: number, end: number): string => body.toString('latin1', start, end);
const hex = (b: number | undefined): string => '0x' + (b ?? 0).toString(16).toUpperCase().padStart(2, '0');
/** A short, printable rendering of raw bytes for messages. */
const show = (s: string): string => JSON.stringify(s.replace(/[^\x20-\x7e]/g, '?'));

function frameRecords(body: Buffer): Frame[] {
  const frames: Frame[] = [];
  let pos = 0;
  while (pos < body.length) {
    if (frames.length) {
      let ws = pos;
      while (ws < body.length && (body[ws] === 0x0a || body[ws] === 0x0d)) ws++;
      const last = frames[frames.length - 1];
      if (ws === body.length && last) {
        last.warnings.push(`ignored ${ws - pos} line-end byte(s) after the last record`);
        break;
      }
      if (ws > pos || !/^\d{5}$/.test(latin1(body, pos, pos + 5))) {
        throw new RecordError(
          'marc-trailing-data',
          `byte ${hex(body[pos])} follows record ${frames.length} where the next record's leader or the end of the data should be; ` +
            'ISO 2709 records must follow one another directly',
          { record: frames.length + 1, offset: pos },
        );
      }
    }
    const frame = frameRecord(body, pos, frames.length + 1);
    frames.push(frame);
    pos = frame.end;
  }
  return frames;
}

function frameRecord(body: Buffer, pos: number, number: number): Frame {
  const where = { record: number, offset: pos };
  if (body.length - pos < 24) {
    throw new RecordError('marc-record-length', `only ${body.length - pos} byte(s) remain, fewer than a 24-byte leader`, where);
  }
  const lengthText = latin1(body, pos, pos + 5);
  if (!/^\d{5}$/.test(lengthText)) {
    const hint = body[pos] === 0x3c ? ' (this looks like XML: send MARCXML as application/marcxml+xml)' : '';
    throw new RecordError('marc-leader-invalid', `leader/00-04 (record length) must be five digits, found ${show(lengthText)}${hint}`, where);
  }
  const length = Number(lengthText);
  const terminator = body.indexOf(RECORD_TERMINATOR, pos);
  if (terminator < 0) {
    throw new RecordError(
      'marc-record-length',
      `leader/00-04 says the record is ${length} bytes, but no record terminator (0x1D) follows` +
        (pos + length > body.length ? ` and only ${body.length - pos} bytes remain` : ''),
      where,
    );
  }
  const actual = terminator - pos + 1;
  if (actual !== length) {
    if (actual > MAX_RECORD_LENGTH) {
      throw new RecordError(
        'marc-record-too-long',
        `the record runs to its terminator at byte offset ${terminator}, ${actual} bytes, more than the ${MAX_RECORD_LENGTH} ` +
          `an ISO 2709 leader can state (leader/00-04 says ${lengthText})`,
        where,
      );
    }
    throw new RecordError(
      'marc-record-length',
      `leader/00-04 says the record is ${length} bytes, but its record terminator (0x1D) is at byte offset ${terminator}, making it ${actual} bytes`,
      where,
    );
  }
  const leader = latin1(body, pos, pos + 24);
  if (leader.slice(10, 12) !== '22') {
    throw new RecordError('marc-leader-invalid', `leader/10-11 (indicator count, subfield code length) must be "22", found ${show(leader.slice(10, 12))}`, where);
  }
  const entryMap = leader.slice(20, 24);
  // Positions 20-22 size the directory entries (4, 5, 0); 23 is undefined. A blank 22 means 0.
  if (entryMap[0] !== '4' || entryMap[1] !== '5' || (entryMap[2] !== '0' && entryMap[2] !== ' ')) {
    throw new RecordError('marc-leader-invalid', `leader/20-23 (entry map) must be "4500", found ${show(entryMap)}`, where);
  }
  const warnings: string[] = [];
  if (entryMap !== '4500') warnings.push(`leader/20-23 ${show(entryMap)} written as "4500"`);

  const baseText = leader.slice(12, 17);
  if (!/^\d{5}$/.test(baseText)) {
    throw new RecordError('marc-base-address-invalid', `leader/12-16 (base address of data) must be five digits, found ${show(baseText)}`, where);
  }
  const base = Number(baseText);
  if (base < 25 || base >= length) {
    throw new RecordError('marc-base-address-invalid', `leader/12-16 gives base address ${base}, outside the record's ${length} bytes (after the leader, before the terminator)`, where);
  }
  const dirEnd = pos + base - 1;
  if (body[dirEnd] !== FIELD_TERMINATOR) {
    throw new RecordError(
      'marc-directory-invalid',
      `the directory must end with a field terminator (0x1E) just before the base address, at byte offset ${dirEnd}, found ${hex(body[dirEnd])}`,
      where,
    );
  }
  const dirLength = base - 1 - 24;
  if (dirLength % 12 !== 0) {
    throw new RecordError('marc-directory-invalid', `the directory is ${dirLength} bytes long, not a multiple of the 12-byte entry length`, where);
  }
  const entries: DirectoryEntry[] = [];
  const dataEnd = pos + length - 1; // the record terminator
  for (let e = pos + 24, n = 1; e < dirEnd; e += 12, n++) {
    const raw = latin1(body, e, e + 12);
    const m = /^([0-9A-Za-z]{3})(\d{4})(\d{5})$/.exec(raw);
    if (!m) {
      throw new RecordError('marc-directory-invalid', `directory entry ${n} (byte offset ${e}) is ${show(raw)}, not a tag, four digits and five digits`, where);
    }
    const [, tag = '', len = '', st = ''] = m;
    const start = pos + base + Number(st);
    const end = start + Number(len); // one past the field terminator
    if (Number(len) === 0 || end > dataEnd) {
      throw new RecordError('marc-directory-invalid', `field ${tag} (directory entry ${n}) runs past the end of the record: starts at ${st}, ${len} bytes long`, where);
    }
    if (body[end - 1] !== FIELD_TERMINATOR) {
      throw new RecordError(
        'marc-field-terminator',
        `field ${tag} (directory entry ${n}) should end with a field terminator (0x1E) at byte offset ${end - 1}, found ${hex(body[end - 1])}`,
        where,
      );
    }
    entries.push({ tag, start, end: end - 1 });
  }
  return { number, offset: pos, end: pos + length, leader, entries, warnings };
}

function decodeRecord(body: Buffer, frame: Frame, override: Charset | undefined): ReadMarcRecord {
  const where = { record: frame.number, offset: frame.offset };
  const warnings = [...frame.warnings];
  let charset: Charset;
  const scheme = frame.leader[9];
  if (override) charset = override;
  else if (scheme === 'a') charset = 'utf-8';
  else if (scheme === ' ') {
    charset = 'marc-8';
    // Records often carry UTF-8 with leader/09 left blank; MARC-8 text is never valid multibyte UTF-8 in practice.
    if (!body.subarray(frame.offset, frame.end).includes(0x1b) && looksLikeUtf8(body, frame.offset, frame.end)) {
      charset = 'utf-8';
      warnings.push('leader/09 is blank (MARC-8) but the record is valid UTF-8 with no MARC-8 escapes: read as UTF-8');
    }
  } else {
    throw new RecordError(
      'marc-leader-invalid',
      `leader/09 (character coding scheme) must be " " (MARC-8) or "a" (UCS/Unicode), found ${show(scheme ?? '')}; a charset parameter on the Content-Type can say which it is`,
      where,
    );
  }

  const scrubber = new CharScrubber();
  const marc8 = charset === 'marc-8' ? new Marc8Decoder() : undefined;
  /** Decodes raw field bytes to a string (not yet normalized: values are normalized one by one). */
  const decode = (start: number, end: number, tag: string): string => {
    if (charset === 'utf-8') {
      const bad = findInvalidUtf8(body, start, end);
      if (bad >= 0) {
        throw new RecordError(
          'marc-invalid-utf8',
          `field ${tag}: byte ${hex(body[bad])} at byte offset ${bad} is not valid UTF-8` + (override ? '' : ' (leader/09 "a" declares UTF-8)'),
          { record: frame.number, offset: bad },
        );
      }
      return decodeUtf8(body, start, end);
    }
    if (marc8) return marc8.decodeField(body, start, end, tag);
    if (charset === 'marc-8') throw new Error('unreachable: a MARC-8 record always has a decoder');
    try {
      return charset.decoder.decode(body.subarray(start, end));
    } catch {
      throw new RecordError('marc-undecodable-bytes', `field ${tag} holds bytes that are not valid ${charset.label}`, { record: frame.number, offset: start });
    }
  };
  const finish = (s: string, tag: string): string => scrubber.scrub(s.normalize('NFC'), tag);

  const fields: MarcField[] = [];
  const repairs: string[] = [];
  for (const entry of frame.entries) {
    const { tag, start, end } = entry;
    if (isControlTag(tag) ? !/^00[1-9A-Za-z]$/.test(tag) : !isValidDataTag(tag)) {
      repairs.push(`field ${show(tag)} was dropped: MARCXML does not allow that tag`);
      continue;
    }
    if (isControlTag(tag)) {
      fields.push({ tag, value: finish(decode(start, end, tag), tag) });
      continue;
    }
    if (end - start < 2 || body[start] === DELIMITER || body[start + 1] === DELIMITER) {
      throw new RecordError('marc-field-invalid', `data field ${tag} at byte offset ${start} lacks its two indicators`, where);
    }
    const indicators = finish(decode(start, start + 2, tag), tag);
    const ind1 = finishIndicator(indicators[0] ?? ' ', tag, 1, repairs);
    const ind2 = finishIndicator(indicators[1] ?? ' ', tag, 2, repairs);
    let first = start + 2;
    while (first < end && body[first] !== DELIMITER) first++;
    if (first > start + 2) {
      repairs.push(`field ${tag}: ignored ${show(latin1(body, start + 2, first))} between the indicators and the first subfield`);
    }
    const subfields: MarcSubfield[] = [];
    const addSubfield = (codeChar: string, value: string): void => {
      const code = finishSubfieldCode(codeChar, value, tag, repairs);
      if (code !== null) subfields.push({ code, value: finish(value, tag) });
    };
    if (marc8) {
      // One pass over the whole field: MARC-8 character sets carry across subfield delimiters.
      for (const piece of marc8.decodeField(body, first, end, tag).split('\u001f').slice(1)) {
        const codeChar = piece ? String.fromCodePoint(piece.codePointAt(0) ?? 0) : '';
        addSubfield(codeChar, piece.slice(codeChar.length));
      }
    } else {
      // The subfield code is the one byte after the delimiter (leader/11 = 2); only the data is text.
      for (let d = first; d < end; ) {
        let next = body.indexOf(DELIMITER, d + 1);
        if (next < 0 || next > end) next = end;
        addSubfield(d + 1 < next ? latin1(body, d + 1, d + 2) : '', d + 2 < next ? decode(d + 2, next, tag) : '');
        d = next;
      }
    }
    if (!subfields.length) {
      repairs.push(`field ${tag} has no subfields and was dropped`);
      continue;
    }
    fields.push({ tag, ind1, ind2, subfields });
  }
  const leader = finishLeader(frame.leader, where);
  const record: MarcRecord = { leader, fields };
  warnings.push(...repairs);
  const charWarning = marc8?.warning();
  if (charWarning) warnings.push(charWarning);
  const scrubbed = scrubber.warning();
  if (scrubbed) warnings.push(scrubbed);
  return { record, warnings };
}
