import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants as zc, gzip } from 'node:zlib';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { IiifDocument } from '../entities/iiif-document.entity';

const gz = promisify(gzip);
const br = promisify(brotliCompress);

/**
 * A built document as served: its JSON as UTF-8 bytes and its compressed forms, each made once.
 * Bytes, not the JSON string: a string body is encoded again on every response (for a 1 MB
 * manifest that was most of a warm request's time), and the string is not kept beside them.
 */
export interface ServedDocument {
  key: string;
  etag: string;
  body: Buffer;
  builtAt: Date;
  gzip?: Buffer;
  br?: Buffer;
}

export interface DocumentSpec {
  key: string;
  kind: 'manifest' | 'collection' | 'title-collection' | 'top';
  titleId: string | null;
  /** Build the document from the database (only when no current copy exists). */
  build: () => Promise<object>;
}

/** Kinds that list titles: any title change may alter them. */
const LISTS = ['collection', 'top'];

/**
 * Built IIIF documents, kept in the database (shared by instances) and the most used ones in
 * memory. A request checks the stored ETag (one indexed read) and serves the memory copy when
 * it is current; documents are removed when their sources change, so nothing is rebuilt
 * unless something it was built from has changed.
 */
export class DocumentStore {
  private readonly memory = new Map<string, ServedDocument>();
  private readonly building = new Map<string, Promise<ServedDocument>>();
  /** Counters for specs and benches. */
  readonly stats = { builds: 0, storeHits: 0, memoryHits: 0 };

  constructor(
    private readonly ds: DataSource,
    /** Settings the documents depend on; a change of them makes every stored document stale. */
    private readonly buildOf: () => string,
    private readonly memoryDocuments: number,
  ) {}

  /** The current document: from memory, from the database, or built now (once, however many ask). */
  async get(spec: DocumentSpec): Promise<ServedDocument> {
    const rows = (await this.ds.query('SELECT etag, build FROM iiif_document WHERE `key` = ?', [spec.key])) as { etag: string; build: string }[];
    const row = rows[0];
    const build = this.buildOf();
    if (row && row.build === build) {
      const mem = this.memory.get(spec.key);
      if (mem && mem.etag === row.etag) {
        this.stats.memoryHits++;
        this.touch(mem);
        return mem;
      }
      const stored = await this.ds.getRepository(IiifDocument).findOneBy({ key: spec.key });
      if (stored && stored.build === build) {
        this.stats.storeHits++;
        return this.remember({ key: spec.key, etag: stored.etag, body: Buffer.from(stored.json, 'utf8'), builtAt: stored.builtAt });
      }
    }
    const pending = this.building.get(spec.key);
    if (pending) return pending;
    const p = this.make(spec);
    this.building.set(spec.key, p);
    try {
      return await p;
    } finally {
      this.building.delete(spec.key);
    }
  }

  private async make(spec: DocumentSpec): Promise<ServedDocument> {
    // A change committed while building must not leave the stale result behind: note where the
    // change log stood and drop the row again if the log moved on for this document's sources.
    const before = await this.lastSeq();
    const json = JSON.stringify(await spec.build());
    this.stats.builds++;
    const body = Buffer.from(json, 'utf8');
    const doc: ServedDocument = { key: spec.key, etag: `"${createHash('sha1').update(body).digest('base64url')}"`, body, builtAt: new Date() };
    const repo = this.ds.getRepository(IiifDocument);
    // An upsert, not save(): another instance may store the same key between save()'s SELECT and
    // its INSERT (a duplicate key error); both copies are built from the same committed state.
    await repo.upsert({ key: spec.key, kind: spec.kind, titleId: spec.titleId, build: this.buildOf(), etag: doc.etag, json, builtAt: doc.builtAt }, ['key']);
    if (await this.changedSince(before, spec)) await repo.delete({ key: spec.key });
    else this.remember(doc);
    return doc;
  }

  private async lastSeq(): Promise<number> {
    const rows = (await this.ds.query('SELECT MAX(seq) AS seq FROM change_event')) as { seq: number | string | null }[];
    return Number(rows[0]?.seq ?? 0);
  }

  private async changedSince(seq: number, spec: DocumentSpec): Promise<boolean> {
    const scope = spec.titleId && !LISTS.includes(spec.kind) ? 'title_id = ?' : 'title_id IS NOT NULL';
    const params: unknown[] = [seq];
    if (spec.titleId && !LISTS.includes(spec.kind)) params.push(spec.titleId);
    const rows = (await this.ds.query(
      `SELECT seq FROM change_event WHERE seq > ? AND (${scope} OR object_type IN ('access-rights-profile', 'collection')) LIMIT 1`,
      params,
    )) as unknown[];
    return rows.length > 0;
  }

  /** Remove the documents built from these titles, and every list of titles (in the change's transaction). */
  async invalidateTitles(manager: EntityManager, titleIds: string[]): Promise<void> {
    const repo = manager.getRepository(IiifDocument);
    for (let i = 0; i < titleIds.length; i += 500) await repo.delete({ titleId: In(titleIds.slice(i, i + 500)) });
    await repo.delete({ kind: In(LISTS) });
  }

  /** Remove everything (a profile or the collection tree changed). */
  async invalidateAll(): Promise<void> {
    await this.ds.getRepository(IiifDocument).clear();
    this.memory.clear();
  }

  /** The gzip or brotli body, made once per document version. */
  async compressed(doc: ServedDocument, encoding: 'gzip' | 'br'): Promise<Buffer> {
    if (encoding === 'gzip') return (doc.gzip ??= await gz(doc.body, { level: 6 }));
    return (doc.br ??= await br(doc.body, { params: { [zc.BROTLI_PARAM_QUALITY]: 5, [zc.BROTLI_PARAM_SIZE_HINT]: doc.body.length } }));
  }

  private remember(doc: ServedDocument): ServedDocument {
    if (this.memoryDocuments <= 0) return doc;
    this.memory.set(doc.key, doc);
    while (this.memory.size > this.memoryDocuments) {
      const oldest = this.memory.keys().next().value;
      if (oldest === undefined) break;
      this.memory.delete(oldest);
    }
    return doc;
  }

  private touch(doc: ServedDocument): void {
    this.memory.delete(doc.key);
    this.memory.set(doc.key, doc);
  }
}
