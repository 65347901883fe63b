/**
 * MARC 21 bibliographic -> MODS 3.7, after the Library of Congress "MARC to MODS Mapping"
 * (https://www.loc.gov/standards/mods/mods-mapping.html) and LoC's MARC21slim2MODS3-x.xsl
 * stylesheets, for the fields digitized collections carry:
 *
 *   titleInfo            245 (nonSort from ind2), 210 abbreviated, 242 translated, 246 alternative
 *                        (ind2 1: translated), 130/240/730 uniform (nonSort from the indicator)
 *   name                 100/110/111 (usage="primary"), 700/710/711, 720; namePart with date and
 *                        termsOfAddress; role/roleTerm text from $e ($j for meetings), code from $4
 *   typeOfResource       leader/06 (manuscript, collection from leader/06-07)
 *   genre                655
 *   originInfo           008 (place code, dates encoding="marc"), 250, 260, 264, 310, leader/07
 *   language             008/35-37 and 041 (iso639-2b; $b, $d... as objectPart)
 *   physicalDescription  008 form of item, 300, 856 $q
 *   abstract 520, tableOfContents 505, targetAudience 521, note 245 $c and other 5XX
 *   subject              600/610/611/630/650/651/653/656/662 and 043, authority from ind2 or $2;
 *                        $v genre, $x topic, $y temporal, $z geographic
 *   classification       050, 060, 080, 082, 084, 086
 *   relatedItem          440/490/8XX series, 700-711 with $t, 760-787 linking entries
 *   identifier           010, 020, 022, 024, 028, 035 (OCLC), 856 $u
 *   location             852, 856 (url with displayLabel $3/$y, note $z)
 *   accessCondition      506, 540
 *   recordInfo           001/003, 005, 008/00-05, 040, leader/18
 *
 * 880 fields (alternate script) map like the field their $6 links to; the pair shares an
 * altRepGroup and the 880 carries its script (ISO 15924) where the element allows it. Values are
 * cleaned of ISBD punctuation as the stylesheet does (names, titles, subjects, places), notes are
 * kept as written.
 */
import { controlValue, isControlField, type MarcDataField, type MarcRecord } from '../../inventory/records';
import { chopPunctuation } from '../../inventory/records/marc-to-dc';
import { clean, el, rawTextEl, type XmlAttrs, type XmlNode } from './xml-out';

type Child = XmlNode | null;

/** Top-level MODS elements for a MARC record, in the order LoC's stylesheet writes them. */
export function marcToMods(rec: MarcRecord, recordOrigin: string): XmlNode[] {
  return new MarcToMods(rec).build(recordOrigin);
}

const chop = (s: string | undefined): string => (s ? chopPunctuation(clean(s)) : '');

/** Subfield values with these codes, in field order. */
const values = (f: MarcDataField, codes: string): string[] => f.subfields.filter((s) => codes.includes(s.code)).map((s) => s.value);
/** Subfield values with these codes joined by spaces. */
const joined = (f: MarcDataField, codes: string): string => clean(values(f, codes).join(' '));
/** Every letter subfield (and $3, materials specified) joined: the text of a note. */
const noteText = (f: MarcDataField): string => clean(f.subfields.filter((s) => /^[a-z3]$/.test(s.code)).map((s) => s.value).join(' '));

/** The subfields before the first of `codes` and from it on (name / title parts of a name-title field). */
function splitAt(f: MarcDataField, codes: string): [MarcDataField, MarcDataField] {
  const i = f.subfields.findIndex((s) => codes.includes(s.code));
  if (i < 0) return [f, { ...f, subfields: [] }];
  return [{ ...f, subfields: f.subfields.slice(0, i) }, { ...f, subfields: f.subfields.slice(i) }];
}

/** MARC-8 script identification codes in $6 -> ISO 15924 (MARC 21 Appendix A, "Script identification codes"). */
const SCRIPTS: Record<string, string> = { '(3': 'Arab', '(B': 'Latn', $1: 'Hani', '(N': 'Cyrl', '(S': 'Grek', '(2': 'Hebr' };

const TYPE_OF_RESOURCE: Record<string, string> = {
  a: 'text', t: 'text', c: 'notated music', d: 'notated music', e: 'cartographic', f: 'cartographic',
  g: 'moving image', i: 'sound recording-nonmusical', j: 'sound recording-musical', k: 'still image',
  m: 'software, multimedia', o: 'mixed material', p: 'mixed material', r: 'three dimensional object',
};

