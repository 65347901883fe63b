import type { Title } from '../../../core/db/entities/title.entity';
import type { MetadataFormat, RenderContext } from '../../../core/formats/metadata-format';
import { isControlField, readMarcXml, writeMarcXml, type MarcDataField, type MarcField, type MarcRecord } from '../../inventory/records';
import { NS } from '../../inventory/records/xml-tree';
import { dcToMarc } from './dc-to-marc';
import { FormatErrors } from './format-errors';
import { checkOptions, contextLinks, staleUrlTest, supportsTitle, type ContextLinks, type FormatOptions } from './format-options';

const SCHEMA = 'http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd';
const PLAIN_ROOT = `<record xmlns="${NS.marc}">`;
const ROOT = `<record xmlns="${NS.marc}" xmlns:xsi="${NS.xsi}" xsi:schemaLocation="${NS.marc} ${SCHEMA}">`;

/**
 * MARCXML (MARC 21 slim). A MARC title is written as catalogued, every field kept; a Dublin Core
 * or MODS title goes through the LoC Dublin Core to MARC crosswalk (dc-to-marc.ts; MODS titles
 * through their Dublin Core, as the inventory derived it). Then the links: stale 856s are left
 * out (see FormatOptions.repositoryUrls) and 856s for the title page and each representation are
 * added after the record's own 856s, and the leader's record length and base address are
 * recomputed as an ISO 2709 writer would set them (UTF-8 bytes).
 */
export class Marc21Format implements MetadataFormat {
  readonly prefix = 'marc21';
  readonly namespace = NS.marc;
  readonly schema = SCHEMA;

  constructor(private readonly options: Readonly<FormatOptions> = {}) {}

  /** The format with checked options (ConfigError on a bad one). */
  static fromConfig(options: FormatOptions = {}): Marc21Format {
    return new Marc21Format(checkOptions(options, 'marc21 format'));
  }

  supports(title: Title): boolean {
    return supportsTitle(title);
  }

  render(title: Title, ctx: RenderContext): string {
    const added = contextLinks(ctx);
    const rec = this.record(title, added);
    const xml = writeMarcXml(rec);
    if (!xml.startsWith(PLAIN_ROOT)) throw new Error('unreachable: writeMarcXml wrote an unexpected root element');
    return ROOT + xml.slice(PLAIN_ROOT.length);
  }

  /** The record as it is disseminated: source or crosswalk, with this repository's links. */
  record(title: Title, added: ContextLinks): MarcRecord {
    const base = title.sourceFormat === 'marc21' ? storedMarc(title) : dcToMarc({
      dc: title.dc ?? {},
      id: title.id,
      fallbackTitle: title.displayTitle,
      created: title.createdAt,
      changed: title.datestamp,
    });
    const stale = staleUrlTest(this.options, added);
    const fields = dropStale856(base.fields, stale);
    const links = linkFields(added);
    // After the last 856, else before the first field that sorts after 856.
    let at = fields.length;
    for (let i = fields.length - 1; i >= 0; i--) {
      const tag = fields[i]?.tag ?? '';
      if (tag === '856') {
        at = i + 1;
        break;
      }
      if (tag > '856') at = i;
    }
    fields.splice(at, 0, ...links);
    return { leader: withLengths(base.leader, fields), fields };
  }
}

/** The stored MARCXML record of a MARC title. */
export function storedMarc(title: Title): MarcRecord {
  let records: MarcRecord[];
  try {
    records = readMarcXml(title.sourceRecord);
  } catch (err) {
    throw FormatErrors.STORED_RECORD_UNREADABLE(`title ${title.id}: its stored MARCXML cannot be read (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  const [rec] = records;
  if (!rec || records.length !== 1) throw FormatErrors.STORED_RECORD_UNREADABLE(`title ${title.id}: its stored MARCXML holds ${records.length} records, not one`);
  return rec;
}

/** The fields without the 856s whose URLs ($u, at least one) are all stale. */
export function dropStale856(fields: MarcField[], stale: (url: string) => boolean): MarcField[] {
  return fields.filter((f) => {
    if (f.tag !== '856' || isControlField(f)) return true;
    const urls = f.subfields.filter((s) => s.code === 'u');
    return !urls.length || !urls.every((s) => stale(s.value));
  });
}

const sf = (code: string, value: string | null | undefined): { code: string; value: string }[] => (value ? [{ code, value }] : []);

/**
 * 856 fields for the title page and the representations (MARC 21 856: ind1 4 = HTTP; ind2 0 =
 * the resource, 1 = a version of it, 2 = a related resource):
 *   title page      856 40 $u url $y Landing page
 *   delivery        856 4[0 primary | 1 derivative] $3 label $u url $q first MIME type
 *   IIIF manifest   856 4[0|1] $3 label $u url $q application/ld+json $y IIIF manifest
 *   thumbnail       856 42 $3 Thumbnail $u url
 * A URL already written is not written again.
 */
export function linkFields(added: ContextLinks): MarcDataField[] {
  const out: MarcDataField[] = [];
  const seen = new Set<string>();
  const add = (ind2: string, url: string | null, subfields: { code: string; value: string }[]): void => {
    if (!url || seen.has(url)) return;
    seen.add(url);
    out.push({ tag: '856', ind1: '4', ind2, subfields });
  };
  add('0', added.titleUrl, [...sf('u', added.titleUrl), ...sf('y', 'Landing page')]);
  for (const l of added.links) {
    const ind2 = l.usageType === 'derivative' ? '1' : '0';
    add(ind2, l.deliveryUrl, [...sf('3', l.label), ...sf('u', l.deliveryUrl), ...sf('q', l.mimeTypes[0])]);
    add(ind2, l.manifestUrl, [...sf('3', l.label), ...sf('u', l.manifestUrl), ...sf('q', 'application/ld+json'), ...sf('y', 'IIIF manifest')]);
    add('2', l.thumbnailUrl, [...sf('3', 'Thumbnail'), ...sf('u', l.thumbnailUrl)]);
  }
  return out;
}

/**
 * The leader with positions 00-04 (record length) and 12-16 (base address of data) as an ISO 2709
 * writer would set them for these fields in UTF-8. A record over 99,999 bytes cannot be written
 * as ISO 2709; its length is given as 99999 and readers must not rely on it.
 */
export function withLengths(leader: string, fields: MarcField[]): string {
  let data = 0;
  for (const f of fields) {
    if (isControlField(f)) data += Buffer.byteLength(f.value) + 1;
    else {
      data += 3; // two indicators and the field terminator
      for (const s of f.subfields) data += 2 + Buffer.byteLength(s.value);
    }
  }
  const base = 24 + 12 * fields.length + 1;
  const length = Math.min(base + data + 1, 99999);
  const digits = (n: number): string => String(Math.min(n, 99999)).padStart(5, '0');
  return digits(length) + leader.slice(5, 12) + digits(base) + leader.slice(17);
}
