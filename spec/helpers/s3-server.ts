import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** A running S3-compatible test server (s3rver in a child process). */
export interface S3TestServer {
  /** e.g. http://127.0.0.1:41234 (path-style addressing). */
  endpoint: string;
  /** Bucket created before the server answered its first request. */
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where s3rver keeps its files (removed by close()). */
  directory: string;
  /**
   * The S3 operations the server has received so far, oldest first, as "<Operation> <key>"
   * (e.g. "UploadPartCopy big/copy.bin", "ListObjectsV2 "); take `.length` as a mark and slice.
   */
  operations(): string[];
  /** Stop the server and remove its directory. */
  close(): Promise<void>;
}

const CHILD_FLAG = '--colophon-s3rver-child';

/**
 * Start s3rver (a real S3 protocol server over a directory) on 127.0.0.1, a free port and a fresh
 * temporary directory, silent, with `bucket` already created.
 *
 * It runs in a child process for two reasons: s3rver encrypts ListObjectsV2 continuation tokens
 * with DES, which the OpenSSL 3 of Node 20 refuses unless started with --openssl-legacy-provider;
 * and specs that measure this process's memory must not count the server's buffers.
 *
 * s3rver 3.7 lacks a few operations a connector for real S3 needs; the child adds them on top of
 * s3rver's own store (see `serveChild`): UploadPartCopy, AbortMultipartUpload, ListMultipartUploads,
 * and proper URL-decoding of x-amz-copy-source (s3rver uses decodeURI, which keeps "%2B" etc.).
 */
export async function startS3Server(opts: { bucket?: string } = {}): Promise<S3TestServer> {
  const root = mkdtempSync(join(tmpdir(), 'colophon-s3rver-'));
  const directory = join(root, 'data');
  const operationsLog = join(root, 'operations.log');
  mkdirSync(directory);
  const bucket = opts.bucket ?? `colophon-spec-${randomBytes(4).toString('hex')}`;
  // s3rver checks only that the access key id is one it knows (it does not verify V4 signatures),
  // so a random pair per server still proves that the configured credentials are the ones sent.
  const accessKeyId = `SPEC${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', __filename, CHILD_FLAG], {
    env: { ...process.env, S3RVER_CHILD: JSON.stringify({ directory, operationsLog, bucket, accessKeyId, secretAccessKey }) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let port: number;
  try {
    port = await readyPort(child);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId,
    secretAccessKey,
    directory,
    operations: () => (existsSync(operationsLog) ? readFileSync(operationsLog, 'utf8').split('\n').filter(Boolean) : []),
    close: async () => {
      await stopChild(child);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Wait for the child's "READY <port>" line; fail with its stderr if it exits first. */
function readyPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`s3rver did not start within 15 s: ${err}`)), 15_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited (${code}) before it was ready: ${err}`));
    });
  });
}

/** Ask the child to stop (end of stdin), killing it if it does not within 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// The child: s3rver plus the operations it lacks.

/** The part of s3rver's FilesystemStore the shims use. */
interface S3rverStore {
  getObject(bucket: string, key: string, range?: { start?: number; end?: number }): Promise<
    { content: Readable | null; size: number; metadata: Record<string, string>; range?: { start: number; end: number } } | null
  >;
  getBucket(bucket: string): Promise<unknown>;
  putPart(bucket: string, uploadId: string, partNumber: number, content: Readable): Promise<{ md5: string; size: number }>;
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
}

interface KoaLikeContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  store: S3rverStore;
}

type S3ErrorCtor = new (code: string, message: string, detail?: Record<string, unknown>) => Error;

interface S3rverInstance {
  middleware: ((ctx: KoaLikeContext, next: () => Promise<void>) => Promise<void>)[];
  store: S3rverStore;
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

function header(ctx: KoaLikeContext, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** "bucket/key" of an x-amz-copy-source header, URL-decoded the way S3 does (versionId ignored). */
function parseCopySource(raw: string): { bucket: string; key: string } {
  const noVersion = raw.split('?')[0] ?? '';
  const decoded = decodeURIComponent(noVersion.startsWith('/') ? noVersion.slice(1) : noVersion);
  const slash = decoded.indexOf('/');
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

/** The S3 operation a request asks for (path-style addressing). */
function operationOf(ctx: KoaLikeContext): string {
  const [, bucket = '', ...rest] = ctx.path.split('/');
  const key = rest.join('/');
  const has = (name: string): boolean => name in ctx.query;
  const copy = Boolean(header(ctx, 'x-amz-copy-source'));
  if (!bucket) return `${ctx.method} /`;
  if (!key) {
    if (ctx.method === 'HEAD') return 'HeadBucket';
    if (ctx.method === 'PUT') return 'CreateBucket';
    if (ctx.method === 'GET' && has('uploads')) return 'ListMultipartUploads';
    if (ctx.method === 'GET') return ctx.query['list-type'] === '2' ? 'ListObjectsV2' : 'ListObjects';
    if (ctx.method === 'POST' && has('delete')) return 'DeleteObjects';
    return `${ctx.method} (bucket)`;
  }
  switch (ctx.method) {
    case 'PUT':
      if (has('uploadId')) return copy ? 'UploadPartCopy' : 'UploadPart';
      return copy ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (has('uploads')) return 'CreateMultipartUpload';
      return has('uploadId') ? 'CompleteMultipartUpload' : 'POST (object)';
    case 'DELETE':
      return has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'HEAD':
      return 'HeadObject';
    default:
      return 'GetObject';
  }
}

function serveChild(): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- s3rver ships no types; loaded only in the child */
  const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => S3rverInstance;
  const S3Error = require('s3rver/lib/models/error') as S3ErrorCtor;
  const objectCtrl = require('s3rver/lib/controllers/object') as Record<string, (ctx: KoaLikeContext) => Promise<void>>;
  const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const cfg = JSON.parse(process.env.S3RVER_CHILD ?? '{}') as {
    directory: string; operationsLog: string; bucket: string; accessKeyId: string; secretAccessKey: string;
  };
  DUMMY_ACCOUNT.createKeyPair(cfg.accessKeyId, cfg.secretAccessKey);

  // s3rver decodes x-amz-copy-source with decodeURI, which leaves reserved characters encoded
  // ("a%2Bb" stays as is), so keys holding + & = ; , @ $ # ? : could not be copied. Hand it a
  // form that decodeURI turns back into the real key.
  const putObjectCopy = objectCtrl.putObjectCopy?.bind(objectCtrl);
  if (putObjectCopy) {
    objectCtrl.putObjectCopy = async (ctx) => {
      const raw = header(ctx, 'x-amz-copy-source') ?? '';
      const { bucket, key } = parseCopySource(raw);
      ctx.headers['x-amz-copy-source'] = encodeURI(`${bucket}/${key}`);
      return putObjectCopy(ctx);
    };
  }

  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: cfg.directory,
    configureBuckets: [{ name: cfg.bucket }],
    vhostBuckets: false,
  });