const ISSUANCE: Record<string, string> = { a: 'monographic', c: 'monographic', d: 'monographic', m: 'monographic', b: 'serial', s: 'serial', i: 'integrating resource' };

/** 008 form of item -> MODS form (marcform). */
const FORMS: Record<string, string> = {
  a: 'microfilm', b: 'microfiche', c: 'microopaque', d: 'large print', f: 'braille',
  o: 'electronic', q: 'electronic', s: 'electronic', r: 'regular print reproduction',
};

/** Second indicator of 6XX -> subject/genre authority. */
const THESAURI: Record<string, string> = { '0': 'lcsh', '1': 'lcshac', '2': 'mesh', '3': 'nal', '5': 'csh', '6': 'rvm' };

const NOTE_TYPES: Record<string, string> = {
  '501': 'with', '502': 'thesis', '504': 'bibliography', '508': 'creation/production credits',
  '510': 'citation/reference', '511': 'performers', '515': 'numbering', '518': 'venue',
  '524': 'preferred citation', '530': 'additional physical form', '533': 'reproduction',
  '534': 'original version', '535': 'original location', '536': 'funding', '538': 'system details',
  '541': 'acquisition', '545': 'biographical/historical', '546': 'language', '561': 'ownership',
  '562': 'version identification', '581': 'publications', '583': 'action', '585': 'exhibitions', '586': 'awards',
};

const LINKING_TYPES: Record<string, string | undefined> = {
  '760': 'series', '762': 'constituent', '765': 'original', '767': undefined, '770': undefined, '772': 'host',
  '773': 'host', '774': 'constituent', '775': 'otherVersion', '776': 'otherFormat', '777': undefined,
  '780': 'preceding', '785': 'succeeding', '786': 'original', '787': undefined,
};

const IDENTIFIER_024: Record<string, string> = { '0': 'isrc', '1': 'upc', '2': 'ismn', '3': 'ean', '4': 'sici' };
const IDENTIFIER_028: Record<string, string> = {
  '0': 'issue number', '1': 'matrix number', '2': 'music plate', '3': 'music publisher', '4': 'videorecording identifier',
};

class MarcToMods {
  private readonly out = {
    titleInfo: [] as Child[], name: [] as Child[], typeOfResource: [] as Child[], genre: [] as Child[],
    originInfo: [] as Child[], language: [] as Child[], physicalDescription: [] as Child[], abstract: [] as Child[],
    tableOfContents: [] as Child[], targetAudience: [] as Child[], note: [] as Child[], subject: [] as Child[],
    classification: [] as Child[], relatedItem: [] as Child[], identifier: [] as Child[], location: [] as Child[],
    accessCondition: [] as Child[], recordInfo: [] as Child[],
  };
  private readonly f008: string;
  /** Children of the main originInfo that come from data fields (260, 264, 250, 310). */
  private readonly origin = { place: [] as Child[], publisher: [] as Child[], dates: [] as Child[], edition: [] as Child[], frequency: [] as Child[] };
  private readonly extents: Child[] = [];
  private readonly mediaTypes = new Set<string>();

  constructor(private readonly rec: MarcRecord) {
    this.f008 = controlValue(rec, '008') ?? '';
  }

  build(recordOrigin: string): XmlNode[] {
    const leader = this.rec.leader;
    for (const f of this.rec.fields) if (!isControlField(f)) this.field(f);

    const type = TYPE_OF_RESOURCE[leader[6] ?? ''];
    this.out.typeOfResource.unshift(
      type ? el('typeOfResource', { collection: leader[7] === 'c' && 'yes', manuscript: 'dft'.includes(leader[6] ?? '-') && 'yes' }, type) : null,
    );
    this.out.originInfo.unshift(this.mainOriginInfo());
    this.out.language.unshift(...this.languages008());
    this.out.language = uniqueLanguages(this.out.language);
    this.out.physicalDescription.unshift(
      el('physicalDescription', null, this.form008(), this.extents, [...this.mediaTypes].map((m) => el('internetMediaType', null, m))),
    );
    this.out.recordInfo.push(this.recordInfo(recordOrigin));
    return Object.values(this.out).flat().filter((n): n is XmlNode => n !== null);
  }

