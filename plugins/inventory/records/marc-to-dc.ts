/**
 * MARC 21 -> unqualified Dublin Core, after the Library of Congress "MARC to Dublin Core
 * Crosswalk" (https://www.loc.gov/marc/marc2dc.html), section "Unqualified":
 *
 *   creator      100, 110, 111, 700, 710, 711, 720 (the table says "contributor, creator not used";
 *                we follow LoC's own MARCXML-to-oai_dc stylesheet, MARC21slim2OAIDC.xsl, instead:
 *                harvesters such as BASE and Primo read authors from dc:creator)
 *   coverage     651, 662, 751, 752
 *   date         008/07-10, 260 $c $g
 *   description  500-599 except 506, 530, 540, 546
 *   format       340, 856 $q
 *   identifier   020 $a, 022 $a, 024 $a, 856 $u
 *   language     008/35-37, 041 $a $b $d $e $f $g $h $j, 546
 *   publisher    260 $a $b
 *   relation     530, 760-787 $o $t
 *   rights       506, 540
 *   source       534 $t, 786 $o $t
 *   subject      050, 060, 080, 082, 600, 610, 611, 630, 650, 653
 *   title        245, 246
 *   type         leader/06-07 (Appendix 2), 655
 *
 * Choices the crosswalk leaves open: a field's value is its text subfields joined by spaces
 * (numeric control subfields $0-$9 and relator terms left out; 245 without $c and $h); subject
 * and genre subdivisions ($v $x $y $z) are joined with "--"; trailing ISBD punctuation is removed
 * from names, titles, subjects and the like but kept in notes. 264 (RDA publication statement,
 * defined after the crosswalk) is read like 260. 880 fields (alternate script) map like the field
 * their $6 links to. Type uses DCMI Type terms: Text, Image, Sound, and Collection for
 * leader/07 c (and the crosswalk's leader/06 p with leader/07 s).
 */
import { DC_ELEMENTS, type DcElement, type DublinCore } from '../../../core/db/entities/title.entity';
import { controlValue, isControlField, type MarcDataField, type MarcRecord } from './marc-record';

type Builder = Record<DcElement, string[]>;

