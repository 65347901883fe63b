/**
 * Dublin Core readers: oai_dc, "simple DC" (an element whose children are DC 1.1 or DCMI Terms
 * elements), DSpace Simple Archive Format dublin_core.xml, and a JSON object of the 15 elements.
 */
import { DC_ELEMENTS, type DcElement, type DublinCore } from '../../../core/db/entities/title.entity';
import { RecordError } from './record-error';
import { findInvalidUtf8 } from './text-decoding';
import { CharScrubber } from './xml-chars';
import { attr, childElements, findElements, NS, textContent, type XmlElement } from './xml-tree';

export interface ReadDcRecord {
  dc: DublinCore;
  warnings: string[];
}

const isDcElement = (name: string): name is DcElement => (DC_ELEMENTS as readonly string[]).includes(name);

/**
 * DCMI Metadata Terms that refine one of the 15 elements, mapped to it ("dumb-down",
 * https://www.dublincore.org/specifications/dublin-core/dcmi-terms/ "Refines").
 */
const REFINES: Record<string, DcElement> = {
  alternative: 'title',
  abstract: 'description', tableOfContents: 'description',
  available: 'date', created: 'date', dateAccepted: 'date', dateCopyrighted: 'date', dateSubmitted: 'date',
  issued: 'date', modified: 'date', valid: 'date',
  extent: 'format', medium: 'format',
  bibliographicCitation: 'identifier',
  conformsTo: 'relation', hasFormat: 'relation', hasPart: 'relation', hasVersion: 'relation', isFormatOf: 'relation',
  isPartOf: 'relation', isReferencedBy: 'relation', isReplacedBy: 'relation', isRequiredBy: 'relation',
  isVersionOf: 'relation', references: 'relation', replaces: 'relation', requires: 'relation',
  spatial: 'coverage', temporal: 'coverage',
  accessRights: 'rights', license: 'rights',
};

/** The DC element a DCMI Terms name stands for, if any. */
function dctermsElement(name: string): DcElement | undefined {
  return isDcElement(name) ? name : REFINES[name];
}

class DcBuilder {
  private readonly values: Partial<Record<DcElement, string[]>> = {};
  private readonly scrubber = new CharScrubber();
  readonly warnings: string[] = [];
  private readonly dropped = new Set<string>();

  add(element: DcElement, value: string): void {
    const v = this.scrubber.scrub(value.normalize('NFC'), element).trim();
    if (v) (this.values[element] ??= []).push(v);
  }

  drop(name: string): void {
    this.dropped.add(name);
  }

  finish(): ReadDcRecord {
    if (this.dropped.size) this.warnings.push(`ignored element(s) that are not Dublin Core: ${[...this.dropped].join(', ')}`);
    const scrubbed = this.scrubber.warning();
    if (scrubbed) this.warnings.push(scrubbed);
    const dc: DublinCore = {};
    for (const e of DC_ELEMENTS) {
      const v = this.values[e];
      if (v) dc[e] = v;
    }
    return { dc, warnings: this.warnings };
  }
}

/** True if the element is an oai_dc:dc, a DSpace dublin_core, or an element with DC 1.1 / DCMI Terms children. */
export function isDcRoot(el: XmlElement): boolean {
  return (
    (el.uri === NS.oaiDc && el.local === 'dc') ||
    (el.uri === '' && el.local === 'dublin_core') ||
    childElements(el).some((c) => c.uri === NS.dc || (c.uri === NS.dcterms && dctermsElement(c.local) !== undefined))
  );
}

/** Reads the DC records of a document: its root, or the oai_dc:dc elements inside a wrapper (e.g. an OAI-PMH response). */
export function readDcXml(root: XmlElement): ReadDcRecord[] {
  if (root.uri === '' && root.local === 'dublin_core') return [readSaf(root)];
  if (isDcRoot(root)) return [readDcChildren(root)];
  const inner = findElements(root, (e) => e.uri === NS.oaiDc && e.local === 'dc');
  if (!inner.length) {
    throw new RecordError(
      'not-a-record',
      `no Dublin Core record found: the root element <${root.local}>${root.uri ? ` (namespace ${root.uri})` : ''} is not oai_dc:dc, ` +
        'DSpace dublin_core, MARCXML, MODS or METS and has no Dublin Core elements',
      { line: root.line, column: root.column },
    );
  }
  return inner.map((el) => {
    const read = readDcChildren(el);
    read.warnings.unshift(`oai_dc record taken from inside <${root.local}>`);
    return read;
  });
}

