/**
 * Sample titles for the metadata format specs: Title objects built in memory (no database) from
 * the project's record fixtures, a hand-made Dublin Core title carrying characters XML cannot
 * hold, and every record of ../shared/data (MARC binary and XML, the DC/MODS/METS files).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Title, type DublinCore } from '../../../../core/db/entities/title.entity';
import type { RenderContext } from '../../../../core/formats/metadata-format';
import { dcToOaiDcXml, parseRecords, type ParsedRecord } from '../../../../plugins/inventory/records';
import { hasSharedData, sharedData } from '../../../helpers/shared-data';
import { PROJECT_ROOT } from '../../../../core/version';

export interface FormatSample {
  /** Where the record came from ("record.marcxml.xml", "marc/binary/pymarc-marc.mrc #3"). */
  name: string;
  title: Title;
}

/** A project-owned record fixture (spec/fixtures/records/). */
export const fixturePath = (name: string): string => join(PROJECT_ROOT, 'spec', 'fixtures', 'records', name);

/** A stable UUID-shaped id from a sample's name, so that renders are reproducible. */
function sampleId(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A Title as the inventory stores one for a parsed record (see TitleWriter.create). */
export function titleFrom(rec: ParsedRecord, name: string): Title {
  return Object.assign(new Title(), {
    id: sampleId(name),
    sourceFormat: rec.format,
    sourceRecord: rec.record,
    sourceId: rec.sourceId,
    dc: rec.dc,
    displayTitle: rec.displayTitle,
    suppressed: false,
    createdAt: new Date('2024-01-15T08:00:00.000Z'),
    updatedAt: new Date('2024-03-01T12:30:00.000Z'),
    datestamp: new Date('2024-03-01T12:30:00.000Z'),
  });
}

function samplesOf(records: ParsedRecord[], name: string): FormatSample[] {
  return records.map((r, i) => {
    const n = records.length > 1 ? `${name} #${i + 1}` : name;
    return { name: n, title: titleFrom(r, n) };
  });
}

/**
 * A Dublin Core title whose values hold a C0 control character, a lone surrogate and U+FFFE (as
 * a record written before the inventory scrubbed input, or by a filter hook, could), a value
 * made only of such characters, and an identifier equal to the title page URL.
 */
export function dirtyDcTitle(): Title {
  const dc: DublinCore = {
    title: ['Tide\u0001 tables \uD800of the north'],
    creator: ['Mensah\uDC00, Kofi'],
    subject: ['Tides\uFFFE', '\u0001'],
    description: ['Line one\nline two\ttabbed'],
    date: ['1911'],
    type: ['Text'],
    language: ['eng'],
    identifier: ['urn:colophon:dirty-1'],
  };
  const name = 'in-code: DC with illegal characters';
  const title = titleFrom({ format: 'dc', record: dcToOaiDcXml(dc), dc, displayTitle: 'Tide tables', sourceId: null, warnings: [] }, name);
  title.dc.identifier?.push(contextFor(title).titleUrl);
  return title;
}

/** The project fixtures (always there) plus the dirty DC title. */
export function projectSamples(): FormatSample[] {
  const read = (type: string, file: string): FormatSample[] => samplesOf(parseRecords(type, readFileSync(fixturePath(file))), file);
  return [
    ...read('application/marcxml+xml', 'record.marcxml.xml'),
    ...read('application/mods+xml', 'record.mods.xml'),
    ...read('application/mets+xml', 'record.mets.xml'),
    ...read('application/xml', 'record.oai_dc.xml'),
    ...read('application/xml', 'record.saf.xml'),
    ...read('application/json', 'record.dc.json'),
    { name: 'in-code: DC with illegal characters', title: dirtyDcTitle() },
  ];
}

let shared: FormatSample[] | undefined;

/** Every record of ../shared/data/marc/binary, marc/xml and dc (read once; do not modify); [] when ../shared is absent. */
export function sharedSamples(): FormatSample[] {
  if (!hasSharedData()) return [];
  if (shared) return shared;
  const out: FormatSample[] = [];
  const folder = (dir: string, type: string): void => {
    for (const f of readdirSync(sharedData(dir)).sort()) out.push(...samplesOf(parseRecords(type, readFileSync(sharedData(dir, f))), `${dir}/${f}`));
  };
  folder('marc/binary', 'application/marc');
  folder('marc/xml', 'application/marcxml+xml');
  folder('dc', 'application/xml');
  shared = out;
  return out;
}

/** The 383 MARC records of the bulk set (for timing), or [] when ../shared is absent. */
export function bulkMarcSamples(): FormatSample[] {
  if (!hasSharedData()) return [];
  const file = 'marc/xml/marc4j-pride-and-prejudice-fixed.DERIVED.marcxml.xml';
  return samplesOf(parseRecords('application/marcxml+xml', readFileSync(sharedData(file))), file);
}

export const REPO = 'https://repo.example.org/';

/**
 * The render context of the specs: two links, a local primary one with manifest and thumbnail
 * and a remote derivative one; the labels need escaping and one carries a control character.
 */
export function contextFor(title: Title): RenderContext {
  const id = title.id;
  return {
    oaiIdentifier: `oai:repo.example.org:${id}`,
    titleUrl: `${REPO}titles/${id}`,
    links: [
      {
        representationId: `${id}-r1`,
        usageType: 'primary',
        label: 'Scans & OCR <master>',
        deliveryUrl: `${REPO}view/${id}/r1`,
        manifestUrl: `${REPO}iiif/3/${id}-r1/manifest`,
        thumbnailUrl: `${REPO}thumbnails/${id}-r1.jpg`,
        mimeTypes: ['image/jp2', 'application/pdf'],
        remote: false,
      },
      {
        representationId: `${id}-r2`,
        usageType: 'derivative',
        label: 'Copy at the "partner"\u0002 library',
        deliveryUrl: `https://partner.example.net/item?id=${id}&view=full`,
        manifestUrl: null,
        thumbnailUrl: null,
        mimeTypes: [],
        remote: true,
      },
    ],
  };
}
