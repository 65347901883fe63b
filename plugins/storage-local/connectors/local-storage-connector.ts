import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, opendir, rename, rm, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  StorageKeyError, StorageNotFoundError, type ByteRange, type StorageConnector, type StoredObject,
} from '../../../core/storage';

const TMP_DIR = '.tmp';

/** Files in a directory tree. Keys are `/`-separated relative paths that can never leave the root. */
export class LocalStorageConnector implements StorageConnector {
  private constructor(
    readonly id: string,
    readonly root: string,
  ) {}

  static fromConfig(config: { id: string; root: string }): LocalStorageConnector {
    return new LocalStorageConnector(config.id, resolve(config.root));
  }

  async init(): Promise<void> {
    await mkdir(join(this.root, TMP_DIR), { recursive: true });
  }

  /** Resolve a key inside the root, refusing anything that could escape it. */
  path(key: string): string {
    if (typeof key !== 'string' || key.length === 0 || key.length > 1024) throw new StorageKeyError(String(key), 'must be 1 to 1024 characters');
    // eslint-disable-next-line no-control-regex -- control characters are what is refused
    if (/[\u0000-\u001f\u007f\\]/.test(key)) throw new StorageKeyError(key, 'must not contain control characters or backslash');
    if (key.startsWith('/')) throw new StorageKeyError(key, 'must be relative');
    const parts = key.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new StorageKeyError(key, 'must not have empty, "." or ".." segments');
    if (parts[0] === TMP_DIR) throw new StorageKeyError(key, `"${TMP_DIR}" is reserved`);
    const full = resolve(this.root, ...parts);
    const rel = relative(this.root, full);
    if (rel.startsWith('..') || rel.startsWith(sep) || rel === '') throw new StorageKeyError(key, 'escapes the storage root');
    return full;
  }

  /** The object's file: tools such as ffprobe read it in place. */
  localPath(key: string): string {
    return this.path(key);
  }

  async put(key: string, body: Readable, opts: { signal?: AbortSignal } = {}): Promise<StoredObject> {
    const target = this.path(key);
    const tmp = join(this.root, TMP_DIR, `${randomUUID()}.part`);
    try {
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }), { signal: opts.signal });
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const st = await stat(target);
    return { key, size: st.size, lastModified: st.mtime };
  }

  async get(key: string, opts: { range?: ByteRange; signal?: AbortSignal } = {}): Promise<Readable> {
    const p = this.path(key);
    const st = await stat(p).catch(() => null);
    if (!st?.isFile()) throw new StorageNotFoundError(key);
    const { range } = opts;
    if (range && (!Number.isInteger(range.start) || range.start < 0 || (range.end !== undefined && (!Number.isInteger(range.end) || range.end < range.start)))) {
      throw new RangeError(`invalid range ${range.start}-${range.end ?? ''}`);
    }
    // Like HTTP's 416: a range must start inside the object (an end past it is cut to the end).
    if (range && range.start >= st.size) {
      throw new RangeError(`range ${range.start}-${range.end ?? ''} starts beyond the end of "${key}" (${st.size} bytes)`);
    }
    return createReadStream(p, { start: range?.start, end: range?.end, signal: opts.signal });
  }

  async head(key: string): Promise<StoredObject | null> {
    const st = await stat(this.path(key)).catch(() => null);
    return st?.isFile() ? { key, size: st.size, lastModified: st.mtime } : null;
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async move(from: string, to: string): Promise<void> {
    const src = this.path(from);
    const dst = this.path(to);
    if (!(await stat(src).catch(() => null))?.isFile()) throw new StorageNotFoundError(from);
    await mkdir(dirname(dst), { recursive: true });
    await rename(src, dst);
  }

  async *list(prefix: string, opts: { signal?: AbortSignal } = {}): AsyncIterable<StoredObject> {
    const walk = async function* (this: LocalStorageConnector, dir: string): AsyncGenerator<StoredObject> {
      const handle = await opendir(dir).catch(() => null);
      if (!handle) return;
      for await (const entry of handle) {
        opts.signal?.throwIfAborted();
        const full = join(dir, entry.name);
        const key = relative(this.root, full).split(sep).join('/');
        if (key === TMP_DIR) continue;
        if (entry.isDirectory()) yield* walk.call(this, full);
        else if (entry.isFile() && key.startsWith(prefix)) {
          const st = await stat(full);
          yield { key, size: st.size, lastModified: st.mtime };
        }
      }
    };
    yield* walk.call(this, this.root);
  }
}
