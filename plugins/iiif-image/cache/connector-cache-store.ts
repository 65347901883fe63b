import { Readable } from 'node:stream';
import { StorageNotFoundError, type StorageConnector } from '../../../core/storage';
import { sha1Hex, type CacheObjectInfo, type CacheObjectStore } from './cache-object-store';
import { OBJECT_KEY_PATTERN } from './cache-object-store';

/** Deletes of one invalidation in flight at once (S3 has no cheap bulk delete in the contract). */
const DELETE_CONCURRENCY = 8;

/**
 * Render cache bodies in a storage connector (S3 above all: one bucket shared by every
 * instance), under a key prefix of their own. Puts are atomic by the connector contract.
 */
export class ConnectorCacheStore implements CacheObjectStore {
  readonly id: string;

  constructor(
    private readonly connector: StorageConnector,
    /** Non-empty and ending with "/": the cache lists and deletes everything under it. */
    private readonly prefix: string,
  ) {
    // Same connector and prefix: the same objects, so the same entries. Long names are hashed
    // to fit the column.
    const id = `${connector.id}:${prefix}`;
    this.id = id.length <= 64 ? id : `${connector.id.slice(0, 20)}:${sha1Hex(id)}`;
  }

  async init(): Promise<void> {
    // The connector belongs to its plugin, which has initialised it.
  }

  async write(key: string, body: Buffer, mediaType: string): Promise<void> {
    await this.connector.put(this.prefix + key, Readable.from([body], { objectMode: false }), { contentType: mediaType, size: body.length });
  }

  async read(key: string, size: number, bufferMax: number, signal?: AbortSignal): Promise<Buffer | Readable | null> {
    if (size > bufferMax) {
      // A stream cannot be checked before it is served: ask for the size first (one more
      // request, small beside a body this large).
      const head = await this.connector.head(this.prefix + key);
      if (!head || head.size !== size) return null;
    }
    let stream: Readable;
    try {
      stream = await this.connector.get(this.prefix + key, { signal });
    } catch (err) {
      if (err instanceof StorageNotFoundError) return null;
      throw err;
    }
    if (size > bufferMax) return stream;
    const chunks: Buffer[] = [];
    let got = 0;
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      got += buf.length;
      // A longer object than the row says is not ours (or was replaced): stop reading it.
      if (got > size) {
        stream.destroy();
        return null;
      }
      chunks.push(buf);
    }
    return got === size ? Buffer.concat(chunks, got) : null;
  }

  async delete(key: string): Promise<void> {
    await this.connector.delete(this.prefix + key);
  }

  async deleteUnder(prefix: string): Promise<void> {
    // Delete as the listing goes (in small parallel batches), so memory stays flat.
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      await Promise.all(batch.map((k) => this.connector.delete(k)));
      batch = [];
    };
    for await (const o of this.connector.list(this.prefix + prefix)) {
      batch.push(o.key);
      if (batch.length >= DELETE_CONCURRENCY) await flush();
    }
    await flush();
  }

  async deleteAll(): Promise<void> {
    await this.deleteUnder('');
  }

  async *list(signal?: AbortSignal): AsyncIterable<CacheObjectInfo> {
    for await (const o of this.connector.list(this.prefix, { signal })) {
      const key = o.key.slice(this.prefix.length);
      if (o.key.startsWith(this.prefix) && OBJECT_KEY_PATTERN.test(key)) yield { key, size: o.size, lastModified: o.lastModified };
    }
  }
}
