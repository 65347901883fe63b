import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import { Representation } from '../../../core/db/entities/representation.entity';
import { ColophonError } from '../../../core/errors';
import type { CoreServices, JobResult, JobRunContext } from '../../../core/plugin/types';
import type { StorageConnector } from '../../../core/storage';
import { InventoryErrors } from '../../inventory/errors';
import { withLocalCopy } from '../../inventory/services/ingest-service';
import type { IiifImageConfig } from '../config';
import { IiifDerivative } from '../entities/iiif-derivative.entity';
import { makePyramid } from '../render/make-pyramid';

export const DERIVATIVE_JOB = 'iiif-image.derivatives';

/** Source types the pyramid builder reads (sharp, plus JPEG 2000 through opj_decompress). */
export const PYRAMID_SOURCE_TYPES = new Set(['image/jpeg', 'image/png', 'image/tiff', 'image/jp2', 'image/jpx', 'image/j2c', 'image/webp', 'image/gif']);

/** Storage key of a file's pyramid: beside the inventory's own keys, versioned by content. */
export const derivativeKey = (representationId: string, fileId: string, sha256: string): string =>
  `derivatives/${representationId}/${fileId}-${sha256.slice(0, 16)}.tif`;

/** What the job needs of a file. */
interface PendingFile {
  id: string;
  representationId: string;
  storageKey: string;
  mimeType: string;
  sha256: string;
  connectorId: string;
}

/**
 * Makes a tiled pyramidal TIFF of every image file, in the background (`iiif-image.derivatives`,
 * also started after each ingest), and finds a local path to read one from: the connector's own
 * file, or a bounded local mirror of pyramids held remotely (S3).
 */
export class DerivativeService {
  private retry: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly mirrorDir: string;
  private readonly tmpDir: string;
  /** Downloads under way, so concurrent requests for one pyramid fetch it once. */
  private readonly fetching = new Map<string, Promise<string>>();

  constructor(
    private readonly core: CoreServices,
    private readonly config: IiifImageConfig,
    /** Called when a file's derivative changed or went away (drops rendered responses). */
    private readonly onChanged: (fileId: string) => Promise<void>,
  ) {
    this.mirrorDir = join(core.config.dataDir, 'iiif', 'pyramids');
    this.tmpDir = join(core.config.dataDir, 'iiif', 'tmp');
  }