  /** One data field (880s as the field they link to). */
  private field(f: MarcDataField): void {
    const six = f.subfields.find((s) => s.code === '6')?.value ?? '';
    const link = /^(\d{3})-(\d{2})(?:\/(.*))?/.exec(six);
    let tag = f.tag;
    let script: string | undefined;
    if (tag === '880') {
      if (!link?.[1]) return; // an 880 that says nothing about what it stands for
      tag = link[1];
      script = SCRIPTS[(link[3] ?? '').slice(0, 2)];
    }
    const group = link?.[2] && link[2] !== '00' ? link[2] : undefined;
    const a: XmlAttrs = { altRepGroup: group, script };
    const o = this.out;
    const n = Number(tag);
    switch (tag) {
      case '245': {
        o.titleInfo.push(titleInfo(f, null, 'afgk', Number(f.ind2), a));
        o.note.push(el('note', { type: 'statement of responsibility', altRepGroup: group }, joined(f, 'c')));
        return;
      }
      case '210': o.titleInfo.push(titleInfo(f, 'abbreviated', 'a', 0, a)); return;
      case '242': o.titleInfo.push(titleInfo(f, 'translated', 'a', 0, { ...a, lang: values(f, 'y')[0] })); return;
      case '246': o.titleInfo.push(titleInfo(f, f.ind2 === '1' ? 'translated' : 'alternative', 'af', 0, { ...a, displayLabel: chop(values(f, 'i')[0]) })); return;
      case '130': case '730': o.titleInfo.push(titleInfo(f, 'uniform', 'adfgklmors', Number(f.ind1), a)); return;
      case '240': o.titleInfo.push(titleInfo(f, 'uniform', 'adfgklmors', Number(f.ind2), a)); return;
      case '100': case '110': case '111':
        // The main entry is the primary name; its 880 twin is the same name in another script.
        o.name.push(nameOf(f, n % 100, { ...a, usage: f.tag === '880' ? undefined : 'primary' }));
        return;
      case '700': case '710': case '711': {
        const [namePart, titlePart] = splitAt(f, 't');
        if (!titlePart.subfields.length) o.name.push(nameOf(f, n % 100, a));
        else o.relatedItem.push(el('relatedItem', { type: f.ind2 === '2' ? 'constituent' : undefined }, nameOf(namePart, n % 100, {}), workTitle(titlePart, 0)));
        return;
      }
      case '720': o.name.push(nameOf(f, f.ind1 === '1' ? 0 : -1, a)); return;
      case '655':
        o.genre.push(el('genre', { authority: authority(f), altRepGroup: group }, heading([chop(joined(f, 'ab'))], f)));
        return;
      case '250': this.origin.edition.push(el('edition', null, chop(joined(f, 'ab')))); return;
      case '260': this.publication(f, 'cg'); return;
      case '264': this.event264(f, a); return;
      case '310': this.origin.frequency.push(el('frequency', null, chop(joined(f, 'ab')))); return;
      case '041': o.language.push(...this.languages041(f)); return;
      case '300': this.extents.push(el('extent', null, noteText(f))); return;
      case '520': o.abstract.push(el('abstract', { type: ABSTRACT_TYPES[f.ind1], ...a }, joined(f, 'ab'))); return;
      case '505':
        o.tableOfContents.push(el('tableOfContents', { displayLabel: f.ind1 === '1' ? 'Incomplete contents' : f.ind1 === '2' ? 'Partial contents' : undefined, ...a }, joined(f, 'agrt')));
        return;
      case '521': o.targetAudience.push(el('targetAudience', null, joined(f, 'ab'))); return;
      case '506': o.accessCondition.push(el('accessCondition', { type: 'restriction on access' }, noteText(f))); return;
      case '540': o.accessCondition.push(el('accessCondition', { type: 'use and reproduction' }, noteText(f))); return;
      case '600': case '610': case '611': case '630': case '650': case '651': case '653': case '656': case '662': case '043':
        o.subject.push(subject(f, tag, a));
        return;
      case '050': case '060': case '080': case '082': case '084': case '086':
        o.classification.push(...classification(f, tag));
        return;
      case '440': case '490': case '800': case '810': case '811': case '830':
        o.relatedItem.push(series(f, tag));
        return;
      case '010': case '020': case '022': case '024': case '028': case '035':
        o.identifier.push(...identifiers(f, tag));
        return;
      case '852':
        o.location.push(el('location', null, el('physicalLocation', null, joined(f, 'ab')), el('shelfLocator', null, joined(f, 'hij'))));
        return;
      case '856': this.electronicLocation(f); return;
    }
    if (n >= 500 && n <= 599) o.note.push(el('note', { type: NOTE_TYPES[tag], ...a }, noteText(f)));
    else if (n >= 760 && n <= 787) o.relatedItem.push(linkingEntry(f, tag));
  }

