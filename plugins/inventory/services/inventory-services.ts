import type { CoreServices, PluginContext } from '../../../core/plugin/types';
import type { InventoryConfig } from '../config';
import { FixityService } from '../jobs/fixity-service';
import { ThumbnailService } from '../jobs/thumbnail-service';
import { AccessProfileService } from './access-profile-service';
import { BulkService } from './bulk-service';
import { CollectionService } from './collection-service';
import { IngestService } from './ingest-service';
import { RepresentationService } from './representation-service';
import { TitleReader } from './title-reader';
import { TitleWriter } from './title-writer';

/** Every service of the inventory plugin, built once per plugin instance. */
export interface InventoryServices {
  collections: CollectionService;
  titles: TitleReader;
  writer: TitleWriter;
  representations: RepresentationService;
  ingest: IngestService;
  profiles: AccessProfileService;
  bulk: BulkService;
  thumbnails: ThumbnailService;
  fixity: FixityService;
}

export function createInventoryServices(core: CoreServices, config: InventoryConfig): InventoryServices {
  const collections = new CollectionService(core);
  const writer = new TitleWriter(core);
  const representations = new RepresentationService(core, config);
  const thumbnails = new ThumbnailService(core, config);
  return {
    collections,
    titles: new TitleReader(core),
    writer,
    representations,
    ingest: new IngestService(core, config, () => thumbnails.kick()),
    profiles: new AccessProfileService(core),
    bulk: new BulkService(core, config, writer, representations, collections),
    thumbnails,
    fixity: new FixityService(core, config),
  };
}

/** The inventory services of a plugin instance (set in init). */
export const services = (p: PluginContext<InventoryConfig>): InventoryServices => p.state.get('svc') as InventoryServices;
