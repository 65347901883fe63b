import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { In, MoreThan, type DataSource, type Repository } from 'typeorm';
import type { StorageConnector } from '../../../core/storage';
import { RenderCacheEntry } from '../entities/render-cache-entry.entity';
import {
  FILE_ID_PATTERN, OBJECT_KEY_PATTERN, filePrefix, objectKey, sha1Hex, type CacheObjectStore,
} from './cache-object-store';
import { ConnectorCacheStore } from './connector-cache-store';
import { DiskCacheStore } from './disk-cache-store';
import { RenderCacheErrors } from './render-cache-errors';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Settings of a render cache (plain values; the plugin maps its `cache` config onto them). */
export interface RenderCacheConfig {
  /** disk: files under `dir` (one host, or a directory shared by all); storage: a connector (S3). */
  backend: 'disk' | 'storage';
  /** Directory of the disk backend. */
  dir?: string;
  /** Key prefix in the connector of the storage backend; must not be empty (default "iiif-cache/"). */
  prefix?: string;
  /** Bound on the bytes of the store's entries; the oldest go first. */
  maxBytes: number;
  /** Larger bodies are not cached (default maxBytes / 8). */
  maxEntryBytes?: number;
  /** Hot bodies kept in this process's memory, bytes (default 64 MiB; 0: none). */
  memoryBytes?: number;
  /** Larger bodies are not kept in memory (default 1 MiB). */
  memoryEntryMaxBytes?: number;
  /** Entries this process remembers without asking the database (default 100,000, ~30 MB). */
  indexMaxEntries?: number;
  /** Bodies up to this size come back as a Buffer, larger ones as a stream (default 4 MiB). */
  bufferMaxBytes?: number;
  /**
   * Bytes this process may add before it re-counts the store's total (default maxBytes / 50,
   * at most 64 MiB). The bound is checked in the background after puts, so the store may
   * briefly exceed maxBytes by about this much per instance writing to it.
   */
  evictSlackBytes?: number;
  /** An eviction pass brings the total down to this fraction of maxBytes (default 0.95). */
  lowWater?: number;
}

/** What a cache needs besides its settings. */
export interface RenderCacheDeps {
  ds: DataSource;
  logger: Logger;
  /** The connector of the storage backend (e.g. the S3 connector of the storage-s3 plugin). */
  connector?: StorageConnector;
}

/** Everything fromConfig takes: settings and dependencies in one object. */
export type RenderCacheOptions = RenderCacheConfig & RenderCacheDeps;

/** What is known of an entry without reading its body (peek). */
export interface CacheEntryInfo {
  key: string;
  fileId: string;
  mediaType: string;
  size: number;
  etag: string;
  createdAt: Date;
}

/** A cached (or just rendered) response. */
export interface CachedRendering {
  key: string;
  fileId: string;
  mediaType: string;
  size: number;
  /** Strong validator of the body, quoted, ready for the ETag header. */
  etag: string;
  createdAt: Date;
  /**
   * The body. A Buffer is shared with the cache and other callers: never modify it. A stream
   * (bodies over bufferMaxBytes read from the store) holds an open object: consume or destroy it.
   */
  body: Buffer | Readable;
  /** memory: this process's hot bodies; store: disk or S3; render: rendered for this call. */
  source: 'memory' | 'store' | 'render';
}

/** Counters since start, and the store's totals as last known. */
export interface RenderCacheStats {
  /** Entries and bytes of the whole store (all instances), as of the last count plus own changes since. */
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  /** getOrRender callers that shared another caller's render or read instead of doing their own. */
  coalesced: number;
  puts: number;
  evictions: number;
  invalidations: number;
  /** Store or database failures that were absorbed (a miss, an unsaved render). */
  errors: number;
  memoryEntries: number;
  memoryBytes: number;
  indexEntries: number;
}

/** What is known of an entry without its body. */
interface IndexEntry extends CacheEntryInfo {
  keyHash: string;
}

/** Puts of one file under way, and how often the file was invalidated meanwhile. */
interface FilePuts {
  running: number;
  generation: number;
}

