import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import sharp from 'sharp';
import { z } from 'zod';
import { isMysql } from '../../../core/db/data-source';
import { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import { Representation } from '../../../core/db/entities/representation.entity';
import type { CoreServices } from '../../../core/plugin/types';
import type { StorageConnector } from '../../../core/storage';
import { StorageKeyError } from '../../../core/storage';
import type { InventoryConfig } from '../config';
import { InventoryErrors } from '../errors';
import { MediaError, probeMedia, sniffType, SNIFF_BYTES, type MediaInfo } from '../media';
import { loadFile, loadRepresentation } from './representation-service';
import { connectorOf, StorageKeys } from './stored-objects';

const sha256Hex = z.string().regex(/^[0-9a-fA-F]{64}$/, '64 hexadecimal digits').transform((s) => s.toLowerCase());

/** Metadata fields that may accompany an upload (multipart fields, or the JSON of a registration). */
export const fileFields = z.strictObject({
  label: z.string().max(500).optional(),
  section: z.string().max(500).optional(),
  /** The checksum the depositor computed; the upload is refused when the content does not match. */
  sha256: sha256Hex.optional(),
});

/** Register a file already in the upload area of a storage connector (Alma's two-step S3 flow). */
export const fileRegistration = fileFields.extend({
  storageKey: z.string().min(1).max(1024),
});

/** Counts, hashes and keeps the first bytes of a stream passing through. */
class Fingerprint extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  private headParts: Buffer[] = [];
  private headSize = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.headSize < SNIFF_BYTES) {
      this.headParts.push(chunk.subarray(0, SNIFF_BYTES - this.headSize));
      this.headSize += Math.min(chunk.length, SNIFF_BYTES - this.headSize);
    }
    cb(null, chunk);
  }

  head(): Buffer {
    return Buffer.concat(this.headParts);
  }
}

interface Arrived {
  connector: StorageConnector;
  stagingKey: string;
  size: number;
  sha256: string;
  head: Buffer;
  originalName: string | null;
  fields: z.infer<typeof fileFields>;
}

/** Types whose technical metadata is read from a local copy of the file. */
const PROBED = /^(image|audio|video)\/|^application\/pdf$/;

/**
 * Ingest of files into representations. Content streams into the connector under a staging key
 * while it is hashed and its first bytes kept; then it is checked (size, declared checksum,
 * type sniffed from content, technical metadata), moved to its final key and recorded in one
 * transaction. Any failure, and a client that goes away mid-upload, leaves no object and no row.
 */
export class IngestService {
  constructor(
    private readonly core: CoreServices,
    private readonly config: InventoryConfig,
    /** Called after a file has been committed (starts the thumbnail job). */
    private readonly onIngested: () => void,
  ) {}

  /** Stream a multipart/form-data upload (file in field `file`) into a representation. */
  async upload(representationId: string, req: Readable & { headers: IncomingHttpHeaders }, actor?: string): Promise<DigitalFile> {
    const rep = await this.localRepresentation(representationId);
    const connector = connectorOf(this.core.storage, rep.storageConnectorId ?? this.config.defaultStorage);
    const arrived = await this.receive(req, connector);
    return this.commit(rep, arrived, actor);
  }

  /** Register an object already in the upload area: it is read once (checksum, type), then moved into place. */
  async register(representationId: string, input: z.infer<typeof fileRegistration>, actor?: string): Promise<DigitalFile> {
    const rep = await this.localRepresentation(representationId);
    const connector = connectorOf(this.core.storage, rep.storageConnectorId ?? this.config.defaultStorage);
    const prefix = this.config.uploadPrefix;
    if (!input.storageKey.startsWith(prefix) || input.storageKey.startsWith(`${prefix}.staging/`)) {
      throw InventoryErrors.UPLOAD_AREA(`Files are registered from the upload area: the key must start with "${prefix}"`);
    }
    let head;
    try {
      head = await connector.head(input.storageKey);
    } catch (err) {
      if (err instanceof StorageKeyError) throw InventoryErrors.STORAGE_KEY(err.message);
      throw err;
    }
    if (!head) throw InventoryErrors.FILE_NOT_FOUND(`Nothing at "${input.storageKey}" in storage connector ${connector.id}`);
    const fp = new Fingerprint();
    // Read it once through the fingerprint, discarding the bytes.
    await pipeline(await connector.get(input.storageKey), fp, new Writable({ write: (_c, _e, cb) => cb() }));
    const stagingKey = StorageKeys.staging(prefix, randomUUID());
    await connector.move(input.storageKey, stagingKey);
    const { storageKey, ...fields } = input;
    const name = storageKey.slice(prefix.length).split('/').pop() ?? null;
    return this.commit(rep, { connector, stagingKey, size: fp.size, sha256: fp.hash.digest('hex'), head: fp.head(), originalName: name, fields }, actor, storageKey);
  }

