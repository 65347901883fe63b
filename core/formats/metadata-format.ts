import { OwnedRegistry } from '../plugin/owned-registry';
import type { Title } from '../db/entities/title.entity';

/** A published (active, not remote-less) representation of a title, as formats link to it. */
export interface RepresentationLink {
  representationId: string;
  usageType: 'primary' | 'derivative';
  label: string;
  /** Where a person views it (Colophon's viewer page, or the remote repository). */
  deliveryUrl: string;
  /** Its IIIF Presentation manifest, when there is one. */
  manifestUrl: string | null;
  thumbnailUrl: string | null;
  /** MIME types of its files (empty for remote representations). */
  mimeTypes: string[];
  remote: boolean;
}

/** What a format may add to the title's own record. */
export interface RenderContext {
  /** Published representations, in creation order. */
  links: RepresentationLink[];
  /** The title's OAI identifier (oai:{repositoryIdentifier}:{titleId}). */
  oaiIdentifier: string;
  /** The title's public page. */
  titleUrl: string;
}

/**
 * A metadata format that titles can be disseminated in (OAI-PMH metadataPrefix, exports).
 * Contributed by plugins; the OAI-PMH and export plugins look them up here.
 */
export interface MetadataFormat {
  /** OAI-PMH metadataPrefix, e.g. "oai_dc". */
  prefix: string;
  /** XML namespace of the root element. */
  namespace: string;
  /** XML Schema location. */
  schema: string;
  /** Can this title be disseminated in this format? */
  supports(title: Title): boolean;
  /**
   * The record as an XML fragment (no XML declaration), its root in `namespace` with an
   * xsi:schemaLocation naming `schema`; never a character illegal in XML 1.0.
   */
  render(title: Title, ctx: RenderContext): string | Promise<string>;
}

/** Formats of the enabled plugins, by prefix. */
export class FormatRegistry extends OwnedRegistry<MetadataFormat> {
  constructor() {
    super('metadata format');
  }

  /** Register a format under its prefix. */
  addFormat(pluginId: string, format: MetadataFormat): void {
    this.add(pluginId, format.prefix, format);
  }

  all(): MetadataFormat[] {
    return this.values();
  }
}