const MAX_KEY_LENGTH = 2048;
const DB_BATCH = 500;
const DELETE_CONCURRENCY = 8;
const INIT_RETRY_MS = 10_000;

/**
 * The derivative cache of the IIIF Image plugin: rendered responses keyed by their canonical URI
 * path, in a directory or a storage connector (S3), bounded in bytes with the oldest entries
 * evicted first, shared by every instance that uses the same database and store.
 *
 * **Keys must carry the file's version.** The caller builds the key from the canonical request
 * and the current version of the file (its sha256, or the derivative's), e.g.
 * `3/{fileId}/{sha256}/0,0,512,512/512,/0/default.jpg`. A changed file then never hits an entry
 * of its old content, on any instance, without asking the database; invalidateFile() only
 * reclaims the space (and the memory of this process). The caller checks access and existence
 * of the file before asking the cache: the cache knows nothing of either.
 *
 * Warm path: an entry this process knows is served without a database query: from memory (hot
 * bodies, LRU, bounded) or by reading the object (a file, or one S3 GET). An entry it does not
 * know (written by another instance) costs one primary-key query, then is remembered. An object
 * found missing or of the wrong size is a miss, and its row is deleted.
 *
 * Eviction is FIFO by creation time (a hit writes nothing, which keeps hits cheap): after puts,
 * in the background, the store's total is counted and the oldest entries removed down to
 * lowWater × maxBytes. Rows go first, then objects; an object left behind by a crash or a failed
 * delete is removed by reconcile().
 */
export class RenderCache {
  private readonly ds: DataSource;
  private repository: Repository<RenderCacheEntry> | null = null;
  private readonly logger: Logger;
  /** Entries known to this process, least recently used first. */
  private readonly index = new Map<string, IndexEntry>();
  private readonly byFile = new Map<string, Set<string>>();
  /** Hot bodies, least recently used first (keys are a subset of the index's). */
  private readonly hot = new Map<string, Buffer>();
  private hotBytes = 0;
  /** Renders and reads under way, by key: concurrent callers share one. */
  private readonly inflight = new Map<string, Promise<CachedRendering>>();
  /** Writes of renderings under way (the answer does not wait for them). */
  private readonly writes = new Set<Promise<boolean>>();
  private readonly filePuts = new Map<string, FilePuts>();
  private ready = false;
  private initializing: Promise<void> | null = null;
  private closed = false;
  /** Bumped by clear(): puts under way undo themselves, like after invalidateFile(). */
  private clearGeneration = 0;
  /** When preparing the store last failed (0: it did not): reads retry at most every INIT_RETRY_MS. */
  private initFailedAt = 0;
  private lastCreated = 0;
  private knownBytes = 0;
  private knownEntries = 0;
  /** Bytes put by this process since the store's total was last counted. */
  private unsyncedBytes = 0;
  private evicting: Promise<void> | null = null;
  private evictAgain = false;
  private readonly counters = { hits: 0, misses: 0, coalesced: 0, puts: 0, evictions: 0, invalidations: 0, errors: 0 };

  private constructor(
    private readonly store: CacheObjectStore,
    private readonly limits: Required<Omit<RenderCacheConfig, 'backend' | 'dir' | 'prefix'>>,
    deps: RenderCacheDeps,
  ) {
    this.ds = deps.ds;
    this.logger = deps.logger;
  }

  /** Looked up on first use: the DataSource may be built before it is initialised. */
  private get repo(): Repository<RenderCacheEntry> {
    this.repository ??= this.ds.getRepository(RenderCacheEntry);
    return this.repository;
  }