  /** Replace the thumbnail of a file or representation with a staff-supplied image. */
  async staffThumbnail(target: { fileId: string } | { representationId: string }, image: Buffer, actor?: string): Promise<void> {
    let data: Buffer;
    try {
      data = await sharp(image, { limitInputPixels: 100_000_000 })
        .rotate()
        .resize(this.config.thumbnailSize, this.config.thumbnailSize, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 85 })
        .toBuffer();
    } catch (err) {
      throw InventoryErrors.MEDIA_CORRUPT(`The thumbnail is not an image sharp can read: ${(err as Error).message}`);
    }
    await this.core.unitOfWork(async (uow) => {
      const m = uow.manager;
      if ('fileId' in target) {
        const f = await loadFile(m, target.fileId);
        const rep = await loadRepresentation(m, f.representationId);
        const key = StorageKeys.fileThumbnail(rep.id, f.id);
        await this.connectorFor(rep).put(key, bufferStream(data), { contentType: 'image/jpeg', size: data.length });
        await m.update(DigitalFile, { id: f.id }, { thumbnailKey: key, thumbnailStatus: 'staff' });
        await uow.record('file', f.id, 'update', { titleId: rep.titleId, payload: { thumbnail: 'staff' } });
      } else {
        const rep = await loadRepresentation(m, target.representationId);
        if (rep.remote) throw InventoryErrors.REMOTE_REPRESENTATION('A remote representation takes its thumbnail URL from the remote repository');
        const key = StorageKeys.representationThumbnail(rep.id);
        await this.connectorFor(rep).put(key, bufferStream(data), { contentType: 'image/jpeg', size: data.length });
        await m.update(Representation, { id: rep.id }, { thumbnailKey: key });
        await uow.record('representation', rep.id, 'update', { titleId: rep.titleId, payload: { thumbnail: 'staff' } });
      }
    }, { actor });
  }

  /** Remove a staff thumbnail: a file's goes back to a generated one. */
  async dropStaffThumbnail(target: { fileId: string } | { representationId: string }, actor?: string): Promise<void> {
    await this.core.unitOfWork(async (uow) => {
      const m = uow.manager;
      if ('fileId' in target) {
        const f = await loadFile(m, target.fileId);
        const rep = await loadRepresentation(m, f.representationId);
        if (f.thumbnailStatus !== 'staff') throw InventoryErrors.THUMBNAIL_NOT_FOUND('This file has no staff thumbnail');
        await m.update(DigitalFile, { id: f.id }, { thumbnailStatus: 'pending' });
        await uow.record('file', f.id, 'update', { titleId: rep.titleId, payload: { thumbnail: 'pending' } });
      } else {
        const rep = await loadRepresentation(m, target.representationId);
        if (!rep.thumbnailKey) throw InventoryErrors.THUMBNAIL_NOT_FOUND('This representation has no staff thumbnail');
        const key = rep.thumbnailKey;
        await m.update(Representation, { id: rep.id }, { thumbnailKey: null });
        await uow.record('representation', rep.id, 'update', { titleId: rep.titleId, payload: { thumbnail: null } });
        uow.afterCommit(() => this.connectorFor(rep).delete(key));
      }
    }, { actor });
    this.onIngested();
  }

  private connectorFor(rep: Representation): StorageConnector {
    return connectorOf(this.core.storage, rep.storageConnectorId ?? this.config.defaultStorage);
  }

  private async localRepresentation(id: string): Promise<Representation> {
    const rep = await loadRepresentation(this.core.ds.manager, id);
    if (rep.remote) throw InventoryErrors.REMOTE_REPRESENTATION(`Representation ${id} is remote: its content stays in ${rep.remoteRepository ?? 'the remote repository'}`);
    return rep;
  }

  /** Parse the multipart body, streaming the one file into the connector under a staging key. */
  private receive(req: Readable & { headers: IncomingHttpHeaders }, connector: StorageConnector): Promise<Arrived> {
    const type = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data\s*;/i.test(type)) {
      return Promise.reject(InventoryErrors.UPLOAD_INVALID(`Expected multipart/form-data with the file in field "file", got ${type || 'no Content-Type'}`));
    }
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { files: 1, fileSize: this.config.maxUploadBytes, fields: 20, fieldSize: 64 * 1024, parts: 40 },
      });
    } catch (err) {
      return Promise.reject(InventoryErrors.UPLOAD_INVALID(`Malformed multipart request: ${(err as Error).message}`));
    }
    const abort = new AbortController();
    const stagingKey = StorageKeys.staging(this.config.uploadPrefix, randomUUID());
    const fields: Record<string, string> = {};
    let problem: Error | null = null;
    let stored: Promise<{ fp: Fingerprint; name: string | null }> | null = null;
    let fileStream: Readable | null = null;
    const fail = (err: Error): void => {
      problem ??= err;
      abort.abort(err);
      // Keep reading (and discarding) the rest, or backpressure would stall the parser forever.
      if (fileStream) {
        fileStream.unpipe();
        fileStream.resume();
      }
    };
    const onClientGone = (): void => {
      if (!req.readableEnded) fail(InventoryErrors.UPLOAD_INVALID('The client closed the connection before the upload ended'));
    };
    req.once('aborted', onClientGone);
    req.once('close', onClientGone);

    return new Promise<Arrived>((resolve, reject) => {
      const finish = async (): Promise<void> => {
        req.off('aborted', onClientGone);
        req.off('close', onClientGone);
        const result = stored ? await stored.catch((err: unknown) => err as Error) : null;
        if (problem || result instanceof Error || !result) {
          await connector.delete(stagingKey).catch(() => undefined);
          if (problem) throw problem;
          if (result instanceof Error) throw result;
          throw InventoryErrors.UPLOAD_INVALID('No file: send it in the multipart field "file"');
        }
        const parsed = fileFields.safeParse(fields);
        if (!parsed.success) {
          await connector.delete(stagingKey).catch(() => undefined);
          throw parsed.error;
        }
        resolve({
          connector, stagingKey, size: result.fp.size, sha256: result.fp.hash.digest('hex'), head: result.fp.head(),
          originalName: result.name, fields: parsed.data,
        });
      };
      bb.on('field', (name, value, info) => {
        if (info.valueTruncated) fail(InventoryErrors.UPLOAD_INVALID(`Field "${name}" is too long`));
        else fields[name] = value;
      });
      bb.on('file', (name, stream, info) => {
        if (name !== 'file' || stored) {
          stream.resume();
          fail(InventoryErrors.UPLOAD_INVALID(stored ? 'Send one file per request' : `Unexpected file field "${name}"; the file goes in field "file"`));
          return;
        }
        stream.on('limit', () => fail(InventoryErrors.UPLOAD_TOO_LARGE(`The file exceeds the upload limit of ${this.config.maxUploadBytes} bytes`)));
        const fp = new Fingerprint();
        fileStream = stream;
        const body = stream.pipe(fp);
        stream.on('error', (err: Error) => fp.destroy(err));
        const name_ = info.filename ? safeName(info.filename) : null;
        stored = connector.put(stagingKey, body, { signal: abort.signal, contentType: 'application/octet-stream' }).then(() => ({ fp, name: name_ }));
        stored.catch((err: unknown) => fail(err as Error));
      });
      bb.on('filesLimit', () => fail(InventoryErrors.UPLOAD_INVALID('Send one file per request')));
      bb.on('fieldsLimit', () => fail(InventoryErrors.UPLOAD_INVALID('Too many form fields')));
      bb.on('partsLimit', () => fail(InventoryErrors.UPLOAD_INVALID('Too many form parts')));
      bb.on('error', (err: Error) => {
        fail(InventoryErrors.UPLOAD_INVALID(`Malformed multipart request: ${err.message}`));
        req.unpipe(bb);
        req.resume();
        finish().catch(reject);
      });
      bb.on('close', () => finish().catch(reject));
      req.pipe(bb);
    });
  }

  /** Check what arrived, move it into place and record it; on any failure nothing remains. */
  private async commit(rep: Representation, a: Arrived, actor: string | undefined, registeredFrom?: string): Promise<DigitalFile> {
    const { connector, stagingKey } = a;
    const fileId = randomUUID();
    const finalKey = StorageKeys.file(rep.id, fileId);
    let moved = false;
    try {
      if (a.size === 0) throw InventoryErrors.EMPTY_FILE('The file has no content');
      if (a.fields.sha256 && a.fields.sha256 !== a.sha256) {
        throw InventoryErrors.CHECKSUM_MISMATCH(`Declared sha256 ${a.fields.sha256}, received content has ${a.sha256}`, {
          extensions: { declared: a.fields.sha256, computed: a.sha256 },
        });
      }
      const sniffed = await sniffType(a.head, a.originalName ?? undefined);
      if (!this.allowed(sniffed.mimeType)) {
        throw InventoryErrors.TYPE_NOT_ALLOWED(`Files of type ${sniffed.mimeType} are not accepted here (allowed: ${this.config.allowedMimeTypes.join(', ')})`);
      }
      const info = PROBED.test(sniffed.mimeType) ? await this.probe(connector, stagingKey, sniffed.mimeType) : null;
      if (info?.warnings.length) this.core.logger.warn({ representationId: rep.id, mimeType: sniffed.mimeType, warnings: info.warnings }, 'technical metadata incomplete');
      await connector.move(stagingKey, finalKey);
      moved = true;
      const file = await this.core.unitOfWork(async (uow) => {
        const m = uow.manager;
        if (isMysql(this.core.ds)) {
          // Serialize appends to one representation, so sequences stay dense and unique.
          await m.createQueryBuilder(Representation, 'r').setLock('pessimistic_write').where('r.id = :id', { id: rep.id }).getOne();
        }
        if (!(await m.existsBy(Representation, { id: rep.id }))) throw InventoryErrors.REPRESENTATION_NOT_FOUND(`Representation ${rep.id} was deleted during the upload`);
        const last = await m.findOne(DigitalFile, { where: { representationId: rep.id }, order: { sequence: 'DESC' } });
        const f = m.create(DigitalFile, {
          id: fileId,
          representationId: rep.id,
          sequence: (last?.sequence ?? 0) + 1,
          label: a.fields.label ?? a.originalName ?? '',
          section: a.fields.section ?? null,
          storageKey: finalKey,
          mimeType: sniffed.mimeType,
          size: a.size,
          sha256: a.sha256,
          width: info?.width ?? null,
          height: info?.height ?? null,
          duration: info?.duration ?? null,
          pageCount: info?.pageCount ?? null,
          thumbnailKey: null,
          originalName: a.originalName,
          thumbnailStatus: 'pending',
          fixityStatus: null,
          fixityCheckedAt: null,
          fixityDetail: null,
        });
        await uow.filter('file.create', f);
        await m.save(f);
        await uow.record('file', f.id, 'create', {
          titleId: rep.titleId,
          payload: { representationId: rep.id, mimeType: f.mimeType, size: f.size, ...(registeredFrom ? { registeredFrom } : {}) },
        });
        return f;
      }, { actor });
      this.onIngested();
      return file;
    } catch (err) {
      if (registeredFrom && !moved) {
        // A refused registration gives the depositor's object back to the upload area.
        await connector.move(stagingKey, registeredFrom).catch((e: unknown) => this.core.logger.error({ err: e, stagingKey, registeredFrom }, 'could not return a refused upload'));
      } else {
        await connector.delete(moved ? finalKey : stagingKey).catch(() => undefined);
      }
      throw err;
    }
  }

  private allowed(mime: string): boolean {
    const list = this.config.allowedMimeTypes;
    return !list.length || list.some((p) => p === mime || (p.endsWith('/*') && mime.startsWith(p.slice(0, -1))));
  }

  private async probe(connector: StorageConnector, key: string, mimeType: string): Promise<MediaInfo> {
    try {
      return await withLocalCopy(connector, key, join(this.core.config.dataDir, 'tmp'), (path) =>
        probeMedia(path, mimeType, { tools: this.config.tools, tmpDir: join(this.core.config.dataDir, 'tmp') }),
      );
    } catch (err) {
      if (err instanceof MediaError) {
        if (err.fault === 'media-too-large') throw InventoryErrors.UPLOAD_TOO_LARGE(err.message);
        throw InventoryErrors.MEDIA_CORRUPT(err.message, { extensions: { fault: err.fault, mimeType } });
      }
      throw err;
    }
  }
}

/** A local path of a stored object: the connector's own file when it has one, else a temporary copy. */
export async function withLocalCopy<T>(connector: StorageConnector, key: string, tmpDir: string, fn: (path: string) => Promise<T>): Promise<T> {
  // Tools make their own scratch files under tmpDir, so it must exist either way.
  await mkdir(tmpDir, { recursive: true });
  const own = connector.localPath?.(key);
  if (own) return fn(own);
  const path = join(tmpDir, `copy-${randomUUID()}`);
  try {
    await pipeline(await connector.get(key), createWriteStream(path));
    return await fn(path);
  } finally {
    await rm(path, { force: true });
  }
}

function bufferStream(data: Buffer): Readable {
  return Readable.from([data]);
}

/** Keep the depositor's file name for display only: no path, no control characters. */
function safeName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 500) ?? '';
}

