/**
 * Simple Dublin Core -> MODS 3.7, after the Library of Congress stylesheet simpleDC2MODS.xsl
 * (https://www.loc.gov/standards/mods/v3/simpleDC2MODS.xsl, "Dublin Core Metadata Element Set
 * Mapping to MODS"):
 *
 *   title        titleInfo/title
 *   creator      name/namePart with role/roleTerm "creator"
 *   contributor  name/namePart
 *   type         typeOfResource and genre authority="dct" for DCMI Type terms; genre otherwise
 *   subject      subject/topic
 *   coverage     subject/temporal for a date or period, subject/cartographics/coordinates for
 *                coordinates, subject/geographic otherwise
 *   description  note
 *   publisher    originInfo/publisher
 *   date         originInfo/dateIssued (the stylesheet writes dateOther; aggregators read the
 *                publication year from dateIssued, and dc:date of a published item is that date)
 *   format       physicalDescription: internetMediaType for a media type, extent when it starts
 *                with a number, form otherwise
 *   identifier   identifier typed by its form (uri, hdl, doi, isbn, issn, urn, else local); an
 *                http(s) URL also as location/url
 *   source       relatedItem type="original"
 *   relation     relatedItem (location/url and identifier for a URL, titleInfo otherwise)
 *   language     language/languageTerm: code (iso639-2b, or rfc5646 for two-letter tags) or text
 *   rights       accessCondition
 *
 * Publishers and dates share one originInfo, formats one physicalDescription.
 */
import type { DublinCore } from '../../../core/db/entities/title.entity';
import { clean, el, type XmlNode } from './xml-out';

type Child = XmlNode | null;

/** DCMI Type term (lowercase, no spaces) -> MODS typeOfResource and the dct genre term. */
const DCMI_TYPES: Record<string, [string | null, string]> = {
  collection: [null, 'collection'],
  dataset: ['software, multimedia', 'dataset'],
  event: [null, 'event'],
  image: ['still image', 'image'],
  interactiveresource: ['software, multimedia', 'interactive resource'],
  movingimage: ['moving image', 'moving image'],
  physicalobject: ['three dimensional object', 'physical object'],
  service: ['software, multimedia', 'service'],
  software: ['software, multimedia', 'software'],
  sound: ['sound recording', 'sound'],
  stillimage: ['still image', 'still image'],
  text: ['text', 'text'],
};

const URL = /^https?:\/\/\S+$/i;
const MIME = /^[a-z]+\/[a-z0-9][a-z0-9.+-]*(\s*;.*)?$/i;

/** Top-level MODS elements for a title described in Dublin Core. */
export function dcToMods(dc: DublinCore, recordId: string, recordOrigin: string, fallbackTitle: string): XmlNode[] {
  const get = (e: keyof DublinCore): string[] => (dc[e] ?? []).map(clean).filter(Boolean);
  const types = get('type');
  const collection = types.some((t) => key(t) === 'collection');
  const titles = get('title');
  const out: Child[] = [
    ...(titles.length ? titles : [clean(fallbackTitle) || '[untitled]']).map((t) => el('titleInfo', null, el('title', null, t))),
    ...get('creator').map((c) => el('name', null, el('namePart', null, c), el('role', null, el('roleTerm', { type: 'text' }, 'creator')))),
    ...get('contributor').map((c) => el('name', null, el('namePart', null, c))),
  ];
  for (const t of types) {
    const dcmi = DCMI_TYPES[key(t)];
    if (!dcmi) out.push(el('genre', null, t));
    else {
      if (dcmi[0]) out.push(el('typeOfResource', { collection: collection && 'yes' }, dcmi[0]));
      out.push(el('genre', { authority: 'dct' }, dcmi[1]));
    }
  }
  out.push(el('originInfo', null, get('publisher').map((p) => el('publisher', null, p)), get('date').map((d, i) => el('dateIssued', {
    encoding: /^\d{4}(-\d{2}(-\d{2})?)?$/.test(d) ? 'w3cdtf' : undefined,
    keyDate: i === 0 && 'yes',
  }, d))));
  out.push(...get('language').map(language));
  out.push(el('physicalDescription', null, get('format').map((f) => el(MIME.test(f) ? 'internetMediaType' : /^\d/.test(f) ? 'extent' : 'form', null, f))));
  out.push(...get('description').map((d) => el('note', null, d)));
  out.push(...get('subject').map((s) => el('subject', null, el('topic', null, s))));
  out.push(...get('coverage').map(coverage));
  out.push(...get('source').map((s) => related('original', s)));
  out.push(...get('relation').map((r) => related(undefined, r)));
  const identifiers = get('identifier');
  out.push(...identifiers.map((i) => el('identifier', { type: identifierType(i) }, i)));
  out.push(...identifiers.filter((i) => URL.test(i)).map((u) => el('location', null, el('url', null, u))));
  out.push(...get('rights').map((r) => el('accessCondition', null, r)));
  out.push(el('recordInfo', null, el('recordIdentifier', null, recordId), el('recordOrigin', null, recordOrigin)));
  return out.filter((n): n is XmlNode => n !== null);
}

const key = (t: string): string => t.toLowerCase().replace(/[\s_-]+/g, '');

function language(l: string): Child {
  if (/^[a-z]{3}$/.test(l)) return el('language', null, el('languageTerm', { type: 'code', authority: 'iso639-2b' }, l));
  if (/^[a-z]{2}(-[A-Za-z0-9]{1,8})*$/.test(l)) return el('language', null, el('languageTerm', { type: 'code', authority: 'rfc5646' }, l));
  return el('language', null, el('languageTerm', { type: 'text' }, l));
}

function coverage(c: string): Child {
  // A year, a range of years or a date ("1914-1918", "-500", "1900s", "200 BC"), as the stylesheet tests.
  if ((/^-?\d{3}/.test(c) && !c.includes(':')) || /\b(AD|BC|BCE|CE)\b/.test(c)) return el('subject', null, el('temporal', null, c));
  if (/°|geo:(lat|lon)|\b\d+(\.\d+)?\s*[NS][,;\s]+\d+(\.\d+)?\s*[EW]\b/.test(c)) return el('subject', null, el('cartographics', null, el('coordinates', null, c)));
  return el('subject', null, el('geographic', null, c));
}

function related(type: string | undefined, value: string): Child {
  if (URL.test(value)) return el('relatedItem', { type }, el('identifier', { type: 'uri' }, value), el('location', null, el('url', null, value)));
  return el('relatedItem', { type }, el('titleInfo', null, el('title', null, value)));
}

/** The identifier scheme a value's form shows (simpleDC2MODS.xsl's tests, with regular expressions). */
function identifierType(v: string): string {
  if (/^(urn:)?hdl:|^https?:\/\/hdl\.handle\.net\//i.test(v)) return 'hdl';
  if (/^doi:|^10\.\d{4,9}\/|^https?:\/\/(dx\.)?doi\.org\//i.test(v)) return 'doi';
  if (URL.test(v)) return 'uri';
  if (/^urn:/i.test(v)) return 'urn';
  if (/^isbn\b/i.test(v) || /^(97[89])?\d{9}[\dX]$/.test(v.replace(/-/g, ''))) return 'isbn';
  if (/^issn\b/i.test(v) || /^\d{4}-\d{3}[\dX]$/.test(v)) return 'issn';
  return 'local';
}