  /**
   * Build a cache (no I/O: the store is prepared by init(), or on first use); throws
   * RenderCacheErrors.CONFIG_INVALID for unusable settings.
   */
  static fromConfig(options: RenderCacheOptions): RenderCache {
    const config = options;
    const deps = options;
    const invalid = (key: string, why: string): Error => RenderCacheErrors.CONFIG_INVALID(`render cache: ${key}: ${why}`);
    const positive = (key: string, v: number, min = 1): number => {
      if (!Number.isSafeInteger(v) || v < min) throw invalid(key, `must be an integer of at least ${min}`);
      return v;
    };
    const maxBytes = positive('maxBytes', config.maxBytes);
    const lowWater = config.lowWater ?? 0.95;
    if (!(lowWater > 0 && lowWater <= 1)) throw invalid('lowWater', 'must be a fraction above 0 and at most 1');
    const limits = {
      maxBytes,
      maxEntryBytes: positive('maxEntryBytes', config.maxEntryBytes ?? Math.max(1, Math.floor(maxBytes / 8))),
      memoryBytes: positive('memoryBytes', config.memoryBytes ?? 64 * MiB, 0),
      memoryEntryMaxBytes: positive('memoryEntryMaxBytes', config.memoryEntryMaxBytes ?? MiB, 0),
      indexMaxEntries: positive('indexMaxEntries', config.indexMaxEntries ?? 100_000),
      bufferMaxBytes: positive('bufferMaxBytes', config.bufferMaxBytes ?? 4 * MiB, 0),
      evictSlackBytes: positive('evictSlackBytes', config.evictSlackBytes ?? Math.min(64 * MiB, Math.floor(maxBytes / 50)), 0),
      lowWater,
    };
    if (limits.maxEntryBytes > maxBytes) throw invalid('maxEntryBytes', 'must not exceed maxBytes');
    if (deps.ds.isInitialized && !deps.ds.hasMetadata(RenderCacheEntry)) {
      throw invalid('ds', 'the DataSource lacks the RenderCacheEntry entity (register it and its migration with the plugin)');
    }
    let store: CacheObjectStore;
    if (config.backend === 'disk') {
      if (!config.dir) throw invalid('dir', 'required for the disk backend');
      store = new DiskCacheStore(config.dir);
    } else if (config.backend === 'storage') {
      if (!deps.connector) throw invalid('connector', 'a storage connector is required for the storage backend');
      let prefix = config.prefix ?? 'iiif-cache/';
      if (prefix && !prefix.endsWith('/')) prefix += '/';
      // The cache lists and deletes everything under its prefix: never the whole connector.
      if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(prefix) || prefix.split('/').some((s) => s === '.' || s === '..' || s === '.tmp')) {
        throw invalid('prefix', 'must be non-empty relative path segments (letters, digits, ". _ -"), e.g. "iiif-cache/"');
      }
      store = new ConnectorCacheStore(deps.connector, prefix);
    } else {
      throw invalid('backend', `"${String(config.backend)}" is neither "disk" nor "storage"`);
    }
    return new RenderCache(store, limits, deps);
  }

  /** The id under which this cache's entries are stored (shared by instances of the same store). */
  get storeId(): string {
    return this.store.id;
  }

  /** Prepare the store (directories, store id) and count what it holds; idempotent, also done on first use. */
  async init(): Promise<void> {
    if (this.closed) throw RenderCacheErrors.NOT_READY('render cache is closed');
    this.initializing ??= (async () => {
      await this.store.init();
      this.ready = true;
      this.initFailedAt = 0;
      // The totals are only a starting estimate: an eviction pass counts again.
      await this.count().catch((err: unknown) => this.absorb(err, 'render cache could not count its store'));
    })().catch((err: unknown) => {
      this.initializing = null; // let a later call try again (a volume mounted late, S3 back up)
      this.initFailedAt = Date.now();
      throw err;
    });
    await this.initializing;
  }

  /** Stop: wait for a background eviction to finish and forget what is in memory. */
  async close(): Promise<void> {
    this.closed = true;
    await this.initializing?.catch(() => undefined);
    await this.idle();
    this.ready = false;
    this.index.clear();
    this.byFile.clear();
    this.hot.clear();
    this.hotBytes = 0;
  }

  /** Resolves when no background write or eviction is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.writes.size) await Promise.all([...this.writes]);
    while (this.evicting) await this.evicting;
  }

  /** The cached response for `key`, or null. Store failures are logged and answer null. */
  async get(key: string, opts: { signal?: AbortSignal } = {}): Promise<CachedRendering | null> {
    if (!this.ready && !(await this.readyForReads())) {
      this.counters.misses++;
      return null;
    }
    const warm = this.fromMemory(key);
    if (warm) return warm;
    const entry = await this.find(key);
    if (!entry) {
      this.counters.misses++;
      return null;
    }
    let body: Buffer | Readable | null;
    try {
      body = await this.store.read(objectKey(entry.fileId, entry.keyHash), entry.size, this.limits.bufferMaxBytes, opts.signal);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      // The store is failing (S3 down, I/O error): not a reason to drop the entry.
      this.absorb(err, 'render cache read failed', key);
      this.counters.misses++;
      return null;
    }
    if (!body) {
      // Evicted or invalidated by another instance, or a damaged file: forget it everywhere.
      this.logger.debug({ key }, 'render cache object missing or damaged; dropping the entry');
      await this.deleteEntries([entry]).catch((err: unknown) => this.absorb(err, 'render cache cleanup failed', key));
      this.counters.misses++;
      return null;
    }
    this.remember(entry);
    if (Buffer.isBuffer(body)) this.keepHot(key, body);
    this.counters.hits++;
    return rendering(entry, body, 'store');
  }

  /**
   * Cache `body` under `key` (which must carry the file's version, see the class) for `fileId`.
   * Resolves false when it was not cached: too large, or the file was invalidated meanwhile.
   */
  async put(key: string, fileId: string, body: Buffer, mediaType: string): Promise<boolean> {
    await this.whenReady();
    checkKey(key);
    checkFileId(fileId);
    checkMediaType(mediaType);
    if (body.length > this.limits.maxEntryBytes) return false;
    return this.write(this.describe(key, fileId, body, mediaType), body);
  }

  /**
   * The cached response for `key`, or `render()`'s, which is then cached. Concurrent calls for
   * one key in this process render (or read) once and share the result; a render's failure
   * reaches every caller waiting on it and caches nothing. A failure to save the rendering is
   * logged, not thrown: the response is still good.
   */
  async getOrRender(
    key: string,
    fileId: string,
    render: () => Promise<{ body: Buffer; mediaType: string }>,
  ): Promise<CachedRendering> {
    if (this.closed) this.assertReady();
    const warm = this.fromMemory(key);
    if (warm) return warm;
    const pending = this.inflight.get(key);
    if (pending) {
      this.counters.coalesced++;
      const shared = await pending;
      // A stream can be read once: a caller sharing a large stored body reads its own.
      if (Buffer.isBuffer(shared.body)) return shared;
      return this.getOrRender(key, fileId, render);
    }
    checkKey(key);
    checkFileId(fileId);
    const flight = this.renderOnce(key, fileId, render);
    this.inflight.set(key, flight);
    try {
      return await flight;
    } finally {
      if (this.inflight.get(key) === flight) this.inflight.delete(key);
    }
  }

  private async renderOnce(
    key: string,
    fileId: string,
    render: () => Promise<{ body: Buffer; mediaType: string }>,
  ): Promise<CachedRendering> {
    const hit = await this.get(key);
    if (hit) return hit;
    const out = await render();
    checkMediaType(out.mediaType);
    const entry = this.describe(key, fileId, out.body, out.mediaType);
    // get() answered, so the store is ready, unless it could not be prepared (logged there).
    if (this.ready && out.body.length <= this.limits.maxEntryBytes) {
      // The answer does not wait for the store: the write (object, then row) goes on in the
      // background, and idle()/close() wait for it.
      const w = this.write(entry, out.body).catch((err: unknown) => {
        this.absorb(err, 'render cache could not save a rendering', key);
        return false;
      });
      this.writes.add(w);
      void w.finally(() => this.writes.delete(w));
    }
    return rendering(entry, out.body, 'render');
  }

  /**
   * Drop every entry of a file in this store (rows and objects, and objects no row knows) and
   * from this process's memory; call it when the file changes or is deleted. Other instances
   * forget their in-memory copies only as they age out, which is harmless because keys carry
   * the file's version. Resolves the number of entries dropped.
   */
  async invalidateFile(fileId: string): Promise<number> {
    await this.whenReady();
    checkFileId(fileId);
    // Puts of this file under way undo themselves when they finish (see write()).
    const puts = this.filePuts.get(fileId);
    if (puts) puts.generation++;
    for (const key of [...(this.byFile.get(fileId) ?? [])]) this.forget(key);
    const rows = await this.repo.find({ select: { keyHash: true, size: true }, where: { storeId: this.store.id, fileId } });
    await this.repo.delete({ storeId: this.store.id, fileId });
    await this.store.deleteUnder(filePrefix(fileId));
    this.knownEntries = Math.max(0, this.knownEntries - rows.length);
    this.knownBytes = Math.max(0, this.knownBytes - rows.reduce((n, r) => n + r.size, 0));
    this.counters.invalidations++;
    return rows.length;
  }

  /**
   * Bring the store under maxBytes now (puts schedule this in the background): count the store,
   * and if it is over the bound remove the oldest entries down to lowWater × maxBytes.
   * Resolves the number of entries evicted.
   */
  async enforceBound(): Promise<number> {
    await this.whenReady();
    this.unsyncedBytes = 0;
    const { bytes } = await this.count();
    if (bytes <= this.limits.maxBytes) return 0;
    let excess = bytes - Math.floor(this.limits.maxBytes * this.limits.lowWater);
    let evicted = 0;
    while (excess > 0) {
      const oldest = await this.repo.find({
        select: { keyHash: true, cacheKey: true, fileId: true, size: true },
        where: { storeId: this.store.id },
        order: { createdAt: 'ASC', keyHash: 'ASC' },
        take: DB_BATCH,
      });
      if (oldest.length === 0) break;
      const victims: { key: string; keyHash: string; fileId: string; size: number }[] = [];
      for (const r of oldest) {
        if (excess <= 0) break;
        victims.push({ key: r.cacheKey, keyHash: r.keyHash, fileId: r.fileId, size: r.size });
        excess -= r.size;
      }
      await this.deleteEntries(victims);
      evicted += victims.length;
    }
    this.counters.evictions += evicted;
    if (evicted) this.logger.debug({ evicted, store: this.store.id }, 'render cache evicted the oldest entries');
    return evicted;
  }

  /**
   * Repair the store after crashes and failed deletes: delete rows whose object is missing or of
   * another size, and objects no row knows. Things younger than `graceMs` (default 10 min) are
   * left alone, as a put under way writes its object before its row. Holds the list of objects
   * in memory (about 100 bytes each). Meant for a maintenance job, not the request path.
   */
  async reconcile(opts: { graceMs?: number; signal?: AbortSignal } = {}): Promise<{ rowsRemoved: number; objectsRemoved: number }> {
    await this.whenReady();
    const started = Date.now();
    const cutoff = started - (opts.graceMs ?? 10 * 60_000);
    const objects = new Map<string, number>();
    const young = new Set<string>();
    for await (const o of this.store.list(opts.signal)) {
      if (o.lastModified && o.lastModified.getTime() > cutoff) young.add(o.key);
      else objects.set(o.key, o.size);
    }
    let rowsRemoved = 0;
    let after = '';
    for (;;) {
      opts.signal?.throwIfAborted();
      const page = await this.repo.find({
        where: { storeId: this.store.id, keyHash: MoreThan(after) },
        order: { keyHash: 'ASC' },
        take: DB_BATCH,
      });
      if (page.length === 0) break;
      after = page[page.length - 1]?.keyHash ?? after;
      const broken: IndexEntry[] = [];
      for (const r of page) {
        const ok = objectKey(r.fileId, r.keyHash);
        const size = objects.get(ok);
        objects.delete(ok);
        if (young.has(ok) || size === r.size) continue;
        if (size === undefined && r.createdAt.getTime() > cutoff) continue;
        broken.push(toIndexEntry(r));
      }
      await this.deleteEntries(broken);
      rowsRemoved += broken.length;
    }
    let objectsRemoved = 0;
    const orphans = [...objects.keys()].filter((k) => OBJECT_KEY_PATTERN.test(k));
    for (let i = 0; i < orphans.length; i += DELETE_CONCURRENCY) {
      opts.signal?.throwIfAborted();
      await Promise.all(orphans.slice(i, i + DELETE_CONCURRENCY).map((k) => this.store.delete(k)));
      objectsRemoved += Math.min(DELETE_CONCURRENCY, orphans.length - i);
    }
    if (rowsRemoved || objectsRemoved) this.logger.info({ rowsRemoved, objectsRemoved, store: this.store.id }, 'render cache reconciled');
    await this.count();
    return { rowsRemoved, objectsRemoved };
  }

  /** Counters since start and the store's totals as last known (no I/O: fit for metrics). */
  stats(): RenderCacheStats {
    return {
      entries: this.knownEntries,
      bytes: this.knownBytes,
      ...this.counters,
      memoryEntries: this.hot.size,
      memoryBytes: this.hotBytes,
      indexEntries: this.index.size,
    };
  }

  /**
   * What is known of an entry, without reading its body (HEAD requests): from memory, else one
   * database query. The object may have gone since; only get() checks it. null when unknown.
   */
  async peek(key: string): Promise<CacheEntryInfo | null> {
    if (!this.ready && !(await this.readyForReads())) return null;
    const e = await this.find(key);
    return e ? { key: e.key, fileId: e.fileId, mediaType: e.mediaType, size: e.size, etag: e.etag, createdAt: e.createdAt } : null;
  }

  /**
   * Empty the store: every entry (rows and objects, also objects no row knows) of every instance
   * sharing it, and this process's memory. Resolves the number of entries removed. Other
   * instances may serve hot bodies from their memory until these age out.
   */
  async clear(): Promise<number> {
    await this.whenReady();
    this.clearGeneration++;
    this.index.clear();
    this.byFile.clear();
    this.hot.clear();
    this.hotBytes = 0;
    const { entries } = await this.count();
    await this.repo.delete({ storeId: this.store.id });
    await this.store.deleteAll();
    this.knownEntries = 0;
    this.knownBytes = 0;
    this.unsyncedBytes = 0;
    this.counters.invalidations++;
    return entries;
  }

  /** Count the store's entries and bytes in the database (every instance's). */
  async count(): Promise<{ entries: number; bytes: number }> {
    const raw = await this.repo
      .createQueryBuilder('e')
      .select('COUNT(*)', 'entries')
      .addSelect('COALESCE(SUM(e.size), 0)', 'bytes')
      .where('e.store_id = :store', { store: this.store.id })
      .getRawOne<{ entries: number | string; bytes: number | string }>();
    this.knownEntries = Number(raw?.entries ?? 0);
    this.knownBytes = Number(raw?.bytes ?? 0);
    return { entries: this.knownEntries, bytes: this.knownBytes };
  }

  // -- internals ------------------------------------------------------------------------------

  private assertReady(): void {
    if (!this.ready || this.closed) throw RenderCacheErrors.NOT_READY(this.closed ? 'render cache is closed' : 'render cache: call init() first');
  }

  /** Prepare the store on first use; throws when it cannot be, or after close(). */
  private async whenReady(): Promise<void> {
    if (!this.ready) await this.init();
    this.assertReady();
  }

  /**
   * Reads answer a miss rather than fail when the store cannot be prepared: serving goes on
   * without the cache (and the failure is logged) instead of every image answering 500.
   */
  private async readyForReads(): Promise<boolean> {
    if (this.closed) this.assertReady();
    // Not on every request: a broken volume would otherwise cost a failed mkdir and a log line each.
    if (this.initFailedAt && Date.now() - this.initFailedAt < INIT_RETRY_MS) return false;
    try {
      await this.init();
      return true;
    } catch (err) {
      this.absorb(err, 'render cache store could not be prepared; serving without it');
      return false;
    }
  }

  /** The entry of `key`: this process's index, else one primary-key query (then remembered on a hit). */
  private async find(key: string): Promise<IndexEntry | null> {
    const known = this.index.get(key);
    if (known) return known;
    checkKey(key);
    try {
      return await this.lookup(key);
    } catch (err) {
      this.absorb(err, 'render cache lookup failed', key);
      return null;
    }
  }

  /** A hit on a hot body: no I/O at all. */
  private fromMemory(key: string): CachedRendering | null {
    const body = this.hot.get(key);
    const entry = body && this.index.get(key);
    if (!body || !entry) return null;
    this.index.delete(key);
    this.index.set(key, entry);
    this.hot.delete(key);
    this.hot.set(key, body);
    this.counters.hits++;
    return rendering(entry, body, 'memory');
  }

  private async lookup(key: string): Promise<IndexEntry | null> {
    const row = await this.repo.findOne({ where: { storeId: this.store.id, keyHash: sha1Hex(key) } });
    return row && row.cacheKey === key ? toIndexEntry(row) : null;
  }

  /** Metadata of a body about to be cached; creation times are strictly increasing per process. */
  private describe(key: string, fileId: string, body: Buffer, mediaType: string): IndexEntry {
    // Strictly increasing, so entries put one after another by this process are evicted in that
    // order even within one millisecond (the column keeps milliseconds).
    const t = Math.max(Date.now(), this.lastCreated + 1);
    this.lastCreated = t;
    return {
      key,
      keyHash: sha1Hex(key),
      fileId,
      size: body.length,
      mediaType,
      etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
      createdAt: new Date(t),
    };
  }

  /** Object first, then row: a crash in between leaves an object without a row (reconcile), never a row without an object. */
  private async write(entry: IndexEntry, body: Buffer): Promise<boolean> {
    let puts = this.filePuts.get(entry.fileId);
    if (!puts) {
      puts = { running: 0, generation: 0 };
      this.filePuts.set(entry.fileId, puts);
    }
    puts.running++;
    const generation = puts.generation;
    const cleared = this.clearGeneration;
    try {
      const ok = objectKey(entry.fileId, entry.keyHash);
      await this.store.write(ok, body, entry.mediaType);
      try {
        await this.repo.upsert({
          storeId: this.store.id,
          keyHash: entry.keyHash,
          cacheKey: entry.key,
          fileId: entry.fileId,
          size: entry.size,
          mediaType: entry.mediaType,
          etag: entry.etag,
          createdAt: entry.createdAt,
        }, { conflictPaths: ['storeId', 'keyHash'], skipUpdateIfNoValuesChanged: false });
      } catch (err) {
        await this.store.delete(ok).catch(() => undefined);
        throw err;
      }
      if (puts.generation !== generation || this.clearGeneration !== cleared) {
        // The file was invalidated while this was being written: the body may be of its old
        // content, and invalidateFile() may have run before the row existed.
        await this.deleteEntries([entry]);
        return false;
      }
      this.remember(entry);
      this.keepHot(entry.key, body);
      this.counters.puts++;
      this.knownEntries++;
      this.knownBytes += entry.size;
      this.unsyncedBytes += entry.size;
      if (this.unsyncedBytes >= this.limits.evictSlackBytes || this.knownBytes > this.limits.maxBytes) this.scheduleEviction();
      return true;
    } finally {
      puts.running--;
      if (puts.running === 0) this.filePuts.delete(entry.fileId);
    }
  }

  /** Run enforceBound() in the background, once at a time, again if asked meanwhile. */
  private scheduleEviction(): void {
    if (this.closed) return;
    if (this.evicting) {
      this.evictAgain = true;
      return;
    }
    const run = async (): Promise<void> => {
      do {
        this.evictAgain = false;
        try {
          await this.enforceBound();
        } catch (err) {
          this.absorb(err, 'render cache eviction failed');
        }
      } while (this.evictAgain && !this.closed);
    };
    this.evicting = run().finally(() => {
      this.evicting = null;
      if (this.evictAgain) this.scheduleEviction();
    });
  }

  /** Delete entries: from memory, their rows, then their objects (a failed object delete leaves an orphan for reconcile()). */
  private async deleteEntries(entries: readonly { key: string; keyHash: string; fileId: string; size: number }[]): Promise<void> {
    if (entries.length === 0) return;
    for (const e of entries) this.forget(e.key);
    for (let i = 0; i < entries.length; i += DB_BATCH) {
      const hashes = entries.slice(i, i + DB_BATCH).map((e) => e.keyHash);
      await this.repo.delete({ storeId: this.store.id, keyHash: In(hashes) });
    }
    this.knownEntries = Math.max(0, this.knownEntries - entries.length);
    this.knownBytes = Math.max(0, this.knownBytes - entries.reduce((n, e) => n + e.size, 0));
    for (let i = 0; i < entries.length; i += DELETE_CONCURRENCY) {
      await Promise.all(entries.slice(i, i + DELETE_CONCURRENCY).map(async (e) => {
        try {
          await this.store.delete(objectKey(e.fileId, e.keyHash));
        } catch (err) {
          this.absorb(err, 'render cache could not delete an object (reconcile() will)', e.key);
        }
      }));
    }
  }

  private remember(entry: IndexEntry): void {
    this.index.delete(entry.key);
    this.index.set(entry.key, entry);
    let keys = this.byFile.get(entry.fileId);
    if (!keys) {
      keys = new Set();
      this.byFile.set(entry.fileId, keys);
    }
    keys.add(entry.key);
    while (this.index.size > this.limits.indexMaxEntries) {
      const oldest = this.index.keys().next();
      if (oldest.done) break;
      this.forget(oldest.value);
    }
  }

  private forget(key: string): void {
    const entry = this.index.get(key);
    if (entry) {
      this.index.delete(key);
      const keys = this.byFile.get(entry.fileId);
      keys?.delete(key);
      if (keys?.size === 0) this.byFile.delete(entry.fileId);
    }
    const body = this.hot.get(key);
    if (body) {
      this.hot.delete(key);
      this.hotBytes -= body.length;
    }
  }

  private keepHot(key: string, body: Buffer): void {
    if (body.length > this.limits.memoryEntryMaxBytes || body.length > this.limits.memoryBytes || !this.index.has(key)) return;
    const old = this.hot.get(key);
    if (old) {
      this.hot.delete(key);
      this.hotBytes -= old.length;
    }
    this.hot.set(key, body);
    this.hotBytes += body.length;
    for (const [k, b] of this.hot) {
      if (this.hotBytes <= this.limits.memoryBytes) break;
      this.hot.delete(k);
      this.hotBytes -= b.length;
    }
  }

  private absorb(err: unknown, msg: string, key?: string): void {
    this.counters.errors++;
    this.logger.warn({ err, key, store: this.store.id }, msg);
  }
}