  /** 260 (and 264 ind2 1): place, publisher, dates into the main originInfo. */
  private publication(f: MarcDataField, dateCodes: string): void {
    for (const p of values(f, 'a')) this.origin.place.push(el('place', null, el('placeTerm', { type: 'text' }, chop(p))));
    for (const b of values(f, 'b')) this.origin.publisher.push(el('publisher', null, chop(b)));
    for (const s of f.subfields) {
      if (!dateCodes.includes(s.code)) continue;
      this.origin.dates.push(el(s.code === 'g' ? 'dateCreated' : 'dateIssued', null, chop(s.value)));
    }
  }

  /** 264: publication into the main originInfo, copyright as copyrightDate, the others as events of their own. */
  private event264(f: MarcDataField, a: XmlAttrs): void {
    if (f.ind2 === '1') return this.publication(f, 'c');
    if (f.ind2 === '4') {
      for (const c of values(f, 'c')) this.origin.dates.push(el('copyrightDate', null, chop(c)));
      return;
    }
    const event = EVENTS_264[f.ind2];
    if (!event) return;
    this.out.originInfo.push(el('originInfo', { eventType: event, altRepGroup: a.altRepGroup },
      values(f, 'a').map((p) => el('place', null, el('placeTerm', { type: 'text' }, chop(p)))),
      values(f, 'b').map((b) => el('publisher', null, chop(b))),
      values(f, 'c').map((c) => (event === 'production' ? el('dateCreated', null, chop(c)) : el('dateOther', { type: event }, chop(c)))),
    ));
  }

  /** The originInfo of 008 and leader/07, with what 250, 260, 264 and 310 added. */
  private mainOriginInfo(): Child {
    const f = this.f008;
    const place = f.slice(15, 18).trim();
    const codedPlace = /^[a-z]{2,3}$/.test(place) && place !== 'xx' ? el('place', null, el('placeTerm', { type: 'code', authority: 'marccountry' }, place)) : null;
    const dates: Child[] = [];
    const d1 = f.slice(7, 11);
    const d2 = f.slice(11, 15);
    const ok = (d: string): boolean => /^[0-9u]{4}$/.test(d) && d !== 'uuuu';
    const mark = (name: string, d: string, attrs: XmlAttrs = {}): void => {
      if (ok(d)) dates.push(el(name, { encoding: 'marc', ...attrs, keyDate: dates.length === 0 && 'yes' }, d));
    };
    switch (f[6]) {
      case 'e': case 's': case 'p': case 'r': mark('dateIssued', d1); break;
      case 't': mark('dateIssued', d1); mark('copyrightDate', d2); break;
      case 'q': mark('dateIssued', d1, { point: 'start', qualifier: 'questionable' }); mark('dateIssued', d2, { point: 'end', qualifier: 'questionable' }); break;
      case 'c': case 'd': case 'i': case 'k': case 'm': case 'u':
        mark('dateIssued', d1, { point: 'start' });
        mark('dateIssued', d2, { point: 'end' });
        break;
    }
    const o = this.origin;
    return el('originInfo', null, codedPlace, o.place, o.publisher, dates, o.dates, o.edition,
      el('issuance', null, ISSUANCE[this.rec.leader[7] ?? ''] ?? ''), o.frequency);
  }

  private languages008(): Child[] {
    const code = this.f008.slice(35, 38);
    return /^[a-z]{3}$/.test(code) ? [language(code, 'iso639-2b')] : [];
  }

  /** 041: one language per code; codes packed into one subfield ("engfre") are split. */
  private languages041(f: MarcDataField): Child[] {
    const auth = f.ind2 === '7' ? clean(values(f, '2')[0]) : 'iso639-2b';
    const out: Child[] = [];
    for (const s of f.subfields) {
      const part = LANGUAGE_PARTS[s.code];
      if (part === undefined) continue;
      const v = clean(s.value);
      const codes = /^([a-z]{3})+$/.test(v) ? (v.match(/[a-z]{3}/g) ?? []) : [v];
      for (const c of codes) out.push(language(c, auth, part || undefined));
    }
    return out;
  }

