import { ConfigError } from '../../../core/config/load';
import type { RenderContext, RepresentationLink } from '../../../core/formats/metadata-format';
import { SOURCE_FORMATS, type Title } from '../../../core/db/entities/title.entity';
import { clean } from './xml-out';

/** Options shared by the built-in formats (all optional). */
export interface FormatOptions {
  /**
   * URL prefixes under which this repository publishes (e.g. "https://repo.example.org/").
   * A link in a stored record that points under one of them is a stale copy of what the render
   * context provides (a record harvested back from us, or one exported before a representation
   * moved), so it is left out; the context's current links are written instead. Links equal to
   * one the context provides are always left out, so that none appears twice.
   */
  repositoryUrls?: string[];
}

/** True for the titles every built-in format can render: all three source formats. */
export const supportsTitle = (title: Title): boolean => (SOURCE_FORMATS as readonly string[]).includes(title.sourceFormat);

/** The links a render adds, cleaned (illegal XML characters removed), with the set of every URL among them. */
export interface ContextLinks {
  titleUrl: string;
  links: (RepresentationLink & { label: string })[];
  /** Every URL the render adds (title page, delivery, manifest, thumbnail). */
  urls: Set<string>;
}

/** Cleans the context's links once per render. */
export function contextLinks(ctx: RenderContext): ContextLinks {
  const titleUrl = clean(ctx.titleUrl);
  const urls = new Set<string>();
  if (titleUrl) urls.add(titleUrl);
  const links = ctx.links.map((l) => {
    const link = {
      ...l,
      label: clean(l.label),
      deliveryUrl: clean(l.deliveryUrl),
      manifestUrl: l.manifestUrl ? clean(l.manifestUrl) || null : null,
      thumbnailUrl: l.thumbnailUrl ? clean(l.thumbnailUrl) || null : null,
      mimeTypes: l.mimeTypes.map(clean).filter(Boolean),
    };
    for (const u of [link.deliveryUrl, link.manifestUrl, link.thumbnailUrl]) if (u) urls.add(u);
    return link;
  });
  return { titleUrl, links, urls };
}

/** A predicate for URLs of a stored record that the render replaces (see FormatOptions.repositoryUrls). */
export function staleUrlTest(options: FormatOptions, added: ContextLinks): (url: string) => boolean {
  const prefixes = (options.repositoryUrls ?? []).map((p) => p.trim()).filter(Boolean);
  return (url) => {
    const u = url.trim();
    return added.urls.has(u) || prefixes.some((p) => u.startsWith(p));
  };
}

/** Validates and freezes options, so that a configuration mistake fails at boot with a clear message. */
export function checkOptions(options: FormatOptions, owner: string): Readonly<FormatOptions> {
  const unknown = Object.keys(options).filter((k) => k !== 'repositoryUrls');
  if (unknown.length) throw new ConfigError(`${owner}: unknown option(s) ${unknown.join(', ')}; the only option is repositoryUrls`);
  const urls = options.repositoryUrls;
  if (urls !== undefined) {
    if (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string' || !/^https?:\/\/\S+$/.test(u.trim()))) {
      throw new ConfigError(`${owner}: repositoryUrls must be a list of http(s) URL prefixes, got ${JSON.stringify(urls)}`);
    }
  }
  return Object.freeze({ repositoryUrls: urls ? Object.freeze([...urls]) as string[] : undefined });
}
