import { OwnedRegistry } from '../plugin/owned-registry';
import type { Readable } from 'node:stream';

/** What a connector knows of a stored object. */
export interface StoredObject {
  key: string;
  size: number;
  lastModified?: Date;
  etag?: string;
}

/** Inclusive byte range; `end` absent means to the end of the object. */
export interface ByteRange {
  start: number;
  end?: number;
}

/**
 * The storage contract every connector implements (storage-local, storage-s3, ...): streams in
 * and out, ranged reads, cancellation by AbortSignal, and writes that land atomically: a put
 * writes to a temporary key and moves into place only when the whole body has arrived, so an
 * aborted or failed write leaves nothing under the key.
 */
export interface StorageConnector {
  /** Connector id, stored on representations (e.g. "local"). */
  readonly id: string;
  init?(): Promise<void>;
  destroy?(): Promise<void>;
  put(key: string, body: Readable, opts?: { signal?: AbortSignal; contentType?: string; size?: number }): Promise<StoredObject>;
  get(key: string, opts?: { range?: ByteRange; signal?: AbortSignal }): Promise<Readable>;
  /** null when there is no such object. */
  head(key: string): Promise<StoredObject | null>;
  /** Deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  move(from: string, to: string): Promise<void>;
  list(prefix: string, opts?: { signal?: AbortSignal }): AsyncIterable<StoredObject>;
  /**
   * Optional: the path of the object on this machine's file system, for tools that read files
   * (ffprobe, pdfinfo) without a temporary copy. Only connectors that keep plain files offer it.
   */
  localPath?(key: string): string | null;
}

/** Thrown by connectors for a key that is malformed or escapes the store. */
export class StorageKeyError extends Error {
  constructor(key: string, why: string) {
    super(`storage key "${key}": ${why}`);
    this.name = 'StorageKeyError';
  }
}

/** Thrown by get() for a missing object. */
export class StorageNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`storage key "${key}" does not exist`);
    this.name = 'StorageNotFoundError';
  }
}

/** Connectors of the enabled plugins, by id. */
export class StorageRegistry extends OwnedRegistry<StorageConnector> {
  constructor() {
    super('storage connector');
  }

  /** Register a connector under its own id. */
  addConnector(pluginId: string, connector: StorageConnector): void {
    this.add(pluginId, connector.id, connector);
  }

  ids(): string[] {
    return this.keys();
  }
}