  private form008(): Child {
    const l6 = this.rec.leader[6] ?? '';
    const pos = 'efgkor'.includes(l6) ? 29 : 23;
    const form = FORMS[this.f008[pos] ?? ''];
    return form ? el('form', { authority: 'marcform' }, form) : null;
  }

  private electronicLocation(f: MarcDataField): void {
    for (const q of values(f, 'q')) if (clean(q)) this.mediaTypes.add(clean(q));
    const label = clean(values(f, '3')[0] ?? values(f, 'y')[0]);
    const note = clean(values(f, 'z').join(' '));
    const urls = values(f, 'u').map(clean).filter(Boolean);
    if (!urls.length) return;
    if (f.ind2 === '0' || f.ind2 === '1') {
      for (const u of urls) this.out.identifier.push(el('identifier', { type: /^https?:\/\/hdl\.handle\.net\//.test(u) ? 'hdl' : 'uri' }, u));
    }
    this.out.location.push(el('location', null, urls.map((u) => el('url', { displayLabel: label, note }, u))));
  }

  private recordInfo(origin: string): Child {
    const rec = this.rec;
    const f040 = rec.fields.find((f): f is MarcDataField => f.tag === '040' && !isControlField(f));
    const id = clean(controlValue(rec, '001'));
    const created = this.f008.slice(0, 6);
    const changed = clean(controlValue(rec, '005'));
    const standard = f040 ? clean(values(f040, 'e')[0]) : '';
    return el('recordInfo', null,
      f040 ? el('recordContentSource', { authority: 'marcorg' }, values(f040, 'a')[0]) : null,
      /^\d{6}$/.test(created) ? el('recordCreationDate', { encoding: 'marc' }, created) : null,
      /^\d{8}/.test(changed) ? el('recordChangeDate', { encoding: 'iso8601' }, changed) : null,
      el('recordIdentifier', { source: clean(controlValue(rec, '003')) || undefined }, id),
      el('recordOrigin', null, origin),
      f040 ? values(f040, 'b').map((b) => el('languageOfCataloging', null, el('languageTerm', { type: 'code', authority: 'iso639-2b' }, b))) : null,
      el('descriptionStandard', null, standard || (rec.leader[18] === 'a' ? 'aacr' : '')),
    );
  }
}

const EVENTS_264: Record<string, string> = { '0': 'production', '2': 'distribution', '3': 'manufacture' };

const ABSTRACT_TYPES: Record<string, string> = { '0': 'subject', '1': 'review', '2': 'scope and content', '3': 'abstract', '4': 'content advice' };

/** 041 subfield -> objectPart ('' for the language of the item itself). */
const LANGUAGE_PARTS: Record<string, string> = {
  a: '', b: 'summary', d: 'sung or spoken text', e: 'libretto', f: 'table of contents', g: 'accompanying material', h: 'translation', j: 'subtitles or captions',
};

/** Languages once each (008/35-37 usually repeats 041 $a). */
function uniqueLanguages(languages: Child[]): Child[] {
  const seen = new Set<string>();
  return languages.filter((l) => {
    const k = l ? JSON.stringify(l) : '';
    if (!l || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function language(code: string, authority: string | undefined, objectPart?: string): Child {
  if (!code) return null;
  if (authority === 'iso639-2b' && !/^[a-z]{3}$/.test(code)) return null;
  return el('language', { objectPart }, el('languageTerm', { type: 'code', authority }, code));
}

/** A titleInfo: title from `titleCodes` (after `nonSort` non-filing characters), subTitle $b, partNumber $n, partName $p. */
function titleInfo(f: MarcDataField, type: string | null, titleCodes: string, nonSortCount: number, attrs: XmlAttrs): Child {
  let title = chop(joined(f, titleCodes));
  let nonSort: Child = null;
  if (nonSortCount > 0 && nonSortCount < title.length) {
    nonSort = rawTextEl('nonSort', title.slice(0, nonSortCount));
    if (nonSort) title = title.slice(nonSortCount);
  }
  return el('titleInfo', { type: type ?? undefined, ...attrs },
    nonSort,
    el('title', null, title),
    values(f, 'b').map((b) => el('subTitle', null, chop(b))),
    values(f, 'n').map((v) => el('partNumber', null, chop(v))),
    values(f, 'p').map((v) => el('partName', null, chop(v))),
  );
}

/** The title half of a name-title field ($t and after). */
function workTitle(f: MarcDataField, nonSortCount: number): Child {
  return titleInfo(f, null, 'tfklmors', nonSortCount, {});
}

/**
 * A name from X00 (kind 0), X10 (10), X11 (11) or 720 (-1: type unknown): namePart, date and
 * termsOfAddress parts, and a role per relator term ($e, $j for meetings) and code ($4).
 */
function nameOf(f: MarcDataField, kind: number, attrs: XmlAttrs): Child {
  let type: string | undefined;
  let parts: Child[];
  if (kind === 0) {
    type = f.ind1 === '3' ? 'family' : 'personal';
    parts = [
      el('namePart', null, chop(joined(f, 'aq'))),
      el('namePart', { type: 'termsOfAddress' }, chop(joined(f, 'bc'))),
      el('namePart', { type: 'date' }, chop(joined(f, 'd'))),
    ];
  } else if (kind === 10) {
    type = 'corporate';
    parts = values(f, 'ab').map((v) => el('namePart', null, chop(v)));
  } else if (kind === 11) {
    type = 'conference';
    parts = [el('namePart', null, chop(joined(f, 'acdnq')))];
  } else {
    parts = values(f, 'a').map((v) => el('namePart', null, chop(v)));
  }
  const roles = f.subfields
    .filter((s) => s.code === '4' || s.code === (kind === 11 ? 'j' : 'e'))
    .map((s) => el('role', null, el('roleTerm', { type: s.code === '4' ? 'code' : 'text', authority: 'marcrelator' }, chop(s.value))));
  if (!parts.some(Boolean)) return null;
  return el('name', { type, ...attrs }, parts, roles);
}

function authority(f: MarcDataField): string | undefined {
  return f.ind2 === '7' ? clean(values(f, '2')[0]) || undefined : THESAURI[f.ind2];
}

/** Subdivisions of a heading: $v genre, $x topic, $y temporal, $z geographic, in field order. */
function heading(main: string[], f: MarcDataField): string {
  return [...main, ...f.subfields.filter((s) => 'vxyz'.includes(s.code)).map((s) => chop(s.value))].filter(Boolean).join('--');
}

const SUBDIVISIONS: Record<string, string> = { v: 'genre', x: 'topic', y: 'temporal', z: 'geographic' };

function subject(f: MarcDataField, tag: string, attrs: XmlAttrs): Child {
  const subdivisions = f.subfields.filter((s) => s.code in SUBDIVISIONS).map((s) => el(SUBDIVISIONS[s.code] ?? 'topic', null, chop(s.value)));
  const main = f.subfields.filter((s) => !(s.code in SUBDIVISIONS));
  const m: MarcDataField = { ...f, subfields: main };
  let head: Child[];
  switch (tag) {
    case '600': case '610': case '611': {
      const [namePart, titlePart] = splitAt(m, 't');
      head = [nameOf(namePart, Number(tag) % 100, {}), titlePart.subfields.length ? workTitle(titlePart, 0) : null];
      break;
    }
    case '630': head = [titleInfo(m, null, 'adfgklmors', Number(f.ind1), {})]; break;
    case '650': head = [el('topic', null, chop(joined(m, 'abcd')))]; break;
    case '651': head = [el('geographic', null, chop(joined(m, 'a')))]; break;
    case '653': return el('subject', attrs, values(f, 'a').map((v) => el('topic', null, chop(v))));
    case '656': head = [el('occupation', null, chop(joined(m, 'a')))]; break;
    case '662':
      head = [el('hierarchicalGeographic', null, m.subfields.map((s) => {
        const part = HIERARCHICAL[s.code];
        return part ? el(part, null, chop(s.value)) : null;
      }))];
      break;
    case '043': return el('subject', null, values(f, 'a').map((v) => el('geographicCode', { authority: 'marcgac' }, clean(v))));
    default: return null;
  }
  if (!head.some(Boolean)) return null;
  return el('subject', { authority: authority(f), ...attrs }, head, subdivisions);
}

const HIERARCHICAL: Record<string, string> = { a: 'country', b: 'state', c: 'county', d: 'city', f: 'citySection', g: 'area', h: 'extraterrestrialArea' };

function classification(f: MarcDataField, tag: string): Child[] {
  let auth: string | undefined;
  let edition: string | undefined;
  switch (tag) {
    case '050': auth = 'lcc'; break;
    case '060': auth = 'nlm'; break;
    case '080': auth = 'udc'; edition = clean(values(f, '2')[0]) || undefined; break;
    case '082': auth = 'ddc'; edition = clean(values(f, '2')[0]) || undefined; break;
    case '084': auth = clean(values(f, '2')[0]) || undefined; break;
    case '086': auth = f.ind1 === '0' ? 'sudocs' : f.ind1 === '1' ? 'candocs' : clean(values(f, '2')[0]) || undefined; break;
  }
  const item = values(f, 'b')[0];
  return values(f, 'a').map((a, i) => el('classification', { authority: auth, edition }, clean(i === 0 && item ? `${a} ${item}` : a)));
}

function series(f: MarcDataField, tag: string): Child {
  let content: Child[];
  switch (tag) {
    case '490':
      content = [el('titleInfo', null, el('title', null, chop(joined(f, 'a'))), values(f, 'v').map((v) => el('partNumber', null, chop(v))))];
      break;
    case '440': case '830': {
      const t = titleInfo(f, null, tag === '440' ? 'a' : 'adfgklmors', Number(f.ind2), {});
      content = [t ? { ...t, children: [...t.children, ...values(f, 'v').map((v) => el('partNumber', null, chop(v))).filter((c): c is XmlNode => c !== null)] } : null];
      break;
    }
    default: {
      const [namePart, titlePart] = splitAt(f, 't');
      const t = workTitle(titlePart, 0);
      content = [
        nameOf(namePart, Number(tag) % 100, {}),
        t ? { ...t, children: [...t.children, ...values(f, 'v').map((v) => el('partNumber', null, chop(v))).filter((c): c is XmlNode => c !== null)] } : null,
      ];
    }
  }
  content.push(...values(f, 'x').map((x) => el('identifier', { type: 'issn' }, clean(x))));
  return el('relatedItem', { type: 'series' }, content);
}

function linkingEntry(f: MarcDataField, tag: string): Child {
  return el('relatedItem', { type: LINKING_TYPES[tag], displayLabel: chop(values(f, 'i')[0]) },
    el('titleInfo', null, el('title', null, chop(values(f, 't')[0] ?? values(f, 's')[0]))),
    values(f, 'a').map((a) => el('name', null, el('namePart', null, chop(a)))),
    el('originInfo', null, values(f, 'd').map((d) => el('publisher', null, chop(d)))),
    values(f, 'n').map((n) => el('note', null, n)),
    values(f, 'x').map((x) => el('identifier', { type: 'issn' }, clean(x))),
    values(f, 'z').map((z) => el('identifier', { type: 'isbn' }, clean(z))),
    values(f, 'w').map((w) => el('identifier', { type: 'local' }, clean(w))),
    values(f, 'o').map((v) => el('identifier', null, clean(v))),
  );
}

/** Standard numbers; $z (and $y for ISSN) are cancelled or invalid. */
function identifiers(f: MarcDataField, tag: string): Child[] {
  const out: Child[] = [];
  const id = (type: string | undefined, v: string, invalid = false): void => {
    out.push(el('identifier', { type, invalid: invalid && 'yes' }, clean(v).replace(/(\s*[/:;=,])+$/, '')));
  };
  switch (tag) {
    case '010':
      for (const s of f.subfields) if (s.code === 'a' || s.code === 'z') id('lccn', s.value, s.code === 'z');
      break;
    case '020':
      for (const s of f.subfields) if (s.code === 'a' || s.code === 'z') id('isbn', s.value, s.code === 'z');
      break;
    case '022':
      for (const s of f.subfields) if ('ayz'.includes(s.code)) id('issn', s.value, s.code !== 'a');
      break;
    case '024': {
      const type = f.ind1 === '7' ? clean(values(f, '2')[0]) || undefined : IDENTIFIER_024[f.ind1];
      for (const s of f.subfields) if (s.code === 'a' || s.code === 'z') id(type, s.value, s.code === 'z');
      break;
    }
    case '028':
      for (const a of values(f, 'a')) id(IDENTIFIER_028[f.ind1], a);
      break;
    case '035':
      for (const a of values(f, 'a')) {
        const m = /^\(OCoLC\)\s*(?:ocm|ocn|on)?\s*(\d+)/.exec(clean(a));
        if (m?.[1]) id('oclc', m[1]);
      }
      break;
  }
  return out;
}
