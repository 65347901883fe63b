import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, stat, truncate, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../../../core/config';
import { buildDataSource } from '../../../../core/db/data-source';
import { ColophonError } from '../../../../core/errors';
import type { StorageConnector } from '../../../../core/storage';
import {
  RenderCache, filePrefix, objectKey, sha1Hex, type CachedRendering, type RenderCacheConfig,
} from '../../../../plugins/iiif-image/cache';
import { RenderCacheEntry } from '../../../../plugins/iiif-image/entities/render-cache-entry.entity';
import { IiifRenderCache1764800000001 } from '../../../../plugins/iiif-image/migrations/1764800000001-iiif-render-cache';
import { S3StorageConnector } from '../../../../plugins/storage-s3/connectors/s3-storage-connector';
import { startS3Server, type S3TestServer } from '../../../helpers/s3-server';
import { specLogger } from '../../../helpers/test-app';
import { createTestDatabase, type TestDatabase } from '../../../helpers/test-db';

const FILE_A = '0b6f3f3e-4c1a-4f7e-9a59-7d1f5c2e8a01';
const FILE_B = '5d0c1a9b-2e77-4b0e-8f3c-1a2b3c4d5e6f';

/** The database of a run, with the cache table made by the migration. */
async function openDataSource(db: TestDatabase): Promise<DataSource> {
  const config = loadConfig({ env: {}, overrides: { dataDir: db.dataDir, database: { url: db.url }, log: { level: 'silent' } } });
  const ds = buildDataSource(config, { entities: [RenderCacheEntry], migrations: [IiifRenderCache1764800000001] });
  await ds.initialize();
  await ds.runMigrations();
  return ds;
}

/** A distinct small JPEG per seed, rendered by sharp (noise, so sizes and bytes differ). */
async function tile(seed: number, side = 48): Promise<Buffer> {
  return sharp({
    create: { width: side, height: side, channels: 3, background: { r: seed % 256, g: (seed * 7) % 256, b: (seed * 13) % 256 }, noise: { type: 'gaussian', mean: 120, sigma: 20 + (seed % 40) } },
  }).jpeg({ quality: 80 }).toBuffer();
}

/** A canonical key as the image route builds it: version (sha256) of the file included. */
const keyOf = (fileId: string, n: number, version = 'v1'): string => `3/${fileId}/${version}/0,0,${n * 64},${n * 64}/64,64/0/default.jpg`;

async function readBody(r: CachedRendering): Promise<Buffer> {
  if (Buffer.isBuffer(r.body)) return r.body;
  const chunks: Buffer[] = [];
  for await (const c of r.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** One object store under test: caches built on it share it. */
interface StoreFixture {
  /** A new cache instance on this store (its own memory), initialised. */
  open(extra?: Partial<RenderCacheConfig>, ds?: DataSource): Promise<RenderCache>;
  /** Object keys the store holds (cache layout), sorted. */
  objects(): Promise<string[]>;
  /** Remove one object behind the cache's back. */
  remove(key: string): Promise<void>;
  /** Cut one object to its first `bytes` bytes. */
  cut(key: string, bytes: number): Promise<void>;
  /** Write an object no row knows, dated `ageMs` ago where the store allows it. */
  plant(key: string, body: Buffer, ageMs: number): Promise<void>;
}

interface Backend {
  name: string;
  /** Dating planted objects is possible (a directory), not on S3 (the server stamps them). */
  canBackdate: boolean;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  store(ds: DataSource): StoreFixture;
}

function diskBackend(): Backend {
  const dirs: string[] = [];
  const walk = async (root: string, dir: string, out: string[]): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(root, p, out);
      else out.push(relative(root, p).split(sep).join('/'));
    }
  };
  return {
    name: 'disk',
    canBackdate: true,
    setUp: async () => undefined,
    tearDown: async () => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
    store(ds) {
      const dir = mkdtempSync(join(tmpdir(), 'colophon-render-cache-'));
      dirs.push(dir);
      const objects = join(dir, 'objects');
      const path = (key: string): string => join(objects, ...key.split('/'));
      return {
        open: async (extra = {}, other) => {
          const c = RenderCache.fromConfig({ backend: 'disk', dir, maxBytes: 64 * 1024 * 1024, ...extra, ds: other ?? ds, logger: specLogger });
          await c.init();
          return c;
        },
        objects: async () => {
          const out: string[] = [];
          await walk(objects, objects, out);
          return out.sort();
        },
        remove: async (key) => rmSync(path(key), { force: true }),
        cut: async (key, bytes) => truncate(path(key), bytes),
        plant: async (key, body, ageMs) => {
          await mkdir(dirname(path(key)), { recursive: true });
          await writeFile(path(key), body);
          const t = new Date(Date.now() - ageMs);
          await utimes(path(key), t, t);
        },
      };
    },
  };
}

