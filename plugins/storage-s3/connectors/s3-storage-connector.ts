import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand,
  CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand,
  ListObjectsV2Command, S3Client, UploadPartCopyCommand, type BucketLocationConstraint, type CompletedPart,
  type HeadObjectCommandOutput, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Logger } from 'pino';
import { Readable, addAbortSignal } from 'node:stream';
import {
  StorageKeyError, StorageNotFoundError, type ByteRange, type StorageConnector, type StoredObject,
} from '../../../core/storage';
import { S3_MAX_PART_BYTES, S3_MIN_PART_BYTES } from '../config';
import { StorageS3Errors } from '../errors';

const MiB = 1024 * 1024;
/** CopyObject copies at most 5 GiB; larger objects are copied part by part (UploadPartCopy). */
const S3_MAX_COPY_BYTES = 5 * 1024 * MiB;
const S3_MAX_PARTS = 10_000;
/** S3 keys are at most 1024 bytes of UTF-8, prefix included. */
const S3_MAX_KEY_BYTES = 1024;
/** Reserved by storage-local for its temporary files; refused here too so every key is portable. */
const RESERVED_FIRST_SEGMENT = '.tmp';

/** What S3StorageConnector.fromConfig takes (the plugin builds it from its settings). */
export interface S3StorageConnectorOptions {
  id: string;
  bucket: string;
  region: string;
  /** S3-compatible endpoint; absent means AWS. */
  endpoint?: string;
  /** Key prefix inside the bucket; normalised to end with "/". */
  prefix?: string;
  /** Default: true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** Absent: the AWS SDK default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Multipart part size for puts (default 16 MiB, at least 5 MiB). */
  partSizeBytes?: number;
  /** Parts uploaded (and copied) at once (default 4). */
  queueSize?: number;
  /** Create the bucket in init() when it is missing (default false). */
  createBucket?: boolean;
  /** Objects larger than this are moved with a multipart copy (default and maximum: 5 GiB). */
  multipartCopyThresholdBytes?: number;
  /** Part size of a multipart copy (default 512 MiB; raised when the object would need over 10,000 parts). */
  copyPartSizeBytes?: number;
  /** Keys asked for per ListObjectsV2 page (default and maximum: 1000). */
  listPageSize?: number;
}

/** Why a storage key is refused (the same rules as storage-local, so keys move between connectors), or null. */
export function storageKeyProblem(key: unknown): string | null {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) return 'must be 1 to 1024 characters';
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f\\]/.test(key)) return 'must not contain control characters or backslash';
  if (key.startsWith('/')) return 'must be relative';
  const parts = key.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return 'must not have empty, "." or ".." segments';
  if (parts[0] === RESERVED_FIRST_SEGMENT) return `"${RESERVED_FIRST_SEGMENT}" is reserved`;
  return null;
}

/** Fields the SDK puts on service errors. */
interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function sdkError(err: unknown): SdkError {
  return typeof err === 'object' && err !== null ? (err as SdkError) : {};
}

function statusOf(err: unknown): number | undefined {
  return sdkError(err).$metadata?.httpStatusCode;
}

function isCode(err: unknown, ...codes: string[]): boolean {
  const e = sdkError(err);
  return codes.includes(e.name ?? '') || codes.includes(e.Code ?? '');
}

function isAbort(err: unknown): boolean {
  return sdkError(err).name === 'AbortError';
}

/** The error an aborted operation rejects with: the signal's reason, like node:stream does. */
function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError');
}

/** A Content-Range header ("bytes 0-9/26"); null when absent or of another form. */
function parseContentRange(header: string | undefined): { start: number; end: number; total: number } | null {
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header?.trim() ?? '');
  return m ? { start: Number(m[1]), end: Number(m[2]), total: Number(m[3]) } : null;
}

/** The first `n` bytes of a stream (the rest is not read: the source is destroyed). */
function firstBytes(source: Readable, n: number): Readable {
  return Readable.from((async function* () {
    let left = n;
    for await (const chunk of source) {
      const buf = chunk as Buffer;
      if (buf.length >= left) {
        yield buf.subarray(0, left);
        return;
      }
      left -= buf.length;
      yield buf;
    }
  })(), { objectMode: false });
}

