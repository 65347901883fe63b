/**
 * MODS v3 records: <mods>, <modsCollection>, or the MODS of a METS document; and their mapping
 * to simple Dublin Core after the Library of Congress "MODS to Dublin Core Metadata Element Set
 * Mapping" (https://www.loc.gov/standards/mods/mods-dcsimple.html).
 */
import { DC_ELEMENTS, type DcElement, type DublinCore } from '../../../core/db/entities/title.entity';
import { RecordError } from './record-error';
import { attr, childElements, firstChild, NS, serializeElement, textContent, type XmlElement } from './xml-tree';

export interface ReadModsRecord {
  /** The <mods> element as a standalone fragment, MODS as the default namespace. */
  xml: string;
  dc: DublinCore;
  /** recordInfo/recordIdentifier. */
  sourceId: string | null;
  warnings: string[];
}

export const isModsRoot = (el: XmlElement): boolean => el.uri === NS.mods && (el.local === 'mods' || el.local === 'modsCollection');
export const isMetsRoot = (el: XmlElement): boolean => el.uri === NS.mets && el.local === 'mets';

/** Reads the MODS records of a <mods>, <modsCollection> or <mets> document. */
export function readMods(root: XmlElement): ReadModsRecord[] {
  const where = { line: root.line, column: root.column };
  if (isMetsRoot(root)) {
    const { mods, note } = metsMods(root);
    return [readOne(mods, [note])];
  }
  if (root.uri !== NS.mods) {
    const hint = root.local === 'mods' || root.local === 'modsCollection' ? ` <${root.local}> must be in the MODS v3 namespace ${NS.mods}.` : '';
    throw new RecordError('not-a-record', `no MODS record found: the root element is <${root.local}>${root.uri ? ` in namespace ${root.uri}` : ''}.${hint}`, where);
  }
  if (root.local === 'mods') return [readOne(root, [])];
  if (root.local === 'modsCollection') {
    const records = childElements(root, NS.mods, 'mods');
    if (!records.length) throw new RecordError('no-records', 'the <modsCollection> holds no <mods>', where);
    return records.map((m) => readOne(m, []));
  }
  throw new RecordError('not-a-record', `no MODS record found: <${root.local}> is not <mods>, <modsCollection> or a METS document`, where);
}

function readOne(mods: XmlElement, warnings: string[]): ReadModsRecord {
  const recordInfo = firstChild(mods, NS.mods, 'recordInfo');
  const id = recordInfo ? firstChild(recordInfo, NS.mods, 'recordIdentifier') : undefined;
  const sourceId = id ? clean(textContent(id)) || null : null;
  return { xml: serializeElement(mods, NS.mods), dc: modsToDc(mods), sourceId, warnings };
}

/**
 * The MODS a METS document describes itself with: the dmdSec the first div of the LOGICAL
 * structMap points to (DMDID), else the first dmdSec with embedded MODS.
 */
function metsMods(mets: XmlElement): { mods: XmlElement; note: string } {
  const byId = new Map<string, XmlElement>();
  let first: { id: string; mods: XmlElement } | undefined;
  for (const dmd of childElements(mets, NS.mets, 'dmdSec')) {
    const wrap = firstChild(dmd, NS.mets, 'mdWrap');
    const data = wrap ? firstChild(wrap, NS.mets, 'xmlData') : undefined;
    const mods = data ? firstChild(data, NS.mods, 'mods') : undefined;
    if (!mods) continue;
    const id = attr(dmd, 'ID') ?? '';
    byId.set(id, mods);
    first ??= { id, mods };
  }
  const logical = childElements(mets, NS.mets, 'structMap').filter((s) => (attr(s, 'TYPE') ?? '').toUpperCase() === 'LOGICAL');
  for (const map of logical) {
    const stack = childElements(map, NS.mets, 'div').reverse();
    while (stack.length) {
      const div = stack.pop();
      if (!div) break;
      for (const id of (attr(div, 'DMDID') ?? '').split(/\s+/)) {
        const mods = byId.get(id);
        if (mods) return { mods, note: `MODS taken from METS dmdSec ${id}, the description of the first logical structMap division` };
      }
      stack.push(...childElements(div, NS.mets, 'div').reverse());
    }
  }
  if (!first) throw new RecordError('not-a-record', 'the METS document has no dmdSec with embedded MODS (mdWrap/xmlData/mods)', { line: mets.line, column: mets.column });
  return { mods: first.mods, note: `MODS taken from METS dmdSec ${first.id || '(no ID)'}, the first with MODS` };
}

const clean = (s: string): string => s.replace(/\s+/g, ' ').trim();
const kids = (el: XmlElement, local: string): XmlElement[] => childElements(el, NS.mods, local);
const text = (el: XmlElement | undefined): string => (el ? clean(textContent(el)) : '');

