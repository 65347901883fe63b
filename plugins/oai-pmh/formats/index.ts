import type { MetadataFormat } from '../../../core/formats/metadata-format';
import type { FormatOptions } from './format-options';
import { Marc21Format } from './marc21-format';
import { ModsFormat } from './mods-format';
import { OaiDcFormat } from './oai-dc-format';

export { OaiDcFormat } from './oai-dc-format';
export { Marc21Format } from './marc21-format';
export { ModsFormat } from './mods-format';
export { FormatErrors } from './format-errors';
export type { FormatOptions } from './format-options';
export { dcToMarc, type DcToMarcInput } from './dc-to-marc';
export { marcToMods } from './marc-to-mods';
export { dcToMods } from './dc-to-mods';

/** The formats the OAI-PMH plugin offers: oai_dc (mandatory in OAI-PMH), marc21 and mods. */
export const BUILTIN_FORMATS = (options: FormatOptions = {}): MetadataFormat[] => [
  OaiDcFormat.fromConfig(options),
  Marc21Format.fromConfig(options),
  ModsFormat.fromConfig(options),
];
