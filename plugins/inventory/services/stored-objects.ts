import type { Logger } from 'pino';
import type { StorageConnector, StorageRegistry } from '../../../core/storage';
import { InventoryErrors } from '../errors';

/** Storage keys of the inventory: where a file, its thumbnail and a representation's thumbnail live. */
export const StorageKeys = {
  file: (representationId: string, fileId: string): string => `files/${representationId}/${fileId}`,
  fileThumbnail: (representationId: string, fileId: string): string => `thumbnails/${representationId}/${fileId}`,
  representationThumbnail: (representationId: string): string => `thumbnails/${representationId}/representation`,
  staging: (uploadPrefix: string, id: string): string => `${uploadPrefix}.staging/${id}`,
};

/** A stored object to remove once the transaction that unlinked it has committed. */
export interface StoredRef {
  connectorId: string;
  key: string;
}

/** The connector of an id, or a 422 naming the ids that exist. */
export function connectorOf(storage: StorageRegistry, id: string): StorageConnector {
  const c = storage.get(id);
  if (!c) throw InventoryErrors.STORAGE_UNKNOWN(`No storage connector "${id}"; enabled connectors: ${storage.ids().join(', ') || 'none'}`);
  return c;
}

/** Delete objects, logging (not throwing) failures: the rows that named them are already gone. */
export async function deleteObjects(storage: StorageRegistry, refs: StoredRef[], logger: Logger): Promise<void> {
  for (const ref of refs) {
    try {
      await storage.get(ref.connectorId)?.delete(ref.key);
    } catch (err) {
      logger.warn({ err, ...ref }, 'stored object left behind after its row was deleted');
    }
  }
}