/** Removes trailing ISBD punctuation (" /", " :", " ;", " =", ",") and a closing period that does not end an abbreviation. */
export function chopPunctuation(value: string): string {
  let s = value.replace(/\s+/g, ' ').trim();
  for (;;) {
    const before = s;
    s = s.replace(/\s*(?:[/:;=,]|--)$/, '').trimEnd();
    // Keep the period of an initial or short abbreviation ("J.", "Jr.", "Inc.", "U.S.") and of an ellipsis.
    if (s.endsWith('.') && !s.endsWith('...') && !/(^|[\s.(])\p{L}{1,3}\.$/u.test(s)) s = s.slice(0, -1).trimEnd();
    if (s === before) return s;
  }
}

const join = (parts: string[]): string => parts.join(' ').replace(/\s+/g, ' ').trim();

/** Text subfields (letters) of a field, except the codes in `skip`. */
function text(field: MarcDataField, skip = ''): string {
  return join(field.subfields.filter((s) => /^[a-z]$/.test(s.code) && !skip.includes(s.code)).map((s) => s.value));
}

/** A heading with its subdivisions: "Main heading--Subdivision--Subdivision". */
function heading(field: MarcDataField, skip = ''): string {
  const main: string[] = [];
  const subdivisions: string[] = [];
  for (const s of field.subfields) {
    if (!/^[a-z]$/.test(s.code) || skip.includes(s.code)) continue;
    if ('vxyz'.includes(s.code)) subdivisions.push(chopPunctuation(s.value));
    else main.push(s.value);
  }
  return [chopPunctuation(join(main)), ...subdivisions].filter(Boolean).join('--');
}

/** Values of the given subfields, one per occurrence. */
const each = (field: MarcDataField, codes: string): string[] => field.subfields.filter((s) => codes.includes(s.code)).map((s) => s.value);

/** The tag an 880 field stands in for, from its $6 ("245-01/(N"). */
function linkedTag(field: MarcDataField): string | undefined {
  const six = field.subfields.find((s) => s.code === '6')?.value;
  const m = six ? /^(\d{3})-/.exec(six) : null;
  return m?.[1];
}

const LEADER_TYPES: Record<string, string> = {
  a: 'Text', c: 'Text', d: 'Text', t: 'Text',
  e: 'Image', f: 'Image', g: 'Image', k: 'Image',
  i: 'Sound', j: 'Sound',
};

/** Unqualified Dublin Core for a MARC 21 bibliographic record. */
export function marcToDc(rec: MarcRecord): DublinCore {
  const dc = Object.fromEntries(DC_ELEMENTS.map((e) => [e, []])) as unknown as Builder;
  /** chop: all trailing ISBD punctuation; 'separators': only " :", " ;", " /" and the like (identifiers, formats); false: none (notes). */
  const add = (element: DcElement, value: string | undefined, chop: boolean | 'separators' = true): void => {
    const raw = (value ?? '').replace(/\s+/g, ' ').trim();
    const v = chop === true ? chopPunctuation(raw) : chop === 'separators' ? raw.replace(/(\s*[/:;=,])+$/, '') : raw;
    if (v && !dc[element].includes(v)) dc[element].push(v);
  };

  const type = LEADER_TYPES[rec.leader[6] ?? ''];
  if (type) add('type', type);
  const l7 = rec.leader[7];
  if (l7 === 'c' || (rec.leader[6] === 'p' && l7 === 's')) add('type', 'Collection');

  const f008 = controlValue(rec, '008') ?? '';
  const date1 = f008.slice(7, 11);
  if (/^[0-9u]{4}$/.test(date1) && /\d/.test(date1)) add('date', date1);
  const lang = f008.slice(35, 38);
  if (/^[a-z]{3}$/.test(lang)) add('language', lang);

  for (const field of rec.fields) {
    if (isControlField(field)) continue;
    const tag = field.tag === '880' ? linkedTag(field) : field.tag;
    if (!tag) continue;
    const n = Number(tag);
    switch (tag) {
      case '245':
        add('title', text(field, 'ch'));
        continue;
      case '246':
        add('title', text(field, 'hi'));
        continue;
      case '100': case '110': case '700': case '710': case '720':
        add('creator', text(field, 'eit'));
        continue;
      case '111': case '711':
        add('creator', text(field, 'ijt'));
        continue;
      case '651': case '662': case '752':
        add('coverage', heading(field, 'e'));
        continue;
      case '751':
        add('coverage', text(field, 'e'));
        continue;
      case '260':
      case '264':
        if (tag === '264' && field.ind2 !== '1') {
          if (field.ind2 === '4') for (const c of each(field, 'c')) add('date', c);
          continue;
        }
        add('publisher', join(each(field, 'ab')));
        for (const c of each(field, tag === '260' ? 'cg' : 'c')) add('date', c);
        continue;
      case '340':
        add('format', text(field), 'separators');
        continue;
      case '856':
        for (const q of each(field, 'q')) add('format', q, 'separators');
        for (const u of each(field, 'u')) add('identifier', u, 'separators');
        continue;
      case '020': case '022': case '024':
        for (const a of each(field, 'a')) add('identifier', a, 'separators');
        continue;
      case '041':
        for (const code of each(field, 'abdefghj')) {
          // Older records pack several codes into one subfield ("engfre").
          const codes = /^([a-z]{3})+$/.test(code) ? (code.match(/[a-z]{3}/g) ?? []) : [code];
          for (const c of codes) add('language', c);
        }
        continue;
      case '546':
        add('language', text(field), false);
        continue;
      case '530':
        add('relation', text(field), false);
        continue;
      case '506': case '540':
        add('rights', text(field), false);
        continue;
      case '534': // source, and a note like the rest of 5XX
        for (const t of each(field, 't')) add('source', t);
        break;
      case '050': case '060': case '080': case '082':
        for (const a of each(field, 'a')) add('subject', a);
        continue;
      case '600': case '610': case '611': case '630': case '650':
        add('subject', heading(field, 'e4'));
        continue;
      case '653':
        for (const a of each(field, 'a')) add('subject', a);
        continue;
      case '655':
        add('type', heading(field));
        continue;
    }
    if (n >= 500 && n <= 599) add('description', text(field), false);
    else if (n >= 760 && n <= 787) {
      const ref = join(each(field, 'to'));
      add('relation', ref);
      if (tag === '786') add('source', ref);
    }
  }
  const out: DublinCore = {};
  for (const e of DC_ELEMENTS) if (dc[e].length) out[e] = dc[e];
  return out;
}
