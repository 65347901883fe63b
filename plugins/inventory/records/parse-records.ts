/**
 * Turns a request body into bibliographic records, the kind told by its Content-Type:
 * ISO 2709 MARC, MARCXML, MODS (or METS with MODS), Dublin Core XML or Dublin Core JSON.
 */
import type { DublinCore, SourceFormat } from '../../../core/db/entities/title.entity';
import { isDcRoot, readDcJson, readDcXml, type ReadDcRecord } from './dc-reader';
import { readIso2709Records, type ReadMarcRecord } from './iso2709-reader';
import { controlValue, dataFields, type MarcRecord } from './marc-record';
import { chopPunctuation, marcToDc } from './marc-to-dc';
import { isMarcXmlRoot, readMarcXmlRecords } from './marcxml-reader';
import { writeMarcXml } from './marcxml-writer';
import { isMetsRoot, isModsRoot, readMods, type ReadModsRecord } from './mods-reader';
import { dcToOaiDcXml } from './oai-dc-writer';
import { RecordError } from './record-error';
import { decodeXmlBody, parseXml, type XmlElement } from './xml-tree';

/** One record of a request body, ready to be stored as a Title. */
export interface ParsedRecord {
  format: SourceFormat;
  /**
   * Canonical stored form, UTF-8 XML without an XML declaration: one MARCXML <record> in the
   * MARC 21 slim namespace (leader/09 "a"), one <mods> (MODS v3 namespace), or an <oai_dc:dc>.
   */
  record: string;
  dc: DublinCore;
  /** First title, never empty ("[untitled]"), at most 1000 characters. */
  displayTitle: string;
  /** MARC 001, MODS recordInfo/recordIdentifier, or the first dc:identifier. */
  sourceId: string | null;
  /** Repairs made on the way (charset guessed, characters removed, values normalized...). */
  warnings: string[];
}

/** The media types parseRecords accepts (parameters such as charset are allowed). */
export const RECORD_CONTENT_TYPES: string[] = [
  'application/marc',
  'application/marcxml+xml',
  'application/mods+xml',
  'application/mets+xml',
  'application/xml',
  'text/xml',
  'application/json',
];

const MAX_TITLE = 1000;
const UNTITLED = '[untitled]';

function parseContentType(contentType: string): { type: string; charset?: string } {
  const [type = '', ...params] = contentType.split(';').map((p) => p.trim());
  let charset: string | undefined;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq > 0 && p.slice(0, eq).trim().toLowerCase() === 'charset') charset = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1') || undefined;
  }
  return { type: type.toLowerCase(), charset };
}

/** Every record in the body, validated strictly; throws RecordError on the first fault. */
export function parseRecords(contentType: string, body: Buffer): ParsedRecord[] {
  const { type, charset } = parseContentType(contentType);
  if (!RECORD_CONTENT_TYPES.includes(type)) {
    throw new RecordError('unsupported-content-type', `Content-Type "${contentType}" is not a record type; use one of ${RECORD_CONTENT_TYPES.join(', ')}`);
  }
  if (isBlank(body)) {
    throw new RecordError('empty-body', 'the request body is empty; it should hold a bibliographic record');
  }
  switch (type) {
    case 'application/marc':
      return readIso2709Records(body, { charset }).map(fromMarc);
    case 'application/json':
      return readDcJson(body, charset).map(fromDc);
  }
  const root = parseXml(decodeXmlBody(body, charset));
  switch (type) {
    case 'application/marcxml+xml':
      return readMarcXmlRecords(root).map(fromMarc);
    case 'application/mods+xml':
    case 'application/mets+xml':
      return readMods(root).map(fromMods);
    default:
      return fromGenericXml(root);
  }
}

/** Exactly one record; more is RecordError 'multiple-records'. */
export function parseRecord(contentType: string, body: Buffer): ParsedRecord {
  const records = parseRecords(contentType, body);
  if (records.length !== 1) {
    throw new RecordError(
      'multiple-records',
      `the body holds ${records.length} records but this request takes exactly one; POST /api/v1/titles/batch takes many`,
    );
  }
  const [record] = records;
  if (!record) throw new Error('unreachable: one record was counted');
  return record;
}

/** application/xml and text/xml: Dublin Core, or MARCXML / MODS / METS recognised by their root. */
function fromGenericXml(root: XmlElement): ParsedRecord[] {
  const note = (what: string) => (r: ParsedRecord): ParsedRecord => ({ ...r, warnings: [`the XML is ${what}; read as such`, ...r.warnings] });
  if (isMarcXmlRoot(root)) return readMarcXmlRecords(root).map(fromMarc).map(note('MARCXML'));
  if (isModsRoot(root)) return readMods(root).map(fromMods).map(note('MODS'));
  if (isMetsRoot(root)) return readMods(root).map(fromMods).map(note('METS'));
  if (isDcRoot(root)) return readDcXml(root).map(fromDc);
  try {
    return readDcXml(root).map(fromDc);
  } catch (dcError) {
    // Not DC inside a wrapper either: MARCXML records inside one (e.g. an SRU response)?
    try {
      return readMarcXmlRecords(root).map(fromMarc).map(note('MARCXML'));
    } catch {
      throw dcError;
    }
  }
}

/** True for an empty body or one of only whitespace (after a UTF-8 byte order mark). */
function isBlank(body: Buffer): boolean {
  for (let i = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0; i < body.length; i++) {
    const b = body[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  }
  return true;
}

function displayTitle(candidate: string | undefined, warnings: string[]): string {
  const t = (candidate ?? '').trim();
  if (!t) {
    warnings.push(`the record has no title; listed as "${UNTITLED}"`);
    return UNTITLED;
  }
  if (t.length <= MAX_TITLE) return t;
  warnings.push(`the display title was shortened to ${MAX_TITLE} characters`);
  const cut = t.slice(0, MAX_TITLE - 1);
  return (/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut) + '…';
}

function marcTitle(rec: MarcRecord, dc: DublinCore): string | undefined {
  const f245 = dataFields(rec, '245')[0];
  if (!f245) return dc.title?.[0];
  return chopPunctuation(f245.subfields.filter((s) => /^[a-z]$/.test(s.code) && s.code !== 'c' && s.code !== 'h').map((s) => s.value).join(' '));
}

function fromMarc({ record, warnings }: ReadMarcRecord): ParsedRecord {
  const dc = marcToDc(record);
  const w = [...warnings];
  const id = controlValue(record, '001')?.trim();
  return {
    format: 'marc21',
    record: writeMarcXml(record),
    dc,
    displayTitle: displayTitle(marcTitle(record, dc), w),
    sourceId: id || null,
    warnings: w,
  };
}

function fromMods(r: ReadModsRecord): ParsedRecord {
  const w = [...r.warnings];
  return { format: 'mods', record: r.xml, dc: r.dc, displayTitle: displayTitle(r.dc.title?.[0], w), sourceId: r.sourceId, warnings: w };
}

function fromDc({ dc, warnings }: ReadDcRecord): ParsedRecord {
  const w = [...warnings];
  return { format: 'dc', record: dcToOaiDcXml(dc), dc, displayTitle: displayTitle(dc.title?.[0], w), sourceId: dc.identifier?.[0] ?? null, warnings: w };
}