/**
 * Objects in an S3 (or S3-compatible) bucket, under an optional key prefix.
 *
 * Atomic writes come from the protocol itself: S3 makes an object visible only when a PutObject
 * or CompleteMultipartUpload succeeds, and an overwrite replaces the old object in one step, so
 * put() writes the final key directly (no temporary key and rename, which S3 could only do as a
 * copy of the whole object). A put that fails or is aborted midway aborts its multipart upload and
 * leaves the previous object, if any, untouched.
 */
export class S3StorageConnector implements StorageConnector {
  private constructor(
    readonly id: string,
    readonly bucket: string,
    /** Key prefix inside the bucket: "" or ending with "/". */
    readonly prefix: string,
    private readonly client: S3Client,
    private readonly opts: {
      where: string;
      region: string;
      partSize: number;
      queueSize: number;
      createBucket: boolean;
      copyThreshold: number;
      copyPartSize: number;
      pageSize: number;
      logger?: Logger;
    },
  ) {}

  /** Build a connector; throws StorageS3Errors.CONFIG_INVALID for settings S3 cannot work with. */
  static fromConfig(config: S3StorageConnectorOptions, deps: { logger?: Logger } = {}): S3StorageConnector {
    const invalid = (key: string, why: string): Error => StorageS3Errors.CONFIG_INVALID(`storage-s3 connector "${config.id}": ${key}: ${why}`);
    if (!config.bucket) throw invalid('bucket', 'required (the bucket that holds the objects)');
    const partSize = config.partSizeBytes ?? 16 * MiB;
    if (!Number.isInteger(partSize) || partSize < S3_MIN_PART_BYTES || partSize > S3_MAX_PART_BYTES) {
      throw invalid('partSizeBytes', `must be an integer from ${S3_MIN_PART_BYTES} (5 MiB) to ${S3_MAX_PART_BYTES} (5 GiB)`);
    }
    const queueSize = config.queueSize ?? 4;
    if (!Number.isInteger(queueSize) || queueSize < 1) throw invalid('queueSize', 'must be a positive integer');
    const copyThreshold = config.multipartCopyThresholdBytes ?? S3_MAX_COPY_BYTES;
    if (!Number.isInteger(copyThreshold) || copyThreshold < 0 || copyThreshold > S3_MAX_COPY_BYTES) {
      throw invalid('multipartCopyThresholdBytes', 'must be an integer from 0 to 5 GiB');
    }
    const copyPartSize = config.copyPartSizeBytes ?? 512 * MiB;
    if (!Number.isInteger(copyPartSize) || copyPartSize < S3_MIN_PART_BYTES || copyPartSize > S3_MAX_PART_BYTES) {
      throw invalid('copyPartSizeBytes', 'must be an integer from 5 MiB to 5 GiB');
    }
    const pageSize = config.listPageSize ?? 1000;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw invalid('listPageSize', 'must be an integer from 1 to 1000');
    let prefix = config.prefix ?? '';
    if (prefix && !prefix.endsWith('/')) prefix += '/';
    if (prefix && storageKeyProblem(prefix.slice(0, -1))) throw invalid('prefix', 'must be relative path segments (no "..", empty segments, backslashes or control characters)');

    const clientConfig: S3ClientConfig = {
      region: config.region,
      forcePathStyle: config.forcePathStyle ?? Boolean(config.endpoint),
      ...(config.endpoint ? {
        endpoint: config.endpoint,
        // Since SDK 3.729 every upload carries a CRC32 checksum by default, which several
        // S3-compatible services reject or mishandle; on those, checksum only when S3 requires it.
        requestChecksumCalculation: 'WHEN_REQUIRED' as const,
        responseChecksumValidation: 'WHEN_REQUIRED' as const,
      } : {}),
      // Absent: the SDK's default provider chain (environment, shared files, SSO, instance roles).
      ...(config.credentials ? { credentials: { ...config.credentials } } : {}),
    };
    const where = config.endpoint ? `endpoint ${config.endpoint}` : `AWS S3 (region ${config.region})`;
    return new S3StorageConnector(config.id, config.bucket, prefix, new S3Client(clientConfig), {
      where,
      region: config.region,
      partSize,
      queueSize,
      createBucket: config.createBucket ?? false,
      copyThreshold,
      copyPartSize,
      pageSize,
      logger: deps.logger,
    });
  }

