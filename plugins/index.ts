import type { AnyPlugin } from '../core/plugin/types';
import { iiifImagePlugin } from './iiif-image';
import { iiifPresentationPlugin } from './iiif-presentation';
import { inventoryPlugin } from './inventory';
import { oaiPmhPlugin } from './oai-pmh';
import { storageLocalPlugin } from './storage-local';
import { storageS3Plugin } from './storage-s3';

/** Plugins shipped with Colophon, installed in every instance (each can be disabled). */
export const builtinPlugins: AnyPlugin[] = [storageLocalPlugin, storageS3Plugin, inventoryPlugin, oaiPmhPlugin, iiifImagePlugin, iiifPresentationPlugin];