function s3Backend(): Backend {
  let server: S3TestServer | undefined;
  let connector: StorageConnector | undefined;
  let n = 0;
  const conn = (): StorageConnector => {
    if (!connector) throw new Error('S3 server not started');
    return connector;
  };
  const readAll = async (s: Readable): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of s) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  return {
    name: 'storage (S3)',
    canBackdate: false,
    setUp: async () => {
      server = await startS3Server();
      connector = S3StorageConnector.fromConfig({
        id: 's3',
        endpoint: server.endpoint,
        region: server.region,
        bucket: server.bucket,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      });
      await connector.init?.();
    },
    tearDown: async () => {
      await connector?.destroy?.();
      await server?.close();
    },
    store(ds) {
      const prefix = `spec${++n}/iiif-cache/`;
      return {
        open: async (extra = {}, other) => {
          const c = RenderCache.fromConfig({ backend: 'storage', prefix, maxBytes: 64 * 1024 * 1024, ...extra, ds: other ?? ds, logger: specLogger, connector: conn() });
          await c.init();
          return c;
        },
        objects: async () => {
          const out: string[] = [];
          for await (const o of conn().list(prefix)) out.push(o.key.slice(prefix.length));
          return out.sort();
        },
        remove: async (key) => conn().delete(prefix + key),
        cut: async (key, bytes) => {
          const whole = await readAll(await conn().get(prefix + key));
          await conn().put(prefix + key, Readable.from([whole.subarray(0, bytes)], { objectMode: false }));
        },
        plant: async (key, body) => {
          await conn().put(prefix + key, Readable.from([body], { objectMode: false }));
        },
      };
    },
  };
}

