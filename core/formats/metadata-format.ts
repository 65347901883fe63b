import { OwnedRegistry } from '../plugin/owned-registry';
import type { Title } from '../db/entities/title.entity';

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
  /** The record as an XML fragment (no XML declaration). */
  render(title: Title): string | Promise<string>;
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