  /** Check the bucket is there (creating it when `createBucket` is set); fails naming bucket and endpoint. */
  async init(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (err) {
      if (statusOf(err) === 404 || isCode(err, 'NotFound', 'NoSuchBucket')) {
        if (this.opts.createBucket) return this.createBucket();
        throw StorageS3Errors.BUCKET_MISSING(
          `bucket "${this.bucket}" does not exist at ${this.opts.where}; create it or set createBucket: true`,
          { cause: err },
        );
      }
      const why = statusOf(err) === 403
        ? 'access denied (check the credentials and the bucket policy)'
        : isCode(err, 'CredentialsProviderError')
          ? 'no credentials found (set credentials in the settings, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)'
          : `${sdkError(err).name ?? 'Error'}: ${sdkError(err).message ?? String(err)}`;
      throw StorageS3Errors.BUCKET_UNREACHABLE(`bucket "${this.bucket}" at ${this.opts.where}: ${why}`, { cause: err });
    }
  }

  private async createBucket(): Promise<void> {
    try {
      await this.client.send(new CreateBucketCommand({
        Bucket: this.bucket,
        // us-east-1 is the one region that must not be named here.
        ...(this.opts.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: this.opts.region as BucketLocationConstraint } }),
      }));
      this.opts.logger?.info({ bucket: this.bucket }, `created bucket at ${this.opts.where}`);
    } catch (err) {
      // Another instance starting at the same moment may have created it first.
      if (isCode(err, 'BucketAlreadyOwnedByYou')) return;
      throw StorageS3Errors.BUCKET_UNREACHABLE(
        `bucket "${this.bucket}" does not exist at ${this.opts.where} and could not be created: ${sdkError(err).name ?? 'Error'}: ${sdkError(err).message ?? String(err)}`,
        { cause: err },
      );
    }
  }

  async destroy(): Promise<void> {
    this.client.destroy();
  }

  /** The object key in the bucket for a storage key; throws StorageKeyError for a malformed key. */
  objectKey(key: string): string {
    const problem = storageKeyProblem(key);
    if (problem) throw new StorageKeyError(String(key), problem);
    const full = this.prefix + key;
    if (Buffer.byteLength(full) > S3_MAX_KEY_BYTES) {
      throw new StorageKeyError(key, `with the prefix "${this.prefix}" it exceeds S3's limit of ${S3_MAX_KEY_BYTES} bytes`);
    }
    return full;
  }

  /** Wrap an unexpected SDK error, naming operation, key and bucket (aborts pass through unchanged). */
  private failure(op: string, key: string, err: unknown, what: 'key' | 'prefix' = 'key'): unknown {
    if (isAbort(err)) return err;
    const e = sdkError(err);
    return StorageS3Errors.REQUEST_FAILED(
      `S3 ${op} of ${what} ${JSON.stringify(key)} in bucket "${this.bucket}" at ${this.opts.where} failed: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`,
      { cause: err },
    );
  }

  async put(key: string, body: Readable, opts: { signal?: AbortSignal; contentType?: string; size?: number } = {}): Promise<StoredObject> {
    const objectKey = this.objectKey(key);
    const { signal } = opts;
    if (signal?.aborted) {
      body.destroy();
      throw abortReason(signal);
    }
    let size = 0;
    const counted = Readable.from((async function* () {
      for await (const chunk of body) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        size += buf.length;
        yield buf;
      }
    })(), { highWaterMark: 1 });
    // Abort by failing the body: Upload then stops reading, aborts its multipart upload (so no
    // parts are left behind) and only then rejects. Calling upload.abort() instead would reject
    // at once while parts were still in flight and the multipart upload still open. An abort that
    // comes after the whole body was read lets the put finish, so a rejected put never leaves an
    // object and a resolved one always has.
    const onAbort = (): void => {
      body.destroy(signal ? abortReason(signal) : undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: objectKey, Body: counted, ContentType: opts.contentType },
      partSize: this.opts.partSize,
      queueSize: this.opts.queueSize,
      leavePartsOnError: false,
    });
    try {
      const done = await upload.done();
      return { key, size, etag: done.ETag };
    } catch (err) {
      counted.destroy();
      if (signal?.aborted) throw abortReason(signal);
      if (typeof sdkError(err).$metadata === 'object') throw this.failure('upload', key, err);
      throw err; // the body's own error
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async get(key: string, opts: { range?: ByteRange; signal?: AbortSignal } = {}): Promise<Readable> {
    const objectKey = this.objectKey(key);
    const { range, signal } = opts;
    if (range && (!Number.isInteger(range.start) || range.start < 0 || (range.end !== undefined && (!Number.isInteger(range.end) || range.end < range.start)))) {
      throw new RangeError(`invalid range ${range.start}-${range.end ?? ''}`);
    }
    if (signal?.aborted) throw abortReason(signal);
    const beyond = (size?: number): RangeError =>
      new RangeError(`range ${range?.start}-${range?.end ?? ''} starts beyond the end of "${key}"${size === undefined ? '' : ` (${size} bytes)`}`);
    let res;
    try {
      res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: objectKey, Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined }),
        { abortSignal: signal },
      );
    } catch (err) {
      if (isCode(err, 'NoSuchKey')) throw new StorageNotFoundError(key);
      if (statusOf(err) === 416 || isCode(err, 'InvalidRange')) throw beyond();
      throw this.failure('GetObject', key, err);
    }
    const stream = res.Body;
    if (!(stream instanceof Readable)) throw this.failure('GetObject', key, new Error('response has no body stream'));
    let out: Readable = stream;
    if (range) {
      const got = parseContentRange(res.ContentRange);
      const total = got?.total ?? res.ContentLength;
      // Servers differ on a range over an empty object (416, a 200 ignoring it, or "bytes 0-0/0").
      if (total !== undefined && range.start >= total) {
        stream.destroy();
        throw beyond(total);
      }
      // Check the server sent the bytes asked for: a wrong slice would pass silently as content.
      const wantEnd = Math.min(range.end ?? Infinity, (total ?? Infinity) - 1);
      if (!got || got.start !== range.start || got.end < wantEnd) {
        stream.destroy();
        throw this.failure('GetObject', key, new Error(`asked for bytes ${range.start}-${range.end ?? ''}, the server sent ${res.ContentRange ?? 'the whole object'}`));
      }
      // Some servers (s3rver) read "bytes=0-0" as "from 0 to the end"; keep to what was asked.
      if (got.end > wantEnd) out = firstBytes(stream, wantEnd - range.start + 1);
    }
    return signal ? addAbortSignal(signal, out) : out;
  }

  private async headObject(key: string, objectKey: string): Promise<HeadObjectCommandOutput | null> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (err) {
      // A HEAD response has no body, so a missing key reads as a bare 404 "NotFound".
      if (statusOf(err) === 404 || isCode(err, 'NotFound', 'NoSuchKey')) return null;
      throw this.failure('HeadObject', key, err);
    }
  }

  async head(key: string): Promise<StoredObject | null> {
    const h = await this.headObject(key, this.objectKey(key));
    return h ? { key, size: h.ContentLength ?? 0, lastModified: h.LastModified, etag: h.ETag } : null;
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    try {
      // S3 answers 204 for a missing key too; some compatible services say NoSuchKey.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (err) {
      if (isCode(err, 'NoSuchKey', 'NotFound')) return;
      throw this.failure('DeleteObject', key, err);
    }
  }

  /**
   * Copy then delete (S3 has no rename). Not atomic: for a moment both keys exist, and if the
   * delete fails the source stays as well, but the object is never lost. The copy is conditional
   * on the source's ETag, so an object replaced meanwhile is not half-copied.
   */
  async move(from: string, to: string): Promise<void> {
    const src = this.objectKey(from);
    const dst = this.objectKey(to);
    const h = await this.headObject(from, src);
    if (!h) throw new StorageNotFoundError(from);
    if (src === dst) return;
    const size = h.ContentLength ?? 0;
    try {
      if (size > this.opts.copyThreshold && size > 0) await this.copyInParts(src, dst, size, h);
      else {
        await this.client.send(new CopyObjectCommand({
          Bucket: this.bucket,
          Key: dst,
          CopySource: this.copySource(src),
          CopySourceIfMatch: h.ETag,
          MetadataDirective: 'COPY',
        }));
      }
    } catch (err) {
      if (isCode(err, 'NoSuchKey')) throw new StorageNotFoundError(from);
      if (statusOf(err) === 412 || isCode(err, 'PreconditionFailed')) {
        throw StorageS3Errors.SOURCE_CHANGED(`"${from}" was replaced while being moved to "${to}"; nothing was moved`, { cause: err });
      }
      throw this.failure('copy', from, err);
    }
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: src }));
    } catch (err) {
      throw this.failure(`DeleteObject (after copying to "${to}")`, from, err);
    }
  }

  /** x-amz-copy-source: "bucket/key", URL-encoded per segment as S3 requires. */
  private copySource(objectKey: string): string {
    return `${this.bucket}/${objectKey.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** Multipart copy for objects over CopyObject's 5 GiB limit; aborts the upload on any failure. */
  private async copyInParts(src: string, dst: string, size: number, h: HeadObjectCommandOutput): Promise<void> {
    const partSize = Math.max(this.opts.copyPartSize, Math.ceil(size / S3_MAX_PARTS));
    const count = Math.ceil(size / partSize);
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({
      Bucket: this.bucket,
      Key: dst,
      ContentType: h.ContentType,
      Metadata: h.Metadata,
    }));
    const parts: CompletedPart[] = [];
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && next < count) {
        const i = next++;
        const start = i * partSize;
        const end = Math.min(size, start + partSize) - 1;
        try {
          const r = await this.client.send(new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: dst,
            UploadId,
            PartNumber: i + 1,
            CopySource: this.copySource(src),
            CopySourceRange: `bytes=${start}-${end}`,
            CopySourceIfMatch: h.ETag,
          }));
          parts[i] = { PartNumber: i + 1, ETag: r.CopyPartResult?.ETag };
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    // Let every worker settle before aborting, so no part copy lands after the abort.
    const settled = await Promise.allSettled(Array.from({ length: Math.min(this.opts.queueSize, count) }, worker));
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    try {
      if (rejected) throw rejected.reason;
      await this.client.send(new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: dst,
        UploadId,
        MultipartUpload: { Parts: parts },
      }));
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: dst, UploadId })).catch((abortErr: unknown) => {
        this.opts.logger?.warn({ err: abortErr, bucket: this.bucket, key: dst, uploadId: UploadId }, 'could not abort multipart copy');
      });
      throw err;
    }
  }

  async *list(prefix: string, opts: { signal?: AbortSignal } = {}): AsyncIterable<StoredObject> {
    const { signal } = opts;
    let token: string | undefined;
    do {
      if (signal?.aborted) throw abortReason(signal);
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token, MaxKeys: this.opts.pageSize }),
          { abortSignal: signal },
        );
      } catch (err) {
        throw this.failure('ListObjectsV2', prefix, err, 'prefix');
      }
      for (const o of page.Contents ?? []) {
        if (signal?.aborted) throw abortReason(signal);
        if (o.Key === undefined) continue;
        const key = o.Key.slice(this.prefix.length);
        // Objects other tools put in the bucket ("folder/" markers, "a//b") cannot be addressed
        // through this connector, so they are not listed.
        if (storageKeyProblem(key)) continue;
        yield { key, size: o.Size ?? 0, lastModified: o.LastModified, etag: o.ETag };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