for (const backend of [diskBackend(), s3Backend()]) {
  describe(`RenderCache: ${backend.name}`, function () {
    this.timeout(60_000);
    let db: TestDatabase;
    let ds: DataSource;
    const open: RenderCache[] = [];
    const rows = (c: RenderCache): Promise<RenderCacheEntry[]> =>
      ds.getRepository(RenderCacheEntry).find({ where: { storeId: c.storeId }, order: { createdAt: 'ASC' } });
    const track = (c: RenderCache): RenderCache => {
      open.push(c);
      return c;
    };

    before(async () => {
      db = await createTestDatabase();
      ds = await openDataSource(db);
      await backend.setUp();
    });
    afterEach(async () => {
      for (const c of open.splice(0)) await c.close();
    });
    after(async () => {
      await backend.tearDown();
      await ds?.destroy();
      await db?.drop();
    });

    it('answers a miss, then hits from memory, and from the store in a fresh instance', async () => {
      const store = backend.store(ds);
      const a = track(await store.open());
      const key = keyOf(FILE_A, 1);
      const body = await tile(1);
      expect(await a.get(key)).to.equal(null);
      expect(await a.put(key, FILE_A, body, 'image/jpeg')).to.equal(true);
      const hot = await a.get(key);
      expect(hot?.source).to.equal('memory');
      expect(hot?.mediaType).to.equal('image/jpeg');
      expect(hot?.size).to.equal(body.length);
      expect(hot?.etag).to.match(/^"[A-Za-z0-9_-]{27}"$/);
      expect(Buffer.compare(hot?.body as Buffer, body)).to.equal(0);
      expect(a.stats()).to.include({ hits: 1, misses: 1, puts: 1, entries: 1, bytes: body.length, memoryEntries: 1 });

      expect(await store.objects()).to.deep.equal([objectKey(FILE_A, sha1Hex(key))]);
      const [row] = await rows(a);
      expect(row).to.include({ cacheKey: key, fileId: FILE_A, size: body.length, mediaType: 'image/jpeg', etag: hot?.etag });

      const b = track(await store.open({ memoryBytes: 0 }));
      const cold = await b.get(key);
      expect(cold?.source).to.equal('store');
      expect(Buffer.compare(await readBody(cold as CachedRendering), body)).to.equal(0);
      expect(cold?.etag).to.equal(hot?.etag);
      expect(cold?.createdAt.getTime()).to.equal(hot?.createdAt.getTime());
      expect(b.stats()).to.include({ hits: 1, misses: 0, entries: 1, indexEntries: 1, memoryEntries: 0 });
      expect(await b.get(keyOf(FILE_A, 2))).to.equal(null);
    });

    it('a second instance on its own connection to the database finds what the first wrote, and the other way round', async () => {
      const store = backend.store(ds);
      const ds2 = await openDataSource(db);
      try {
        const a = track(await store.open());
        const b = track(await store.open({}, ds2));
        expect(b.storeId).to.equal(a.storeId);
        const k1 = keyOf(FILE_A, 1);
        const k2 = keyOf(FILE_B, 2);
        const t1 = await tile(11);
        const t2 = await tile(12);
        expect(await b.get(k1)).to.equal(null);
        await a.put(k1, FILE_A, t1, 'image/jpeg');
        const got1 = await b.get(k1);
        expect(got1?.source).to.equal('store');
        expect(Buffer.compare(await readBody(got1 as CachedRendering), t1)).to.equal(0);
        // b remembers it now: the second hit is from b's memory.
        expect((await b.get(k1))?.source).to.equal('memory');
        await b.put(k2, FILE_B, t2, 'image/png');
        const got2 = await a.get(k2);
        expect(got2?.mediaType).to.equal('image/png');
        expect(Buffer.compare(await readBody(got2 as CachedRendering), t2)).to.equal(0);
        expect(await a.count()).to.deep.equal({ entries: 2, bytes: t1.length + t2.length });
      } finally {
        for (const c of open.splice(0)) await c.close();
        await ds2.destroy();
      }
    });

    it('keeps the store under maxBytes, evicting the oldest entries first', async () => {
      const store = backend.store(ds);
      const bodies = await Promise.all(Array.from({ length: 24 }, (_, i) => tile(100 + i)));
      const maxBytes = bodies.slice(0, 8).reduce((n, b) => n + b.length, 0);
      // lowWater 1 and no slack: every put is followed by a pass that evicts just enough.
      const c = track(await store.open({ maxBytes, maxEntryBytes: maxBytes, lowWater: 1, evictSlackBytes: 0 }));
      const keys = bodies.map((_, i) => keyOf(FILE_A, i));
      for (const [i, b] of bodies.entries()) await c.put(keys[i] as string, i % 2 ? FILE_A : FILE_B, b, 'image/jpeg');
      await c.idle();

      // What must remain: the longest run of the newest entries that fits.
      let keep = 0;
      let sum = 0;
      for (let i = bodies.length - 1; i >= 0 && sum + (bodies[i] as Buffer).length <= maxBytes; i--) {
        sum += (bodies[i] as Buffer).length;
        keep++;
      }
      const expected = keys.slice(keys.length - keep);
      const left = await rows(c);
      expect(left.map((r) => r.cacheKey)).to.deep.equal(expected);
      const total = left.reduce((n, r) => n + r.size, 0);
      expect(total).to.be.at.most(maxBytes);
      expect(total).to.equal(sum);
      expect(c.stats()).to.include({ evictions: keys.length - keep, entries: keep, bytes: sum });
      expect(await store.objects()).to.deep.equal(
        left.map((r) => objectKey(r.fileId, r.keyHash)).sort(),
      );
      // Evicted entries are misses, also in the memory of the instance that wrote them.
      expect(await c.get(keys[0] as string)).to.equal(null);
      expect((await c.get(expected[0] as string))?.size).to.equal(bodies[keys.length - keep]?.length);
    });

    it('an eviction pass goes down to lowWater x maxBytes, and another instance enforces the shared bound', async () => {
      const store = backend.store(ds);
      const bodies = await Promise.all(Array.from({ length: 12 }, (_, i) => tile(300 + i)));
      const total = bodies.reduce((n, b) => n + b.length, 0);
      // Slack larger than everything: the writer never counts, so the store overshoots ...
      const writer = track(await store.open({ maxBytes: total * 4, evictSlackBytes: total * 10 }));
      for (const [i, b] of bodies.entries()) await writer.put(keyOf(FILE_A, i), FILE_A, b, 'image/jpeg');
      await writer.idle();
      expect((await rows(writer)).length).to.equal(bodies.length);
      // ... until an instance with a smaller bound enforces it.
      const maxBytes = Math.floor(total / 2);
      const other = track(await store.open({ maxBytes, maxEntryBytes: maxBytes, lowWater: 0.5 }));
      const evicted = await other.enforceBound();
      const left = await rows(other);
      const leftBytes = left.reduce((n, r) => n + r.size, 0);
      expect(leftBytes).to.be.at.most(maxBytes * 0.5);
      expect(evicted).to.equal(bodies.length - left.length);
      expect(left.map((r) => r.cacheKey)).to.deep.equal(bodies.map((_, i) => keyOf(FILE_A, i)).slice(bodies.length - left.length));
      expect(left.length).to.be.greaterThan(0);
    });

    it('invalidateFile removes the rows and objects of that file only, and stray objects of it', async () => {
      const store = backend.store(ds);
      const c = track(await store.open());
      for (let i = 0; i < 3; i++) await c.put(keyOf(FILE_A, i), FILE_A, await tile(200 + i), 'image/jpeg');
      const bKeys = [keyOf(FILE_B, 0), keyOf(FILE_B, 1)];
      for (const [i, k] of bKeys.entries()) await c.put(k, FILE_B, await tile(210 + i), 'image/jpeg');
      const stray = `${filePrefix(FILE_A)}${sha1Hex('never recorded')}`;
      await store.plant(stray, Buffer.from('left by a crash'), 0);

      expect(await c.invalidateFile(FILE_A)).to.equal(3);
      expect((await rows(c)).map((r) => r.fileId)).to.deep.equal([FILE_B, FILE_B]);
      const objects = await store.objects();
      expect(objects).to.have.length(2);
      for (const o of objects) expect(o.startsWith(filePrefix(FILE_B))).to.equal(true);
      for (let i = 0; i < 3; i++) expect(await c.get(keyOf(FILE_A, i))).to.equal(null);
      for (const k of bKeys) expect((await c.get(k))?.fileId).to.equal(FILE_B);
      expect(c.stats()).to.include({ invalidations: 1, entries: 2 });
      expect(await c.invalidateFile(FILE_A)).to.equal(0);
    });

    it('getOrRender renders once for 20 concurrent callers, then serves the cache', async () => {
      const store = backend.store(ds);
      const c = track(await store.open());
      const key = keyOf(FILE_A, 7);
      let renders = 0;
      const render = async (): Promise<{ body: Buffer; mediaType: string }> => {
        renders++;
        return { body: await tile(7, 96), mediaType: 'image/jpeg' };
      };
      const results = await Promise.all(Array.from({ length: 20 }, () => c.getOrRender(key, FILE_A, render)));
      expect(renders).to.equal(1);
      const first = results[0] as CachedRendering;
      expect(first.source).to.equal('render');
      for (const r of results) {
        expect(r.etag).to.equal(first.etag);
        expect(Buffer.compare(r.body as Buffer, first.body as Buffer)).to.equal(0);
      }
      expect(c.stats().coalesced).to.equal(19);
      // The rendering is stored in the background: the answer did not wait for it.
      await c.idle();
      expect(await rows(c)).to.have.length(1);
      expect((await c.getOrRender(key, FILE_A, render)).source).to.equal('memory');
      const fresh = track(await store.open({ memoryBytes: 0 }));
      const again = await Promise.all(Array.from({ length: 5 }, () => fresh.getOrRender(key, FILE_A, render)));
      expect(renders).to.equal(1);
      for (const r of again) expect(r.etag).to.equal(first.etag);
    });

    it('a failing render reaches every waiting caller and caches nothing', async () => {
      const store = backend.store(ds);
      const c = track(await store.open());
      const key = keyOf(FILE_A, 8);
      let renders = 0;
      const failing = async (): Promise<{ body: Buffer; mediaType: string }> => {
        renders++;
        await sharp(Buffer.from('not an image')).metadata();
        return { body: Buffer.alloc(0), mediaType: 'image/jpeg' };
      };
      const settled = await Promise.allSettled(Array.from({ length: 5 }, () => c.getOrRender(key, FILE_A, failing)));
      expect(renders).to.equal(1);
      for (const s of settled) expect(s.status).to.equal('rejected');
      expect(await rows(c)).to.have.length(0);
      expect(await store.objects()).to.have.length(0);
      const ok = await c.getOrRender(key, FILE_A, async () => ({ body: await tile(8), mediaType: 'image/jpeg' }));
      expect(ok.source).to.equal('render');
      await c.idle();
      expect(await rows(c)).to.have.length(1);
    });

    it('a missing object is a miss, and its row is deleted', async () => {
      const store = backend.store(ds);
      const a = track(await store.open({ memoryBytes: 0 }));
      const key = keyOf(FILE_A, 3);
      await a.put(key, FILE_A, await tile(3), 'image/jpeg');
      await store.remove(objectKey(FILE_A, sha1Hex(key)));
      // a knows the entry (its index), a fresh instance finds it in the database: both miss.
      const b = track(await store.open());
      expect(await b.get(key)).to.equal(null);
      expect(await rows(a)).to.have.length(0);
      expect(await a.get(key)).to.equal(null);
      expect(a.stats()).to.include({ hits: 0, misses: 1, errors: 0 });
    });

    it('a truncated object is a miss; its row and object are deleted', async () => {
      const store = backend.store(ds);
      const a = track(await store.open());
      const key = keyOf(FILE_A, 4);
      const body = await tile(4);
      await a.put(key, FILE_A, body, 'image/jpeg');
      await store.cut(objectKey(FILE_A, sha1Hex(key)), Math.floor(body.length / 2));
      const b = track(await store.open());
      expect(await b.get(key)).to.equal(null);
      expect(await rows(b)).to.have.length(0);
      expect(await store.objects()).to.have.length(0);
      // The same for a body that would be served as a stream (over bufferMaxBytes): checked by size first.
      await a.put(key, FILE_A, body, 'image/jpeg');
      await store.cut(objectKey(FILE_A, sha1Hex(key)), 10);
      const c = track(await store.open({ bufferMaxBytes: 16 }));
      expect(await c.get(key)).to.equal(null);
      expect(await rows(c)).to.have.length(0);
      expect(await store.objects()).to.have.length(0);
    });

    it('an instance whose entry was evicted or invalidated elsewhere answers a miss', async () => {
      const store = backend.store(ds);
      const a = track(await store.open({ memoryBytes: 0 }));
      const b = track(await store.open());
      const key = keyOf(FILE_B, 5);
      await a.put(key, FILE_B, await tile(5), 'image/jpeg');
      expect((await a.get(key))?.source).to.equal('store');
      expect(await b.invalidateFile(FILE_B)).to.equal(1);
      expect(await a.get(key)).to.equal(null);
      expect(a.stats().errors).to.equal(0);
    });

    it('a put racing invalidateFile of its file leaves neither row nor object', async () => {
      const store = backend.store(ds);
      const c = track(await store.open());
      const body = await tile(9);
      const puts = [0, 1, 2].map((i) => c.put(keyOf(FILE_A, 20 + i), FILE_A, body, 'image/jpeg'));
      const [stored] = await Promise.all([Promise.all(puts), c.invalidateFile(FILE_A)]);
      expect(stored).to.deep.equal([false, false, false]);
      expect(await rows(c)).to.have.length(0);
      expect(await store.objects()).to.have.length(0);
      expect(await c.get(keyOf(FILE_A, 20))).to.equal(null);
      // Afterwards the file caches again.
      expect(await c.put(keyOf(FILE_A, 20, 'v2'), FILE_A, body, 'image/jpeg')).to.equal(true);
    });

    it('reconcile removes objects no row knows and rows without an object, and keeps young ones', async () => {
      const store = backend.store(ds);
      const c = track(await store.open({ memoryBytes: 0 }));
      const good = keyOf(FILE_A, 30);
      const lost = keyOf(FILE_A, 31);
      await c.put(good, FILE_A, await tile(30), 'image/jpeg');
      await c.put(lost, FILE_B, await tile(31), 'image/jpeg');
      await store.remove(objectKey(FILE_B, sha1Hex(lost)));
      const orphan = objectKey(FILE_B, sha1Hex('orphan'));
      await store.plant(orphan, await tile(32), 3_600_000);
      // A young orphan could be a put under way: reconcile leaves it (and the row just made).
      const young = await c.reconcile({ graceMs: backend.canBackdate ? 600_000 : 3_600_000 });
      expect(young.rowsRemoved).to.equal(0);
      expect(young.objectsRemoved).to.equal(backend.canBackdate ? 1 : 0);
      const done = await c.reconcile({ graceMs: 0 });
      expect(done.rowsRemoved).to.equal(1);
      expect(done.objectsRemoved).to.equal(backend.canBackdate ? 0 : 1);
      expect((await rows(c)).map((r) => r.cacheKey)).to.deep.equal([good]);
      expect(await store.objects()).to.deep.equal([objectKey(FILE_A, sha1Hex(good))]);
      expect((await c.get(good))?.source).to.equal('store');
      expect(await c.reconcile({ graceMs: 0 })).to.deep.equal({ rowsRemoved: 0, objectsRemoved: 0 });
    });

    it('returns bodies over bufferMaxBytes as a stream, and each concurrent caller gets its own', async () => {
      const store = backend.store(ds);
      const a = track(await store.open());
      const key = keyOf(FILE_A, 40);
      const body = await tile(40, 128);
      await a.put(key, FILE_A, body, 'image/jpeg');
      const b = track(await store.open({ bufferMaxBytes: 1024 }));
      const results = await Promise.all([1, 2, 3].map(() => b.getOrRender(key, FILE_A, () => Promise.reject(new Error('must not render')))));
      for (const r of results) {
        expect(r.body).to.be.instanceOf(Readable);
        expect(Buffer.compare(await readBody(r), body)).to.equal(0);
      }
    });

    it('renders bodies over maxEntryBytes without caching them', async () => {
      const store = backend.store(ds);
      const c = track(await store.open({ maxEntryBytes: 1024 }));
      const big = await tile(50, 256);
      expect(big.length).to.be.greaterThan(1024);
      expect(await c.put(keyOf(FILE_A, 50), FILE_A, big, 'image/jpeg')).to.equal(false);
      const r = await c.getOrRender(keyOf(FILE_A, 51), FILE_A, async () => ({ body: big, mediaType: 'image/jpeg' }));
      expect(r.source).to.equal('render');
      expect(r.size).to.equal(big.length);
      expect(await rows(c)).to.have.length(0);
      expect(await store.objects()).to.have.length(0);
    });

    it('peek tells what an entry is without reading it; clear empties the store for every instance', async () => {
      const store = backend.store(ds);
      const a = track(await store.open());
      const b = track(await store.open({ memoryBytes: 0 }));
      const body = await tile(70);
      await a.put(keyOf(FILE_A, 70), FILE_A, body, 'image/webp');
      await a.put(keyOf(FILE_B, 71), FILE_B, await tile(71), 'image/jpeg');
      const seen = await b.peek(keyOf(FILE_A, 70));
      expect(seen).to.include({ key: keyOf(FILE_A, 70), fileId: FILE_A, size: body.length, mediaType: 'image/webp' });
      expect(seen).to.not.have.property('body');
      expect(await b.peek(keyOf(FILE_A, 99))).to.equal(null);
      expect((await b.get(keyOf(FILE_B, 71)))?.source).to.equal('store');

      expect(await a.clear()).to.equal(2);
      expect(await rows(a)).to.have.length(0);
      expect(await store.objects()).to.have.length(0);
      expect(await a.get(keyOf(FILE_A, 70))).to.equal(null);
      // b remembered the entry, but its object is gone: a miss.
      expect(await b.get(keyOf(FILE_B, 71))).to.equal(null);
      expect(a.stats()).to.include({ entries: 0, bytes: 0 });
      expect(await a.put(keyOf(FILE_A, 70), FILE_A, body, 'image/webp')).to.equal(true);
    });

    it('takes long and unusual keys, and refuses malformed file ids and media types', async () => {
      const store = backend.store(ds);
      const c = track(await store.open());
      const long = `3/${FILE_A}/${'é/%2F ?#'.repeat(200)}/default.jpg`;
      const body = await tile(60);
      await c.put(long, FILE_A, body, 'image/jpeg');
      const fresh = track(await store.open());
      expect((await fresh.get(long))?.size).to.equal(body.length);
      for (const bad of ['', '../x', 'a/b', '.hidden', 'x'.repeat(65)]) {
        const err = await c.put('k', bad, body, 'image/jpeg').then(() => null, (e: unknown) => e);
        expect(err, bad).to.be.instanceOf(ColophonError);
        expect((err as ColophonError).code).to.equal('iiif-image.cache.entry-invalid');
      }
      const err = await c.put('k', FILE_A, body, 'jpeg').then(() => null, (e: unknown) => e);
      expect((err as ColophonError).code).to.equal('iiif-image.cache.entry-invalid');
    });
  });
}

