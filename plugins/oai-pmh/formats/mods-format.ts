import type { DublinCore, Title } from '../../../core/db/entities/title.entity';
import type { MetadataFormat, RenderContext } from '../../../core/formats/metadata-format';
import { attr, childElements, NS, parseXml, serializeElement, textContent, type XmlElement } from '../../inventory/records/xml-tree';
import { dcToMods } from './dc-to-mods';
import { FormatErrors } from './format-errors';
import { checkOptions, contextLinks, staleUrlTest, supportsTitle, type ContextLinks, type FormatOptions } from './format-options';
import { marcToMods } from './marc-to-mods';
import { dropStale856, storedMarc } from './marc21-format';
import { el, writeXml, type XmlNode } from './xml-out';

const SCHEMA = 'http://www.loc.gov/standards/mods/v3/mods-3-7.xsd';
const VERSION = '3.7';
const ROOT_ATTRS = ` xmlns="${NS.mods}" xmlns:xsi="${NS.xsi}" xsi:schemaLocation="${NS.mods} ${SCHEMA}"`;
const FROM_MARC = 'Converted from MARCXML to MODS version 3.7 by Colophon (LoC MARC to MODS mapping)';
const FROM_DC = 'Converted from Dublin Core to MODS version 3.7 by Colophon (LoC simple DC to MODS mapping)';

/**
 * MODS 3.7, the version the OAI-PMH schema set harvesters validate with (../shared/schemas
 * wrapper.xsd) imports. A MODS title is written as stored (its root marked version 3.7 with the
 * 3.7 schema location); a MARC title goes through the LoC MARC to
 * MODS mapping (marc-to-mods.ts), a Dublin Core title through LoC's DC to MODS mapping
 * (dc-to-mods.ts). Each gets a location per link (see linkLocations) after its own locations.
 */
export class ModsFormat implements MetadataFormat {
  readonly prefix = 'mods';
  readonly namespace = NS.mods;
  readonly schema = SCHEMA;

  constructor(private readonly options: Readonly<FormatOptions> = {}) {}

  /** The format with checked options (ConfigError on a bad one). */
  static fromConfig(options: FormatOptions = {}): ModsFormat {
    return new ModsFormat(checkOptions(options, 'mods format'));
  }

  supports(title: Title): boolean {
    return supportsTitle(title);
  }

  render(title: Title, ctx: RenderContext): string {
    const added = contextLinks(ctx);
    const stale = staleUrlTest(this.options, added);
    if (title.sourceFormat === 'mods') return storedMods(title, added, stale);
    let children: XmlNode[];
    if (title.sourceFormat === 'marc21') {
      const rec = storedMarc(title);
      children = marcToMods({ leader: rec.leader, fields: dropStale856(rec.fields, stale) }, FROM_MARC);
    } else {
      const dc: DublinCore = { ...(title.dc ?? {}) };
      for (const e of ['identifier', 'relation'] as const) if (dc[e]) dc[e] = dc[e].filter((v) => !stale(v));
      children = dcToMods(dc, title.id, FROM_DC, title.displayTitle);
    }
    children.splice(insertionPoint(children.map((c) => c.name)), 0, ...linkLocations(added, true));
    return writeXml({ name: 'mods', attrs: [['version', VERSION]], children }, ROOT_ATTRS).join('\n');
  }
}

/**
 * Locations for the title page and the representations (MODS url attributes: access "object in
 * context" is a page showing the object, "preview" a thumbnail; usage "primary" the one link a
 * display should offer, at most one per record, so it goes on the first delivery URL unless the
 * record already names its primary url):
 *
 *   <location><url access="object in context" displayLabel="Landing page">title page</url></location>
 *   <location>
 *     <url usage="primary" access="object in context" displayLabel="label">delivery</url>
 *     <url displayLabel="label" note="IIIF manifest">manifest</url>
 *     <url access="preview" displayLabel="Thumbnail">thumbnail</url>
 *   </location>
 *
 * A URL already written is not written again.
 */
