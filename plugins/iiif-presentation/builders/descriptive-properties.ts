/**
 * The descriptive and rights properties of a manifest, worked out once from the title's Dublin
 * Core and the access rights profile, version-neutral (language maps); the 3.0 and 2.1
 * builders only change their shape.
 */
import { DC_ELEMENTS, type DcElement, type DublinCore } from '../../../core/db/entities/title.entity';
import { dcLanguages, titleLanguage } from './dc-language';
import type { LabelInput, LanguageMap, ManifestSource } from './manifest-source';

/** A label/value pair (metadata entry, requiredStatement). */
export interface PropertyPair {
  label: LanguageMap;
  value: LanguageMap;
}

/** What descriptiveProperties() works out. */
export interface Descriptive {
  /** BCP 47 tag of the title's text, or "none". */
  language: string;
  label: LanguageMap;
  summary: LanguageMap | null;
  metadata: PropertyPair[];
  /** `YYYY-MM-DDThh:mm:ssZ`, from the first dc:date a year can be read from. */
  navDate: string | null;
  /** A Creative Commons / RightsStatements.org URI in its canonical http form, else null. */
  rights: string | null;
  /** The profile's rights URI as given (2.1 `license` takes any URI). */
  license: string | null;
  requiredStatement: PropertyPair | null;
}

const DC_LABELS: Record<DcElement, string> = {
  title: 'Title', creator: 'Creator', subject: 'Subject', description: 'Description', publisher: 'Publisher',
  contributor: 'Contributor', date: 'Date', type: 'Type', format: 'Format', identifier: 'Identifier',
  source: 'Source', language: 'Language', relation: 'Relation', coverage: 'Coverage', rights: 'Rights',
};

/**
 * Elements whose values are prose in the title's language. Names, dates, codes, identifiers
 * and vocabulary terms (dc:type is DCMI's English vocabulary) are not in any one language, so
 * they are published as "none" rather than tagged with a language they are not in.
 */
const PROSE_ELEMENTS = new Set<DcElement>(['title', 'subject', 'description', 'coverage']);

/**
 * Presentation 3.0 §4.4: a value starting with "<" and ending with ">" is taken for HTML;
 * a trailing space keeps plain text that happens to look like that from being parsed as HTML.
 */
function plain(s: string): string {
  const t = s.trim();
  return t.startsWith('<') && t.endsWith('>') ? `${t} ` : t;
}

const nonEmpty = (values: string[] | undefined): string[] => (values ?? []).map((v) => v.trim()).filter(Boolean);

/** A LabelInput as a language map (a plain string is language "none"). */
export function toLanguageMap(label: LabelInput): LanguageMap {
  if (typeof label === 'string') return { none: [label] };
  const out: LanguageMap = {};
  for (const [lang, values] of Object.entries(label)) if (values.length) out[lang] = [...values];
  return Object.keys(out).length ? out : { none: [''] };
}

/** The first string of a language map, preferring English, then "none". */
export function firstValue(map: LanguageMap): string {
  return map.en?.[0] ?? map.none?.[0] ?? Object.values(map)[0]?.[0] ?? '';
}

/** One language map over several values, tagged `lang`. */
const inLanguage = (lang: string, values: string[]): LanguageMap => ({ [lang]: values.map(plain) });

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number): number => [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0;
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/**
 * navDate from dc:date values: the first value holding a four-digit year ("1905", "[1905?]",
 * "c1905", "1905-1910" → its start, "1905/1910"), with month and day when the value is an ISO
 * date ("1905-03-12"); month and day default to 01 and the time to 00:00:00Z, as
 * Presentation 3.0 §3.2 navDate asks.
 */
export function navDateFromDc(values: string[]): string | null {
  for (const v of values) {
    const m = /(?<!\d)(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?!\d)/.exec(v);
    if (!m) continue;
    const year = Number(m[1]);
    if (year < 1) continue;
    let month = m[2] ? Number(m[2]) : 1;
    let day = m[3] ? Number(m[3]) : 1;
    if (month < 1 || month > 12) [month, day] = [1, 1];
    else if (day < 1 || day > daysIn(year, month)) day = 1;
    return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T00:00:00Z`;
  }
  return null;
}

/**
 * The canonical form of a Creative Commons or RightsStatements.org URI (http scheme, trailing
 * slash; a rightsstatements.org /page/ URL becomes its /vocab/ URI), or null for anything else.
 * The 3.0 `rights` property takes only these (§3.3 rights; the validator requires http).
 */
export function normalizeRightsUri(uri: string | null | undefined): string | null {
  if (!uri) return null;
  const m = /^https?:\/\/(creativecommons\.org\/(?:licenses|publicdomain)\/|rightsstatements\.org\/(?:vocab|page)\/)([^?#\s]*)/i.exec(uri.trim());
  if (!m) return null;
  const host = (m[1] as string).toLowerCase().replace('rightsstatements.org/page/', 'rightsstatements.org/vocab/');
  const path = m[2] ?? '';
  if (!path) return null;
  return `http://${host}${path.endsWith('/') ? path : `${path}/`}`;
}

/** Label, summary, metadata, navDate and rights of a manifest. */
export function descriptiveProperties(src: ManifestSource): Descriptive {
  const dc: DublinCore = src.title.dc;
  const language = src.title.language || titleLanguage(dc);
  // The title is in the first language; other prose only when that is the one language known:
  // a multilingual title's description may be in any of its languages, so it is "none".
  const prose = src.title.language || dcLanguages(dc).length === 1 ? language : 'none';
  const titles = nonEmpty(dc.title);
  const label: LanguageMap = titles.length
    ? { [language]: [titles[0] as string] }
    : src.representation.label.trim()
      ? { none: [src.representation.label.trim()] }
      : { en: ['Untitled'] };
  const descriptions = nonEmpty(dc.description);
  const metadata: PropertyPair[] = [];
  for (const el of DC_ELEMENTS) {
    const values = nonEmpty(dc[el]);
    if (!values.length) continue;
    metadata.push({ label: { en: [DC_LABELS[el]] }, value: inLanguage(el === 'title' ? language : PROSE_ELEMENTS.has(el) ? prose : 'none', values) });
  }
  if (src.representation.label.trim()) {
    metadata.push({ label: { en: ['Representation'] }, value: inLanguage('none', [src.representation.label]) });
  }
  if (src.representation.publicNote?.trim()) {
    metadata.push({ label: { en: ['Note'] }, value: inLanguage('none', [src.representation.publicNote]) });
  }
  const statement = src.rights.statement?.trim();
  const providerName = firstValue(toLanguageMap(src.provider.label));
  const requiredStatement: PropertyPair | null = statement
    ? { label: { en: ['Attribution'] }, value: inLanguage('none', [statement]) }
    : providerName
      ? { label: { en: ['Attribution'] }, value: { en: [`Provided by ${providerName}`] } }
      : null;
  return {
    language,
    label,
    summary: descriptions.length ? inLanguage(prose, descriptions) : null,
    metadata,
    navDate: navDateFromDc(nonEmpty(dc.date)),
    rights: normalizeRightsUri(src.rights.uri),
    license: src.rights.uri?.trim() || null,
    requiredStatement,
  };
}