/** "nonSort title: subTitle. partNumber. partName" */
function titleText(ti: XmlElement): string {
  const nonSort = kids(ti, 'nonSort').map((e) => textContent(e)).join('');
  let title = kids(ti, 'title').map(text).join(' ');
  if (nonSort.trim()) title = /[\s'’-]$/.test(nonSort) ? nonSort + title : `${nonSort} ${title}`;
  const sub = kids(ti, 'subTitle').map(text).filter(Boolean);
  if (sub.length) title += `: ${sub.join(' : ')}`;
  for (const part of [...kids(ti, 'partNumber'), ...kids(ti, 'partName')]) if (text(part)) title += `. ${text(part)}`;
  return clean(title);
}

/** "Family, Given, terms of address, dates", or the untyped parts, or the displayForm. */
function nameText(name: XmlElement): string {
  const parts = kids(name, 'namePart');
  const typed = (type: string): string => parts.filter((p) => attr(p, 'type') === type).map(text).filter(Boolean).join(' ');
  let base = parts.filter((p) => !attr(p, 'type')).map(text).filter(Boolean).join(' ');
  const family = typed('family');
  const given = typed('given');
  if (family || given) base = [base, [family, given].filter(Boolean).join(', ')].filter(Boolean).join(' ');
  if (!base) return text(firstChild(name, NS.mods, 'displayForm'));
  return [base, typed('termsOfAddress'), typed('date')].filter(Boolean).join(', ');
}

/** MODS typeOfResource -> DCMI Type, as LoC's MODS -> simple DC stylesheet does. */
const RESOURCE_TYPES: Record<string, string> = {
  text: 'Text',
  'notated music': 'Text',
  cartographic: 'Image',
  'sound recording': 'Sound',
  'sound recording-musical': 'Sound',
  'sound recording-nonmusical': 'Sound',
  'still image': 'StillImage',
  'moving image': 'MovingImage',
  'three dimensional object': 'PhysicalObject',
  'software, multimedia': 'Software',
};

/** Dates of one kind in one originInfo; a start/end pair becomes "start-end". */
function dates(elements: XmlElement[]): string[] {
  const start = elements.find((e) => attr(e, 'point') === 'start');
  const end = elements.find((e) => attr(e, 'point') === 'end');
  const out = elements.filter((e) => e !== start && e !== end).map(text);
  if (start || end) out.push([text(start), text(end)].filter(Boolean).join('-'));
  return out;
}

/** Simple Dublin Core for a <mods> element (top-level elements only; relatedItem gives relation/source). */
export function modsToDc(mods: XmlElement): DublinCore {
  const dc: Partial<Record<DcElement, string[]>> = {};
  const add = (element: DcElement, value: string): void => {
    const v = clean(value);
    if (!v) return;
    const list = (dc[element] ??= []);
    if (!list.includes(v)) list.push(v);
  };
  for (const el of childElements(mods, NS.mods)) {
    switch (el.local) {
      case 'titleInfo':
        add('title', titleText(el));
        break;
      case 'name': {
        const roles = kids(el, 'role').flatMap((r) => kids(r, 'roleTerm'));
        const creator = roles.some((r) => {
          const v = text(r).toLowerCase();
          return attr(r, 'type') === 'code' ? v === 'cre' : v === 'creator';
        });
        add(creator ? 'creator' : 'contributor', nameText(el));
        break;
      }
      case 'typeOfResource':
        if (attr(el, 'collection') === 'yes') add('type', 'Collection');
        add('type', RESOURCE_TYPES[text(el)] ?? text(el));
        break;
      case 'genre':
        add('type', text(el));
        break;
      case 'originInfo':
        for (const p of kids(el, 'publisher')) add('publisher', text(p));
        for (const kind of ['dateIssued', 'dateCreated', 'dateCaptured', 'dateOther']) for (const d of dates(kids(el, kind))) add('date', d);
        break;
      case 'language':
        for (const t of kids(el, 'languageTerm')) add('language', text(t));
        break;
      case 'physicalDescription':
        for (const kind of ['form', 'extent', 'internetMediaType']) for (const f of kids(el, kind)) add('format', text(f));
        break;
      case 'abstract':
      case 'tableOfContents':
      case 'note':
        add('description', text(el));
        break;
      case 'subject':
        subject(el, add);
        break;
      case 'classification':
        add('subject', text(el));
        break;
      case 'identifier':
        add('identifier', text(el));
        break;
      case 'location':
        for (const u of kids(el, 'url')) add('identifier', text(u));
        break;
      case 'relatedItem': {
        const element: DcElement = attr(el, 'type') === 'original' ? 'source' : 'relation';
        for (const ti of kids(el, 'titleInfo')) add(element, titleText(ti));
        for (const id of kids(el, 'identifier')) add(element, text(id));
        for (const loc of kids(el, 'location')) for (const u of kids(loc, 'url')) add(element, text(u));
        break;
      }
      case 'accessCondition':
        add('rights', text(el));
        break;
    }
  }
  const out: DublinCore = {};
  for (const e of DC_ELEMENTS) {
    const v = dc[e];
    if (v) out[e] = v;
  }
  return out;
}

function subject(el: XmlElement, add: (element: DcElement, value: string) => void): void {
  const heading: string[] = [];
  for (const c of childElements(el, NS.mods)) {
    switch (c.local) {
      case 'topic':
      case 'occupation':
      case 'genre':
        heading.push(text(c));
        break;
      case 'name':
        heading.push(nameText(c));
        break;
      case 'titleInfo':
        add('subject', titleText(c));
        break;
      case 'geographic':
        add('coverage', text(c));
        break;
      case 'hierarchicalGeographic':
        add('coverage', childElements(c, NS.mods).map(text).filter(Boolean).join('--'));
        break;
      case 'cartographics':
        for (const part of childElements(c, NS.mods)) add('coverage', text(part));
        break;
      case 'temporal':
        add('coverage', text(c));
        break;
    }
  }
  add('subject', heading.filter(Boolean).join('--'));
}