export function linkLocations(added: ContextLinks, primaryFree: boolean): XmlNode[] {
  const seen = new Set<string>();
  let primary = primaryFree;
  const url = (u: string | null, attrs: Record<string, string | undefined | false>): XmlNode | null => {
    if (!u || seen.has(u)) return null;
    seen.add(u);
    return el('url', attrs, u);
  };
  const out: (XmlNode | null)[] = [el('location', null, url(added.titleUrl, { access: 'object in context', displayLabel: 'Landing page' }))];
  for (const l of added.links) {
    const delivery = url(l.deliveryUrl, { usage: primary && 'primary', access: 'object in context', displayLabel: l.label });
    if (delivery) primary = false;
    out.push(el('location', null,
      delivery,
      url(l.manifestUrl, { displayLabel: l.label, note: 'IIIF manifest' }),
      url(l.thumbnailUrl, { access: 'preview', displayLabel: 'Thumbnail' }),
    ));
  }
  return out.filter((n): n is XmlNode => n !== null);
}

/** The stored <mods> with version and schema location set, stale urls left out and the link locations added. */
function storedMods(title: Title, added: ContextLinks, stale: (url: string) => boolean): string {
  let root: XmlElement;
  try {
    root = parseXml(title.sourceRecord);
  } catch (err) {
    throw FormatErrors.STORED_RECORD_UNREADABLE(`title ${title.id}: its stored MODS cannot be read (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  if (root.uri !== NS.mods || root.local !== 'mods') {
    throw FormatErrors.STORED_RECORD_UNREADABLE(`title ${title.id}: its stored record is <${root.local}>${root.uri ? ` in ${root.uri}` : ''}, not a MODS <mods>`);
  }
  let primaryFree = true;
  root.children = root.children.filter((c) => {
    if (typeof c === 'string' || c.uri !== NS.mods || c.local !== 'location') return true;
    const had = childElements(c).length;
    c.children = c.children.filter((u) => typeof u === 'string' || u.uri !== NS.mods || u.local !== 'url' || !stale(textContent(u)));
    if (had && !childElements(c).length) return false;
    if (childElements(c, NS.mods, 'url').some((u) => (attr(u, 'usage') ?? '').startsWith('primary'))) primaryFree = false;
    return true;
  });
  root.attrs = root.attrs.filter((a) => !(a.uri === '' && a.local === 'version') && !(a.uri === NS.xsi && /^(noNamespaceS|s)chemaLocation$/.test(a.local)));
  root.attrs.push(
    { uri: '', prefix: '', local: 'version', value: VERSION },
    { uri: NS.xsi, prefix: 'xsi', local: 'schemaLocation', value: `${NS.mods} ${SCHEMA}` },
  );
  const at = insertionPoint(root.children.map((c) => (typeof c === 'string' || c.uri !== NS.mods ? '' : c.local)));
  // Each on a line of its own, indented like the stored record's top-level elements.
  root.children.splice(at, 0, ...linkLocations(added, primaryFree).flatMap((n) => ['\n  ', toElement(n)]));
  return serializeElement(root, NS.mods);
}

/** Where the link locations go among top-level elements: after the last location, else before recordInfo, else at the end. */
function insertionPoint(names: string[]): number {
  const last = names.lastIndexOf('location');
  if (last >= 0) return last + 1;
  const info = names.indexOf('recordInfo');
  return info >= 0 ? info : names.length;
}

/** A built node as a parsed-tree element in the MODS namespace, for serializeElement. */
function toElement(n: XmlNode): XmlElement {
  return {
    uri: NS.mods,
    prefix: '',
    local: n.name,
    attrs: n.attrs.map(([local, value]) => ({ uri: '', prefix: '', local, value })),
    children: n.children.map((c) => (typeof c === 'string' ? c : toElement(c))),
    line: 0,
    column: 0,
  };
}
