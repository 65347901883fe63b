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
export class FormatRegistry {
  private readonly formats = new Map<string, { pluginId: string; format: MetadataFormat }>();

  add(pluginId: string, format: MetadataFormat): void {
    const prev = this.formats.get(format.prefix);
    if (prev && prev.pluginId !== pluginId) {
      throw new Error(`metadata format "${format.prefix}" of plugin ${pluginId} is already provided by plugin ${prev.pluginId}`);
    }
    this.formats.set(format.prefix, { pluginId, format });
  }

  removePlugin(pluginId: string): void {
    for (const [k, e] of this.formats) if (e.pluginId === pluginId) this.formats.delete(k);
  }

  get(prefix: string): MetadataFormat | undefined {
    return this.formats.get(prefix)?.format;
  }

  all(): MetadataFormat[] {
    return [...this.formats.values()].map((e) => e.format);
  }
}