describe('RenderCache: disk stores and settings', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let ds: DataSource;
  const dirs: string[] = [];
  const newDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'colophon-render-cache-'));
    dirs.push(d);
    return d;
  };

  before(async () => {
    db = await createTestDatabase();
    ds = await openDataSource(db);
  });
  after(async () => {
    await ds?.destroy();
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('disk caches in different directories on one database keep their entries apart', async () => {
    const a = RenderCache.fromConfig({ backend: 'disk', dir: newDir(), maxBytes: 1 << 20, ds, logger: specLogger });
    const b = RenderCache.fromConfig({ backend: 'disk', dir: newDir(), maxBytes: 1 << 20, ds, logger: specLogger });
    await a.init();
    await b.init();
    try {
      expect(a.storeId).to.not.equal(b.storeId);
      const key = keyOf(FILE_A, 1);
      await a.put(key, FILE_A, await tile(1), 'image/jpeg');
      // b cannot see a's directory: a miss, and a's row is left alone.
      expect(await b.get(key)).to.equal(null);
      expect(await b.invalidateFile(FILE_A)).to.equal(0);
      expect(await ds.getRepository(RenderCacheEntry).countBy({ storeId: a.storeId })).to.equal(1);
      expect((await a.get(key))?.source).to.equal('memory');
      expect(await b.count()).to.deep.equal({ entries: 0, bytes: 0 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a directory keeps its store id across restarts, and its entries with it', async () => {
    const dir = newDir();
    const a = RenderCache.fromConfig({ backend: 'disk', dir, maxBytes: 1 << 20, ds, logger: specLogger });
    await a.init();
    const key = keyOf(FILE_B, 2);
    await a.put(key, FILE_B, await tile(2), 'image/jpeg');
    await a.close();
    expect((await readFile(join(dir, 'store-id'), 'utf8')).trim()).to.equal(a.storeId);
    const again = RenderCache.fromConfig({ backend: 'disk', dir, maxBytes: 1 << 20, ds, logger: specLogger });
    await again.init();
    try {
      expect(again.storeId).to.equal(a.storeId);
      expect(again.stats()).to.include({ entries: 1 });
      expect((await again.get(key))?.source).to.equal('store');
      expect((await stat(join(dir, 'objects', ...objectKey(FILE_B, sha1Hex(key)).split('/')))).isFile()).to.equal(true);
    } finally {
      await again.close();
    }
    const err = await a.get(key).then(() => null, (e: unknown) => e);
    expect((err as ColophonError).code).to.equal('iiif-image.cache.not-ready');
  });

  it('prepares its store on first use; a store that cannot be prepared serves misses and renders', async () => {
    const dir = newDir();
    const lazy = RenderCache.fromConfig({ backend: 'disk', dir: join(dir, 'cache'), maxBytes: 1 << 20, ds, logger: specLogger });
    const key = keyOf(FILE_A, 80);
    const body = await tile(80);
    expect(await lazy.put(key, FILE_A, body, 'image/jpeg')).to.equal(true);
    expect((await readFile(join(dir, 'cache', 'store-id'), 'utf8')).trim()).to.equal(lazy.storeId);
    await lazy.close();

    // A regular file where the directory should be: every preparation fails.
    const blocked = join(dir, 'blocked');
    await writeFile(blocked, 'not a directory');
    const broken = RenderCache.fromConfig({ backend: 'disk', dir: join(blocked, 'cache'), maxBytes: 1 << 20, ds, logger: specLogger });
    try {
      expect(await broken.get(key)).to.equal(null);
      let renders = 0;
      const out = await broken.getOrRender(key, FILE_A, async () => {
        renders++;
        return { body, mediaType: 'image/jpeg' };
      });
      expect(out.source).to.equal('render');
      expect(renders).to.equal(1);
      expect(Buffer.compare(out.body as Buffer, body)).to.equal(0);
      // Logged once: reads within the next seconds do not retry (nor log) on every request.
      expect(broken.stats().errors).to.equal(1);
      expect(broken.stats().misses).to.equal(2);
      const err = await broken.put(key, FILE_A, body, 'image/jpeg').then(() => null, (e: unknown) => e);
      expect((err as NodeJS.ErrnoException).code).to.equal('ENOTDIR');
    } finally {
      await broken.close();
    }
  });

  it('refuses unusable settings, naming them', () => {
    const connector = { id: 's3' } as StorageConnector;
    const cases: [string, RenderCacheConfig, boolean][] = [
      ['dir', { backend: 'disk', maxBytes: 1 << 20 }, false],
      ['connector', { backend: 'storage', maxBytes: 1 << 20 }, false],
      ['prefix', { backend: 'storage', prefix: '', maxBytes: 1 << 20 }, true],
      ['prefix', { backend: 'storage', prefix: '../up/', maxBytes: 1 << 20 }, true],
      ['maxBytes', { backend: 'disk', dir: '/tmp/x', maxBytes: 0 }, false],
      ['maxEntryBytes', { backend: 'disk', dir: '/tmp/x', maxBytes: 1000, maxEntryBytes: 2000 }, false],
      ['lowWater', { backend: 'disk', dir: '/tmp/x', maxBytes: 1000, lowWater: 0 }, false],
      ['backend', { backend: 'memory' as 'disk', maxBytes: 1000 }, false],
    ];
    for (const [name, config, withConnector] of cases) {
      let err: unknown;
      try {
        RenderCache.fromConfig({ ...config, ds, logger: specLogger, connector: withConnector ? connector : undefined });
      } catch (e) {
        err = e;
      }
      expect(err, name).to.be.instanceOf(ColophonError);
      expect((err as ColophonError).code, name).to.equal('iiif-image.cache.config-invalid');
      expect((err as Error).message, name).to.contain(name);
    }
  });

  it('refuses a DataSource without its entity', async () => {
    const config = loadConfig({ env: {}, overrides: { dataDir: db.dataDir, database: { url: db.url }, log: { level: 'silent' } } });
    const bare = buildDataSource(config, { entities: [], migrations: [] });
    await bare.initialize();
    let err: unknown;
    try {
      RenderCache.fromConfig({ backend: 'disk', dir: newDir(), maxBytes: 1 << 20, ds: bare, logger: specLogger });
    } catch (e) {
      err = e;
    } finally {
      await bare.destroy();
    }
    expect((err as ColophonError).code).to.equal('iiif-image.cache.config-invalid');
    expect((err as Error).message).to.contain('RenderCacheEntry');
  });

  it('the migration goes down and up again', async () => {
    const qr = ds.createQueryRunner();
    try {
      const m = new IiifRenderCache1764800000001();
      await m.down(qr);
      expect(await qr.hasTable('iiif_render_cache')).to.equal(false);
      await m.up(qr);
      const table = await qr.getTable('iiif_render_cache');
      expect(table?.primaryColumns.map((c) => c.name).sort()).to.deep.equal(['key_hash', 'store_id']);
      expect(table?.indices.map((i) => i.name).sort()).to.deep.equal(['idx_iiif_render_cache_age', 'idx_iiif_render_cache_file']);
    } finally {
      await qr.release();
    }
  });
});