  /** Start the job now, in the background; when a run is under way, try again shortly. */
  kick(attempt = 0): void {
    if (this.closed) return;
    this.core.scheduler.runNow(DERIVATIVE_JOB).then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof ColophonError && err.status === 409 && attempt < 40 && !this.closed) {
          this.retry = setTimeout(() => this.kick(attempt + 1), 500);
          this.retry.unref();
        } else if (!(err instanceof ColophonError && err.status === 404)) {
          this.core.logger.warn({ err }, 'IIIF derivative job could not start');
        }
      },
    );
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
  }

  /** Image files whose pyramid is missing or was made from other content. */
  async pending(limit: number): Promise<PendingFile[]> {
    const types = [...PYRAMID_SOURCE_TYPES];
    const rows = (await this.core.ds.query(
      `SELECT f.id AS id, f.representation_id AS representationId, f.storage_key AS storageKey, f.mime_type AS mimeType,
              f.sha256 AS sha256, r.storage_connector_id AS connectorId
         FROM file f JOIN representation r ON r.id = f.representation_id
         LEFT JOIN iiif_derivative d ON d.file_id = f.id
        WHERE f.mime_type IN (${types.map(() => '?').join(',')}) AND r.remote = ? AND r.storage_connector_id IS NOT NULL
          AND (d.file_id IS NULL OR d.source_sha256 <> f.sha256)
        ORDER BY f.created_at, f.id LIMIT ${Math.max(1, Math.floor(limit))}`,
      [...types, 0],
    )) as PendingFile[];
    return rows;
  }

  /** The job: convert pending files (bounded per run), then drop derivatives of files that are gone. */
  async run(job: JobRunContext): Promise<JobResult> {
    const counts = { ready: 0, failed: 0, unsupported: 0, removed: 0 };
    let done = 0;
    const cap = this.config.derivativeBatch;
    const tried = new Set<string>();
    while (done < cap && !job.signal.aborted) {
      const batch = (await this.pending(Math.min(10, cap - done) + tried.size)).filter((f) => !tried.has(f.id));
      if (!batch.length) break;
      for (const f of batch) {
        if (job.signal.aborted || done >= cap) break;
        tried.add(f.id);
        const status = await this.convert(f, job.signal);
        counts[status]++;
        done++;
        await job.progress(Math.min(0.99, done / cap), `${done} converted`);
      }
    }
    counts.removed = await this.removeOrphans();
    return { message: `pyramids: ${counts.ready} made, ${counts.failed} failed, ${counts.unsupported} refused, ${counts.removed} orphans removed` };
  }

  /** Make one file's pyramid now and record the outcome. */
  async convert(f: PendingFile, signal?: AbortSignal): Promise<'ready' | 'failed' | 'unsupported'> {
    const repo = this.core.ds.getRepository(IiifDerivative);
    const source = this.core.storage.get(f.connectorId);
    const targetId = this.config.derivativeStorage ?? f.connectorId;
    const target = this.core.storage.get(targetId);
    const previous = await repo.findOneBy({ fileId: f.id });
    const row: IiifDerivative = repo.create({
      fileId: f.id,
      sourceSha256: f.sha256,
      connectorId: null,
      storageKey: null,
      width: null,
      height: null,
      tileSize: null,
      levels: null,
      size: null,
      error: null,
      updatedAt: new Date(),
    });
    try {
      if (!source || !target) throw new Error(`storage connector ${source ? targetId : f.connectorId} is not enabled`);
      await mkdir(this.tmpDir, { recursive: true });
      const out = join(this.tmpDir, `pyramid-${randomUUID()}.tif`);
      try {
        const info = await withLocalCopy(source, f.storageKey, this.tmpDir, (path) =>
          makePyramid({ path, mimeType: f.mimeType }, out, {
            tileSize: this.config.tileSize,
            quality: this.config.jpegQuality,
            maxInputPixels: this.config.maxInputPixels,
            signal,
          }),
        );
        const key = derivativeKey(f.representationId, f.id, f.sha256);
        const { size } = await stat(out);
        await target.put(key, createReadStream(out), { signal, contentType: 'image/tiff', size });
        Object.assign(row, { status: 'ready', connectorId: targetId, storageKey: key, width: info.width, height: info.height, tileSize: info.tileSize, levels: info.levels, size });
      } finally {
        await rm(out, { force: true });
      }
    } catch (err) {
      const tooBig = err instanceof Error && 'status' in err && (err as { status: unknown }).status === 413;
      row.status = tooBig ? 'unsupported' : 'failed';
      row.error = (err instanceof Error ? err.message : String(err)).slice(0, 2000);
      this.core.logger.warn({ fileId: f.id, err }, 'IIIF pyramid not made');
    }
    await repo.save(row);
    if (previous?.storageKey && previous.connectorId && previous.storageKey !== row.storageKey) {
      await this.removeObject(previous.connectorId, previous.storageKey);
    }
    await this.onChanged(f.id);
    return row.status;
  }

  /** Derivatives whose file no longer exists: remove their object and row. */
  async removeOrphans(): Promise<number> {
    const rows = (await this.core.ds.query(
      'SELECT d.file_id AS fileId, d.connector_id AS connectorId, d.storage_key AS storageKey FROM iiif_derivative d LEFT JOIN file f ON f.id = d.file_id WHERE f.id IS NULL',
    )) as { fileId: string; connectorId: string | null; storageKey: string | null }[];
    for (const r of rows) await this.remove(r.fileId);
    return rows.length;
  }

  /** Remove a file's derivative (its file was deleted). */
  async remove(fileId: string): Promise<void> {
    const repo = this.core.ds.getRepository(IiifDerivative);
    const d = await repo.findOneBy({ fileId });
    if (!d) return;
    await repo.delete({ fileId });
    if (d.connectorId && d.storageKey) await this.removeObject(d.connectorId, d.storageKey);
    await rm(this.mirrorPath(d), { force: true });
    await this.onChanged(fileId);
  }

  private async removeObject(connectorId: string, key: string): Promise<void> {
    try {
      await this.core.storage.get(connectorId)?.delete(key);
    } catch (err) {
      this.core.logger.warn({ err, connectorId, key }, 'IIIF pyramid object left behind');
    }
  }

  private mirrorPath(d: Pick<IiifDerivative, 'fileId' | 'sourceSha256'>): string {
    return join(this.mirrorDir, d.fileId.slice(0, 2), `${d.fileId}-${d.sourceSha256.slice(0, 16)}.tif`);
  }

  /**
   * A local path of a ready pyramid: the connector's own file (storage-local), else a mirror
   * copy fetched once from the connector (S3), kept within pyramidMirrorBytes.
   */
  async localPyramidOf(d: Pick<IiifDerivative, 'fileId' | 'sourceSha256' | 'connectorId' | 'storageKey'>): Promise<string> {
    if (!d.connectorId || !d.storageKey) throw new Error(`derivative of ${d.fileId} has no object`);
    const connector = this.core.storage.get(d.connectorId);
    if (!connector) throw new Error(`storage connector ${d.connectorId} is not enabled`);
    return this.localCopy(connector, d.storageKey, this.mirrorPath(d));
  }

  /** The derivative's state, for staff. */
  async describe(fileId: string): Promise<Record<string, unknown>> {
    const file = await this.core.ds.getRepository(DigitalFile).findOneBy({ id: fileId });
    if (!file) throw InventoryErrors.FILE_NOT_FOUND(`No file ${fileId}`);
    const d = await this.core.ds.getRepository(IiifDerivative).findOneBy({ fileId });
    const supported = PYRAMID_SOURCE_TYPES.has(file.mimeType);
    const status = !supported ? 'not-applicable' : !d || d.sourceSha256 !== file.sha256 ? 'pending' : d.status;
    return {
      fileId,
      status,
      mimeType: file.mimeType,
      width: d?.width ?? null,
      height: d?.height ?? null,
      tileSize: d?.tileSize ?? null,
      levels: d?.levels ?? null,
      size: d?.size ?? null,
      error: d?.error ?? null,
      updatedAt: d?.updatedAt ?? null,
    };
  }

  /** Make a file's pyramid again now (staff), and answer its state. */
  async rebuild(fileId: string): Promise<Record<string, unknown>> {
    const file = await this.core.ds.getRepository(DigitalFile).findOneBy({ id: fileId });
    if (!file) throw InventoryErrors.FILE_NOT_FOUND(`No file ${fileId}`);
    if (!PYRAMID_SOURCE_TYPES.has(file.mimeType)) throw InventoryErrors.TYPE_NOT_ALLOWED(`A ${file.mimeType} file has no IIIF pyramid`);
    const src = await this.fileSource(file);
    if (!src) throw InventoryErrors.STORAGE_UNKNOWN('The file is not held by an enabled storage connector');
    await this.convert({ id: file.id, representationId: file.representationId, storageKey: file.storageKey, mimeType: file.mimeType, sha256: file.sha256, connectorId: src.connector.id });
    return this.describe(fileId);
  }

  /** A local path of an original file (until its pyramid exists). */
  async localOriginal(connector: StorageConnector, key: string, fileId: string, sha256: string): Promise<string> {
    return this.localCopy(connector, key, join(this.mirrorDir, fileId.slice(0, 2), `${fileId}-${sha256.slice(0, 16)}.orig`));
  }

  private async localCopy(connector: StorageConnector, key: string, path: string): Promise<string> {
    const own = connector.localPath?.(key);
    if (own) return own;
    const existing = this.fetching.get(path);
    if (existing) return existing;
    const p = (async () => {
      try {
        const now = new Date();
        await utimes(path, now, now);
        return path;
      } catch {
        await mkdir(join(path, '..'), { recursive: true });
        const tmp = `${path}.${randomUUID()}.part`;
        try {
          await pipeline(await connector.get(key), createWriteStream(tmp));
          await rename(tmp, path);
        } finally {
          await rm(tmp, { force: true });
        }
        void this.trimMirror();
        return path;
      }
    })();
    this.fetching.set(path, p);
    try {
      return await p;
    } finally {
      this.fetching.delete(path);
    }
  }

  /** Keep the mirror within its bound: remove the least recently used copies. */
  private async trimMirror(): Promise<void> {
    try {
      const files: { path: string; size: number; at: number }[] = [];
      for (const dir of await readdir(this.mirrorDir)) {
        for (const name of await readdir(join(this.mirrorDir, dir))) {
          if (name.endsWith('.part')) continue;
          const path = join(this.mirrorDir, dir, name);
          const s = await stat(path);
          files.push({ path, size: s.size, at: s.mtimeMs });
        }
      }
      let total = files.reduce((n, f) => n + f.size, 0);
      files.sort((a, b) => a.at - b.at);
      for (const f of files) {
        if (total <= this.config.pyramidMirrorBytes) break;
        await rm(f.path, { force: true });
        total -= f.size;
      }
    } catch (err) {
      this.core.logger.warn({ err }, 'IIIF pyramid mirror not trimmed');
    }
  }

  /** The representation's connector of a file. */
  async fileSource(file: DigitalFile): Promise<{ connector: StorageConnector; rep: Representation } | null> {
    const rep = await this.core.ds.getRepository(Representation).findOneBy({ id: file.representationId });
    const connector = rep?.storageConnectorId ? this.core.storage.get(rep.storageConnectorId) : undefined;
    return rep && connector ? { connector, rep } : null;
  }
}