  const uploadsDir = (bucket: string): string => server.store.getResourcePath(bucket, undefined, 'uploads');
  const uploadExists = async (bucket: string, uploadId: string): Promise<boolean> =>
    /^[0-9a-f]+$/.test(uploadId) && Boolean(await stat(join(uploadsDir(bucket), uploadId)).catch(() => null));

  // Runs after s3rver's logger and XML encoder (so plain-object bodies become S3 XML) and before
  // its router; path-style requests only.
  const shim = async (ctx: KoaLikeContext, next: () => Promise<void>): Promise<void> => {
    const [, bucket = '', ...rest] = ctx.path.split('/');
    const key = rest.join('/');
    const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : undefined;

    // UploadPartCopy: https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
    if (ctx.method === 'PUT' && key && uploadId && header(ctx, 'x-amz-copy-source')) {
      if (!(await uploadExists(bucket, uploadId))) throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
      const src = parseCopySource(header(ctx, 'x-amz-copy-source') ?? '');
      const rangeHeader = header(ctx, 'x-amz-copy-source-range');
      let range: { start: number; end: number } | undefined;
      if (rangeHeader) {
        const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader);
        if (!m) throw new S3Error('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last', {});
        range = { start: Number(m[1]), end: Number(m[2]) };
      }
      const obj = await ctx.store.getObject(src.bucket, src.key, range);
      if (!obj) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: src.key });
      const ifMatch = header(ctx, 'x-amz-copy-source-if-match');
      if (ifMatch && ifMatch.replace(/"/g, '') !== String(obj.metadata.etag ?? '').replace(/"/g, '')) {
        obj.content?.destroy();
        throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'x-amz-copy-source-If-Match' });
      }
      if (range && (range.end >= obj.size || !obj.content)) {
        obj.content?.destroy();
        throw new S3Error('InvalidRange', 'The requested range is not satisfiable', { ActualObjectSize: obj.size });
      }
      if (!obj.content) throw new S3Error('InternalError', 'source has no content', {});
      const { md5 } = await ctx.store.putPart(bucket, uploadId, Number(ctx.query.partNumber), obj.content);
      ctx.body = { CopyPartResult: { LastModified: new Date().toISOString(), ETag: JSON.stringify(md5) } };
      return;
    }

    // AbortMultipartUpload (s3rver answers MethodNotAllowed).
    if (ctx.method === 'DELETE' && key && uploadId) {
      if (!(await uploadExists(bucket, uploadId))) throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
      await rm(join(uploadsDir(bucket), uploadId), { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = '';
      return;
    }

    // ListMultipartUploads (s3rver answers NotImplemented); no pagination, enough for specs.
    if (ctx.method === 'GET' && !key && bucket && 'uploads' in ctx.query) {
      if (!(await ctx.store.getBucket(bucket))) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
      const dir = uploadsDir(bucket);
      await mkdir(dir, { recursive: true });
      const uploads = [];
      for (const id of (await readdir(dir)).sort()) {
        const k = await readFile(join(dir, id, 'key'), 'utf8').catch(() => null);
        if (k !== null) uploads.push({ Key: k, UploadId: id, Initiated: (await stat(join(dir, id))).birthtime.toISOString() });
      }
      ctx.body = { ListMultipartUploadsResult: { Bucket: bucket, IsTruncated: false, ...(uploads.length ? { Upload: uploads } : {}) } };
      return;
    }
    await next();
  };
  // s3rver's middleware: [logger, XML encoder, mount interop, vhost, router]; go before the router.
  server.middleware.splice(server.middleware.length - 1, 0, shim);
  // Record every operation first of all (before anything can fail it).
  server.middleware.unshift(async (ctx, next) => {
    const [, , ...rest] = ctx.path.split('/');
    let key = rest.join('/');
    try {
      key = decodeURIComponent(key);
    } catch {
      // keep it encoded
    }
    appendFileSync(cfg.operationsLog, `${operationOf(ctx)} ${key}\n`);
    await next();
  });

  const stop = (): void => {
    server.close().then(() => process.exit(0), () => process.exit(0));
  };
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  server.run().then(
    (addr) => process.stdout.write(`READY ${addr.port}\n`),
    (err: unknown) => {
      process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module && process.argv.includes(CHILD_FLAG)) serveChild();