function toIndexEntry(row: RenderCacheEntry): IndexEntry {
  return {
    key: row.cacheKey,
    keyHash: row.keyHash,
    fileId: row.fileId,
    size: row.size,
    mediaType: row.mediaType,
    etag: row.etag,
    createdAt: row.createdAt,
  };
}

function rendering(entry: IndexEntry, body: Buffer | Readable, source: CachedRendering['source']): CachedRendering {
  return {
    key: entry.key,
    fileId: entry.fileId,
    mediaType: entry.mediaType,
    size: entry.size,
    etag: entry.etag,
    createdAt: entry.createdAt,
    body,
    source,
  };
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw RenderCacheErrors.ENTRY_INVALID(`render cache key must be 1 to ${MAX_KEY_LENGTH} characters`);
  }
}

function checkFileId(fileId: string): void {
  if (typeof fileId !== 'string' || !FILE_ID_PATTERN.test(fileId)) {
    throw RenderCacheErrors.ENTRY_INVALID(`render cache file id ${JSON.stringify(String(fileId).slice(0, 80))} must be 1 to 64 of A-Z a-z 0-9 . _ - (not starting with . _ -)`);
  }
}

function checkMediaType(mediaType: string): void {
  if (typeof mediaType !== 'string' || !/^[\w.+-]+\/[\w.+-]+(;.*)?$/.test(mediaType) || mediaType.length > 127) {
    throw RenderCacheErrors.ENTRY_INVALID(`render cache media type ${JSON.stringify(String(mediaType).slice(0, 80))} is malformed`);
  }
}
