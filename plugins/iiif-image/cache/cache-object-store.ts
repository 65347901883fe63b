import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/** An object a store holds, as its listing reports it. */
export interface CacheObjectInfo {
  key: string;
  size: number;
  lastModified?: Date;
}

/**
 * Where the render cache keeps bodies: a directory (DiskCacheStore) or a storage connector
 * (ConnectorCacheStore). Keys are the cache's own layout (`objectKey`), relative and `/`-separated.
 */
export interface CacheObjectStore {
  /**
   * Names the store in the shared table: instances whose stores have the same id share entries
   * (and evict and invalidate each other's); different ids never touch each other's rows.
   * Known after init().
   */
  readonly id: string;
  init(): Promise<void>;
  /** Write atomically: a reader sees the old object, the new one, or none, never a part. */
  write(key: string, body: Buffer, mediaType: string): Promise<void>;
  /**
   * The object: a Buffer when `size` is at most `bufferMax`, else a stream already opened (so a
   * concurrent eviction cannot pull it away mid-response). null when it is missing or not `size`
   * bytes long (a truncated or foreign file). Other failures (store down) throw.
   */
  read(key: string, size: number, bufferMax: number, signal?: AbortSignal): Promise<Buffer | Readable | null>;
  /** Deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Delete every object under `prefix` (ending with "/"), including objects no row knows. */
  deleteUnder(prefix: string): Promise<void>;
  /** Delete every object of the cache. */
  deleteAll(): Promise<void>;
  /** Every object of the store (for reconcile). */
  list(signal?: AbortSignal): AsyncIterable<CacheObjectInfo>;
}

/** Object keys look like "ab/{fileId}/{sha1 of the cache key}"; reconcile touches nothing else. */
export const OBJECT_KEY_PATTERN = /^[0-9a-f]{2}\/[A-Za-z0-9][A-Za-z0-9._-]{0,63}\/[0-9a-f]{40}$/;

/** File ids become path segments, so they are restricted to what is safe everywhere (UUIDs pass). */
export const FILE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const sha1Hex = (s: string | Buffer): string => createHash('sha1').update(s).digest('hex');

/**
 * Prefix of a file's objects: sharded by a hash of the id (256 directories, whatever the ids look
 * like), then one directory per file, so invalidating a file is one directory removal or listing.
 */
export function filePrefix(fileId: string): string {
  return `${sha1Hex(fileId).slice(0, 2)}/${fileId}/`;
}

/** Object key of one entry. */
export function objectKey(fileId: string, keyHash: string): string {
  return filePrefix(fileId) + keyHash;
}
