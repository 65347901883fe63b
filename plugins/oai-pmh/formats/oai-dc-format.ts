import { DC_ELEMENTS, type DublinCore, type Title } from '../../../core/db/entities/title.entity';
import type { MetadataFormat, RenderContext } from '../../../core/formats/metadata-format';
import { dcToOaiDcXml } from '../../inventory/records';
import { stripIllegalXmlChars } from '../../inventory/records/xml-chars';
import { NS } from '../../inventory/records/xml-tree';
import { checkOptions, contextLinks, staleUrlTest, supportsTitle, type FormatOptions } from './format-options';

/**
 * Simple Dublin Core (OAI-PMH's mandatory oai_dc): the title's normalized DC, all 15 elements
 * with every value, plus its links.
 *
 * Links: the title page and each representation's delivery URL become dc:identifier, ahead of the
 * record's own identifiers, because aggregators take the landing page from the dc:identifier
 * values that are http(s) URLs, most of them the first one (BASE, Primo's OAI DC pipe, Europeana's
 * isShownAt from DC); each IIIF manifest becomes a dc:relation (the manifest is a related
 * resource, not the item), which IIIF-aware harvesters look for there. Thumbnails have no simple
 * DC element and are left out.
 */
export class OaiDcFormat implements MetadataFormat {
  readonly prefix = 'oai_dc';
  readonly namespace = NS.oaiDc;
  readonly schema = 'http://www.openarchives.org/OAI/2.0/oai_dc.xsd';

  constructor(private readonly options: Readonly<FormatOptions> = {}) {}

  /** The format with checked options (ConfigError on a bad one). */
  static fromConfig(options: FormatOptions = {}): OaiDcFormat {
    return new OaiDcFormat(checkOptions(options, 'oai_dc format'));
  }

  supports(title: Title): boolean {
    return supportsTitle(title);
  }

  render(title: Title, ctx: RenderContext): string {
    const added = contextLinks(ctx);
    const stale = staleUrlTest(this.options, added);
    const source: DublinCore = title.dc ?? {};
    const dc: DublinCore = {};
    for (const element of DC_ELEMENTS) {
      const values = source[element] ?? [];
      let kept: string[];
      if (element === 'identifier') {
        kept = unique([added.titleUrl, ...added.links.map((l) => l.deliveryUrl), ...values.filter((v) => !stale(v))]);
      } else if (element === 'relation') {
        kept = unique([...values.filter((v) => !stale(v)), ...added.links.map((l) => l.manifestUrl ?? '')]);
      } else {
        // The record's own values stay as they are, repeats included; only what XML cannot carry goes.
        kept = values.map((v) => stripIllegalXmlChars(v).trim()).filter(Boolean);
      }
      if (kept.length) dc[element] = kept;
    }
    return dcToOaiDcXml(dc);
  }
}

/** Merged values (the record's and the context's) with illegal characters removed, blank ones dropped, each once. */
function unique(values: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of values) {
    const v = stripIllegalXmlChars(raw).trim();
    if (v && !seen.has(v)) {
      seen.add(v);
      out.push(v);
    }
  }
  return out;
}
