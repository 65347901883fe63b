/**
 * Checks and repairs shared by the ISO 2709 and MARCXML readers, so that every record they return
 * can be written as MARCXML that validates against MARC21slim.xsd.
 */
import { RecordError, type RecordFaultLocation } from './record-error';

/** Leader positions as MARC21slim.xsd constrains them (leaderDataType), with their names. */
const LEADER_POSITIONS: { from: number; to: number; allowed: RegExp; what: string }[] = [
  { from: 0, to: 4, allowed: /^[0-9 ]$/, what: 'record length: digits' },
  { from: 5, to: 5, allowed: /^[0-9A-Za-z ]$/, what: 'record status: a letter, digit or blank' },
  { from: 6, to: 6, allowed: /^[0-9A-Za-z]$/, what: 'type of record: a letter or digit' },
  { from: 7, to: 9, allowed: /^[0-9A-Za-z ]$/, what: 'a letter, digit or blank' },
  { from: 12, to: 16, allowed: /^[0-9 ]$/, what: 'base address of data: digits' },
  { from: 17, to: 19, allowed: /^[0-9A-Za-z ]$/, what: 'a letter, digit or blank' },
];

const show = (s: string): string => JSON.stringify(s);

/**
 * The leader as written to MARCXML: leader/09 becomes "a" (the record is now Unicode) and the
 * ISO 2709 structure positions 10-11 and 20-23 take their only MARC 21 values. With `warnings`
 * (MARCXML input) a change to 10-11 or 20-23 is reported there; the ISO 2709 reader has already
 * refused or reported those. Anything else the schema does not allow is a fault.
 */
export function finishLeader(raw: string, where: RecordFaultLocation, warnings?: string[]): string {
  if (raw.length !== 24) {
    throw new RecordError('marc-leader-invalid', `the leader must be 24 characters long, found ${raw.length}: ${show(raw)}`, where);
  }
  if (warnings && raw.slice(10, 12) !== '22') warnings.push(`leader/10-11 ${show(raw.slice(10, 12))} written as "22"`);
  if (warnings && raw.slice(20, 24) !== '4500') warnings.push(`leader/20-23 ${show(raw.slice(20, 24))} written as "4500"`);
  const leader = raw.slice(0, 9) + 'a22' + raw.slice(12, 20) + '4500';
  for (const p of LEADER_POSITIONS) {
    for (let i = p.from; i <= p.to; i++) {
      const ch = leader[i] ?? '';
      if (!p.allowed.test(ch)) {
        const pos = p.from === p.to ? String(p.from).padStart(2, '0') : `${String(p.from).padStart(2, '0')}-${String(p.to).padStart(2, '0')}`;
        throw new RecordError('marc-leader-invalid', `leader/${pos} must be ${p.what}, found ${show(leader.slice(p.from, p.to + 1))}`, where);
      }
    }
  }
  return leader;
}

/** An indicator MARCXML allows (digit, lowercase letter, blank), or blank with a note in `repairs`. */
export function finishIndicator(ind: string, tag: string, n: 1 | 2, repairs: string[]): string {
  if (/^[0-9a-z ]$/.test(ind)) return ind;
  repairs.push(`field ${tag}: indicator ${n} ${show(ind)} is not allowed in MARCXML and was written as blank`);
  return ' ';
}

/** MARC21slim.xsd subfieldcodeDataType. */
const SUBFIELD_CODE = /^[0-9A-Za-z!"#$%&'()*+,\-./:;<=>?{}_^`~[\]\\]$/;

/**
 * The subfield code to write, or null if the subfield has to be dropped (no code, or one MARCXML
 * cannot carry), with a note in `repairs`. `value` only serves the note.
 */
export function finishSubfieldCode(code: string, value: string, tag: string, repairs: string[]): string | null {
  if (SUBFIELD_CODE.test(code)) return code;
  repairs.push(
    code
      ? `field ${tag}: dropped subfield ${show(code)} ${show(value.slice(0, 30))}, as MARCXML does not allow that subfield code`
      : `field ${tag}: dropped ${value ? `the text ${show(value.slice(0, 30))} of ` : ''}a subfield that has no code`,
  );
  return null;
}

/** True if the tag is one MARCXML accepts for a data field (controlfields are 00X). */
export function isValidDataTag(tag: string): boolean {
  return /^(0([1-9A-Z][0-9A-Z])|0([1-9a-z][0-9a-z]))$|^(([1-9A-Z][0-9A-Z]{2})|([1-9a-z][0-9a-z]{2}))$/.test(tag);
}
