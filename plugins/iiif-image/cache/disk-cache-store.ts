import { randomUUID } from 'node:crypto';
import { open, mkdir, opendir, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { OBJECT_KEY_PATTERN, type CacheObjectInfo, type CacheObjectStore } from './cache-object-store';

const STORE_ID_FILE = 'store-id';
/** Temporary files older than this at start are leftovers of a crash (a live write takes ms). */
const STALE_TMP_MS = 60 * 60 * 1000;

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
}

/** Missing file or directory: the object is not there. */
const isMissing = (err: unknown): boolean => ['ENOENT', 'ENOTDIR', 'EISDIR'].includes(errCode(err) ?? '');

/**
 * Render cache bodies as plain files under `<dir>/objects`, written to `<dir>/tmp` and renamed
 * into place (same file system, so the rename is atomic).
 *
 * The store id is kept in `<dir>/store-id`, made at the first start: it follows the directory,
 * so a persistent volume keeps its entries across restarts and host renames, and a directory
 * shared by several hosts (NFS) is one store for all of them.
 */
export class DiskCacheStore implements CacheObjectStore {
  private storeId = '';
  private readonly objects: string;
  private readonly tmp: string;

  constructor(readonly root: string) {
    this.root = resolve(root);
    this.objects = join(this.root, 'objects');
    this.tmp = join(this.root, 'tmp');
  }

  get id(): string {
    return this.storeId;
  }

  async init(): Promise<void> {
    await mkdir(this.objects, { recursive: true });
    await mkdir(this.tmp, { recursive: true });
    this.storeId = await this.readOrCreateId();
    const now = Date.now();
    for (const name of await readdir(this.tmp)) {
      const p = join(this.tmp, name);
      const st = await stat(p).catch(() => null);
      if (st && now - st.mtimeMs > STALE_TMP_MS) await rm(p, { force: true, recursive: true });
    }
  }

  private async readOrCreateId(): Promise<string> {
    const file = join(this.root, STORE_ID_FILE);
    const fresh = `disk:${randomUUID()}`;
    try {
      await writeFile(file, `${fresh}\n`, { flag: 'wx' });
      return fresh;
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw err;
    }
    const id = (await readFile(file, 'utf8')).trim();
    if (!/^[\x21-\x7e]{1,64}$/.test(id)) throw new Error(`${file}: not a render cache store id (${JSON.stringify(id.slice(0, 80))})`);
    return id;
  }

  /** The object's file (keys are made by the cache, never by a client). */
  path(key: string): string {
    return join(this.objects, ...key.split('/'));
  }

  async write(key: string, body: Buffer): Promise<void> {
    const target = this.path(key);
    const part = join(this.tmp, `${randomUUID()}.part`);
    await writeFile(part, body, { flag: 'wx' });
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await rename(part, target);
          break;
        } catch (err) {
          // The file's directory does not exist yet, or an eviction or invalidation has just
          // removed it: make it and try again.
          if (errCode(err) !== 'ENOENT' || attempt >= 3) throw err;
          await mkdir(dirname(target), { recursive: true });
        }
      }
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
  }

  async read(key: string, size: number, bufferMax: number, signal?: AbortSignal): Promise<Buffer | Readable | null> {
    const p = this.path(key);
    if (size <= bufferMax) return this.readSized(p, size, signal);
    let fh;
    try {
      fh = await open(p, 'r');
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size !== size) {
        await fh.close();
        return null;
      }
    } catch (err) {
      await fh.close();
      throw err;
    }
    // The open descriptor keeps the bytes readable even if the file is unlinked meanwhile.
    return fh.createReadStream({ signal });
  }

  /**
   * Read a file whose size is known into one buffer: open, one read (of one byte more, to tell
   * a longer file), close; fewer trips through the thread pool than readFile's stat and chunks.
   */
  private async readSized(p: string, size: number, signal?: AbortSignal): Promise<Buffer | null> {
    let fh;
    try {
      fh = await open(p, 'r');
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    try {
      const buf = Buffer.allocUnsafe(size + 1);
      let got = 0;
      while (got <= size) {
        signal?.throwIfAborted();
        const { bytesRead } = await fh.read(buf, got, size + 1 - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === size ? buf.subarray(0, size) : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    } finally {
      await fh.close();
    }
  }

  async delete(key: string): Promise<void> {
    const p = this.path(key);
    await rm(p, { force: true });
    // Drop the file's directory once it is empty, so deleted files leave no directories behind
    // (fails harmlessly while other entries remain; a put racing this retries its rename).
    await rmdir(dirname(p)).catch(() => undefined);
  }

  async deleteUnder(prefix: string): Promise<void> {
    await this.removeTree(this.path(prefix.replace(/\/+$/, '')));
  }

  async deleteAll(): Promise<void> {
    // Shard by shard: the objects directory itself stays (another instance may be writing).
    for (const name of await readdir(this.objects).catch(() => [])) await this.removeTree(join(this.objects, name));
  }

  /**
   * Move a directory out of the tree in one step, then delete it: removing it in place races
   * puts renaming files into it (the final rmdir fails, not empty). A put that comes after the
   * move makes the directory anew.
   */
  private async removeTree(dir: string): Promise<void> {
    const away = join(this.tmp, `${randomUUID()}.del`);
    try {
      await rename(dir, away);
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    await rm(away, { recursive: true, force: true });
  }

  async *list(signal?: AbortSignal): AsyncIterable<CacheObjectInfo> {
    const objects = this.objects;
    const walk = async function* (dir: string): AsyncGenerator<CacheObjectInfo> {
      const handle = await opendir(dir).catch(() => null);
      if (!handle) return;
      for await (const entry of handle) {
        signal?.throwIfAborted();
        const full = join(dir, entry.name);
        if (entry.isDirectory()) {
          yield* walk(full);
          continue;
        }
        const key = relative(objects, full).split(sep).join('/');
        if (!entry.isFile() || !OBJECT_KEY_PATTERN.test(key)) continue;
        const st = await stat(full).catch(() => null);
        if (st) yield { key, size: st.size, lastModified: st.mtime };
      }
    };
    yield* walk(objects);
  }
}
