/**
 * Unqualified Dublin Core -> MARC 21, after the Library of Congress "Dublin Core to MARC
 * Crosswalk" (https://www.loc.gov/marc/dccross.html) and its stylesheet DC2MARC21slim.xsl:
 *
 *   title        245 00 $a (the first), 246 33 $a (the others)
 *   creator      720 ## $a $e author        (720: names not in authority form, as DC names are)
 *   contributor  720 ## $a
 *   subject      653 ## $a
 *   description  520 ## $a
 *   publisher    260 ## $b   } one 260 holding every publisher and date, in order
 *   date         260 ## $c   }
 *   type         655 #7 $a $2 local; DCMI types also set leader/06-07
 *   format       856 ## $q for a media type (the crosswalk's choice); 300 $a for an extent
 *                ("24 p."), 340 $a otherwise (the qualified crosswalk's Format.Extent / Medium)
 *   identifier   856 40 $u for an http(s) URL, 024 8# $a otherwise
 *   source       786 0# $n
 *   language     041 0# $a for an ISO 639-2 code (and 008/35-37 for the first), 546 ## $a for text
 *   relation     787 0# $n
 *   coverage     500 ## $a
 *   rights       540 ## $a
 *
 * Added for a usable record: 001 (the title id), 005 (its datestamp), 008 (date and language
 * from the DC, the rest "no attempt to code"), 042 $a dc (authentication code "Dublin Core").
 * The leader says "abbreviated level" (17 = 3) and "unknown descriptive form" (18 = u).
 */
import type { DublinCore } from '../../../core/db/entities/title.entity';
import type { MarcDataField, MarcField, MarcRecord } from '../../inventory/records';
import { stripIllegalXmlChars } from '../../inventory/records/xml-chars';

export interface DcToMarcInput {
  dc: DublinCore;
  /** Written as 001. */
  id: string;
  /** 245 $a when the DC has no title. */
  fallbackTitle: string;
  /** 008/00-05 (date entered on file). */
  created?: Date;
  /** 005 (date and time of latest transaction). */
  changed?: Date;
}

/** DCMI Type (lowercase, spaces removed) -> leader/06. */
const LEADER_06: Record<string, string> = {
  text: 'a',
  image: 'k',
  stillimage: 'k',
  movingimage: 'g',
  sound: 'i',
  dataset: 'm',
  software: 'm',
  interactiveresource: 'm',
  service: 'm',
  physicalobject: 'r',
};

const MIME = /^[a-z]+\/[a-z0-9][a-z0-9.+-]*(\s*;.*)?$/i;
const URL = /^https?:\/\/\S+$/i;
const LANGUAGE_CODE = /^[a-z]{3}$/;

const value = (s: string): string => stripIllegalXmlChars(s).replace(/\s+/g, ' ').trim();
const field = (tag: string, ind1: string, ind2: string, ...subfields: [string, string][]): MarcDataField => ({
  tag,
  ind1,
  ind2,
  subfields: subfields.map(([code, v]) => ({ code, value: v })),
});

/** A MARC 21 bibliographic record for a title described in Dublin Core; the leader's lengths are left as zeros. */
export function dcToMarc(input: DcToMarcInput): MarcRecord {
  const get = (e: keyof DublinCore): string[] => (input.dc[e] ?? []).map(value).filter(Boolean);
  const fields: MarcField[] = [];
  const types = get('type');
  const dates = get('date');
  const languages = get('language');
  const codes = languages.filter((l) => LANGUAGE_CODE.test(l));

  fields.push({ tag: '001', value: value(input.id) || 'unknown' });
  const changed = marcTimestamp(input.changed);
  if (changed) fields.push({ tag: '005', value: changed });
  fields.push({ tag: '008', value: field008(input.created, dates[0], codes[0]) });

  for (const id of get('identifier')) {
    fields.push(URL.test(id) ? field('856', '4', '0', ['u', id]) : field('024', '8', ' ', ['a', id]));
  }
  if (codes.length) fields.push(field('041', '0', ' ', ...codes.map((c): [string, string] => ['a', c])));
  fields.push(field('042', ' ', ' ', ['a', 'dc']));

  const titles = get('title');
  fields.push(field('245', '0', '0', ['a', titles[0] ?? (value(input.fallbackTitle) || '[untitled]')]));
  for (const t of titles.slice(1)) fields.push(field('246', '3', '3', ['a', t]));

  const publishers = get('publisher');
  if (publishers.length || dates.length) {
    fields.push(field('260', ' ', ' ', ...publishers.map((p): [string, string] => ['b', p]), ...dates.map((d): [string, string] => ['c', d])));
  }
  for (const f of get('format')) {
    if (MIME.test(f)) fields.push(field('856', ' ', ' ', ['q', f]));
    else fields.push(field(/^\d/.test(f) ? '300' : '340', ' ', ' ', ['a', f]));
  }
  for (const c of get('coverage')) fields.push(field('500', ' ', ' ', ['a', c]));
  for (const d of get('description')) fields.push(field('520', ' ', ' ', ['a', d]));
  for (const r of get('rights')) fields.push(field('540', ' ', ' ', ['a', r]));
  for (const l of languages) if (!LANGUAGE_CODE.test(l)) fields.push(field('546', ' ', ' ', ['a', l]));
  for (const s of get('subject')) fields.push(field('653', ' ', ' ', ['a', s]));
  for (const t of types) fields.push(field('655', ' ', '7', ['a', t], ['2', 'local']));
  for (const c of get('creator')) fields.push(field('720', ' ', ' ', ['a', c], ['e', 'author']));
  for (const c of get('contributor')) fields.push(field('720', ' ', ' ', ['a', c]));
  for (const s of get('source')) fields.push(field('786', '0', ' ', ['n', s]));
  for (const r of get('relation')) fields.push(field('787', '0', ' ', ['n', r]));

  // Tag order, keeping the order of each tag's fields (Array.prototype.sort is stable).
  fields.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  return { leader: leaderFor(types), fields };
}

/** Leader for a DC-described record: type of record from the first DCMI type, collection level for "Collection". */
function leaderFor(types: string[]): string {
  const keys = types.map((t) => t.toLowerCase().replace(/[\s_-]+/g, ''));
  const collection = keys.includes('collection');
  const l06 = keys.map((k) => LEADER_06[k]).find(Boolean) ?? (collection ? 'p' : 'a');
  return `00000n${l06}${collection ? 'c' : 'm'} a22000003u 4500`;
}

/** 008 (all forms of material): date entered, date type and date 1, language; the material-specific part is fill characters. */
function field008(created: Date | undefined, date: string | undefined, language: string | undefined): string {
  const entered = validDate(created) ? created.toISOString().slice(2, 10).replace(/-/g, '') : '||||||';
  const year = /^(\d{4})/.exec(date ?? '')?.[1];
  const dates = year ? `s${year}    ` : 'nuuuuuuuu';
  return `${entered}${dates}xx ${'|'.repeat(17)}${language ?? '|||'} d`;
}

/** 005: yyyymmddhhmmss.f in UTC. */
function marcTimestamp(d: Date | undefined): string | undefined {
  if (!validDate(d)) return undefined;
  const iso = d.toISOString(); // 2024-05-01T12:34:56.789Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}.${iso.slice(20, 21)}`;
}

const validDate = (d: Date | undefined): d is Date => d instanceof Date && !Number.isNaN(d.getTime());