function readDcChildren(el: XmlElement): ReadDcRecord {
  const b = new DcBuilder();
  for (const c of childElements(el)) {
    const element = c.uri === NS.dc ? (isDcElement(c.local) ? c.local : undefined) : c.uri === NS.dcterms ? dctermsElement(c.local) : undefined;
    if (element) b.add(element, textContent(c));
    else b.drop(c.prefix ? `${c.prefix}:${c.local}` : c.local);
  }
  return b.finish();
}

/** DSpace Simple Archive Format: <dublin_core schema="dc|dcterms"><dcvalue element= qualifier=>. */
function readSaf(el: XmlElement): ReadDcRecord {
  const schema = attr(el, 'schema') ?? 'dc';
  if (schema !== 'dc' && schema !== 'dcterms') {
    throw new RecordError('not-a-record', `DSpace metadata schema "${schema}" is not Dublin Core (expected "dc" or "dcterms")`, { line: el.line, column: el.column });
  }
  const b = new DcBuilder();
  for (const v of childElements(el)) {
    if (v.local !== 'dcvalue' || v.uri !== '') {
      b.drop(v.local);
      continue;
    }
    const name = attr(v, 'element');
    if (!name) throw new RecordError('dc-xml-invalid', 'a <dcvalue> has no element attribute', { line: v.line, column: v.column });
    // Qualified values keep their element (DCMI dumb-down: date.issued is a date, contributor.author a contributor).
    const element = schema === 'dc' ? (isDcElement(name) ? name : undefined) : dctermsElement(name);
    const qualifier = attr(v, 'qualifier');
    if (element) b.add(element, textContent(v));
    else b.drop(`${schema}.${name}${qualifier && qualifier !== 'none' ? `.${qualifier}` : ''}`);
  }
  return b.finish();
}

/**
 * Reads DC JSON: an object (one record) or an array of objects, each mapping DC element names
 * to a string or an array of strings; every record needs a title.
 */
export function readDcJson(body: Buffer, charset?: string): ReadDcRecord[] {
  if (charset && !/^utf-?8$/i.test(charset)) throw new RecordError('unsupported-charset', `JSON must be UTF-8, not charset "${charset}"`);
  const bad = findInvalidUtf8(body);
  if (bad >= 0) throw new RecordError('dc-json-invalid', `the body is not valid UTF-8 (byte 0x${(body[bad] ?? 0).toString(16).toUpperCase()})`, { offset: bad });
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(message)?.[1];
    const where = pos === undefined ? undefined : lineColumn(text, Number(pos));
    throw new RecordError('dc-json-invalid', `the body is not valid JSON: ${message.replace(/ in JSON at position.*$/, '')}`, where);
  }
  const items = Array.isArray(json) ? json : [json];
  if (!items.length) throw new RecordError('no-records', 'the JSON array holds no records');
  return items.map((item, i) => readDcObject(item, Array.isArray(json) ? i + 1 : 1));
}

function lineColumn(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  return { line, column: pos - before.lastIndexOf('\n') };
}

function readDcObject(item: unknown, record: number): ReadDcRecord {
  const where = { record };
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new RecordError('dc-json-invalid', `a record must be a JSON object of Dublin Core elements, found ${Array.isArray(item) ? 'an array' : item === null ? 'null' : typeof item}`, where);
  }
  const entries = Object.entries(item);
  const unknown = entries.map(([k]) => k).filter((k) => !isDcElement(k));
  if (unknown.length) {
    throw new RecordError('dc-json-invalid', `unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; the keys must be Dublin Core element names (${DC_ELEMENTS.join(', ')})`, where);
  }
  const b = new DcBuilder();
  for (const [key, value] of entries) {
    const element = key as DcElement;
    const values: unknown[] = Array.isArray(value) ? value : [value];
    values.forEach((v, i) => {
      if (typeof v !== 'string') {
        const at = Array.isArray(value) ? `${key}[${i}]` : key;
        throw new RecordError('dc-json-invalid', `"${at}" must be a string${Array.isArray(value) ? '' : ' or an array of strings'}, found ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`, where);
      }
      b.add(element, v);
    });
  }
  const read = b.finish();
  if (!read.dc.title?.length) throw new RecordError('dc-title-missing', 'a Dublin Core JSON record needs at least one non-empty "title"', where);
  return read;
}
