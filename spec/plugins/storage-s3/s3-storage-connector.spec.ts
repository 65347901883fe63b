import { expect } from 'chai';
import {
  GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ColophonError } from '../../../core/errors';
import { StorageKeyError, StorageNotFoundError } from '../../../core/storage';
import { S3StorageConnector, type S3StorageConnectorOptions } from '../../../plugins/storage-s3';
import { startS3Server, type S3TestServer } from '../../helpers/s3-server';
import {
  digestOf, listKeys, randomBody, readAll, rejectionOf, storageContract,
} from '../storage-local/storage-contract';

// The SDK warns once per process that its 2027 releases will need Node 22; not this suite's news.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const MiB = 1024 * 1024;
const body = (data: Buffer | string): Readable => Readable.from([Buffer.from(data)]);

describe('storage-s3 on a live S3 server (s3rver)', function () {
  let server: S3TestServer;
  let raw: S3Client;
  let n = 0;
  const made: S3StorageConnector[] = [];

  /** A connector on the test bucket under a fresh prefix (an empty store); destroyed after the file. */
  function connector(extra: Partial<S3StorageConnectorOptions> = {}): S3StorageConnector {
    const c = S3StorageConnector.fromConfig({
      id: 's3',
      endpoint: server.endpoint,
      region: server.region,
      bucket: server.bucket,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      prefix: `t${String(++n).padStart(4, '0')}/`,
      ...extra,
    });
    made.push(c);
    return c;
  }

  /** Multipart uploads left open in the bucket (each one holds parts that S3 bills for). */
  async function openUploads(): Promise<string[]> {
    const r = await raw.send(new ListMultipartUploadsCommand({ Bucket: server.bucket }));
    return (r.Uploads ?? []).map((u) => u.Key ?? '');
  }

  /** Operations the server received while `fn` ran. */
  async function operationsDuring(fn: () => Promise<unknown>): Promise<string[]> {
    const mark = server.operations().length;
    await fn();
    return server.operations().slice(mark);
  }

  const count = (ops: string[], op: string): number => ops.filter((o) => o.split(' ')[0] === op).length;

  before(async function () {
    server = await startS3Server();
    raw = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
  });

  after(async function () {
    for (const c of made) await c.destroy();
    raw?.destroy();
    await server?.close();
  });

  // Every contract test runs under a prefix of its own in one bucket, so tests that check a whole
  // listing also prove that prefixes keep stores apart. Parts of 5 MiB (the S3 minimum) and two at
  // a time: the 40 MiB body goes up in 8 parts and at most ~15 MiB of it is buffered at once.
  storageContract(
    'S3StorageConnector',
    async () => {
      const c = connector({ partSizeBytes: 5 * MiB, queueSize: 2 });
      await c.init();
      return { connector: c, cleanup: async () => undefined };
    },
    { maxKeyLength: 1024 - Buffer.byteLength('t0000/') },
  );

  describe('S3StorageConnector specifics', function () {
    describe('uploads', function () {
      it('writes a body up to the part size with one PutObject', async function () {
        const s = connector({ partSizeBytes: 5 * MiB });
        const ops = await operationsDuring(() => s.put('small.bin', Readable.from([randomBytes(5 * MiB)])));
        expect(ops.map((o) => o.split(' ')[0])).to.deep.equal(['PutObject']);
      });

      it('writes a larger body as a multipart upload and closes it', async function () {
        const s = connector({ partSizeBytes: 5 * MiB, queueSize: 3 });
        const { stream, sha256 } = randomBody(12 * MiB + 3);
        const ops = await operationsDuring(() => s.put('multi.bin', stream, { contentType: 'image/tiff' }));
        expect(count(ops, 'CreateMultipartUpload')).to.equal(1);
        expect(count(ops, 'UploadPart')).to.equal(3);
        expect(count(ops, 'CompleteMultipartUpload')).to.equal(1);
        expect(count(ops, 'PutObject')).to.equal(0);
        expect(await openUploads()).to.deep.equal([]);
        expect((await digestOf(await s.get('multi.bin'))).sha256).to.equal(await sha256);
        const h = await raw.send(new HeadObjectCommand({ Bucket: server.bucket, Key: `${s.prefix}multi.bin` }));
        expect(h.ContentType).to.equal('image/tiff');
        expect(h.ContentLength).to.equal(12 * MiB + 3);
      });

      it('aborts the multipart upload of a put aborted midway, leaving no parts and no object', async function () {
        const s = connector({ partSizeBytes: 5 * MiB, queueSize: 2 });
        const ac = new AbortController();
        let sent = 0;
        // 11 MiB arrive (two parts go up), then the source stalls until the abort destroys it.
        const source = new Readable({
          read() {
            if (sent < 11 * MiB) {
              sent += MiB;
              this.push(randomBytes(MiB));
            }
          },
        });
        const mark = server.operations().length;
        const ops = await operationsDuring(async () => {
          const pending = s.put('aborted.bin', source, { signal: ac.signal });
          // Wait until both full parts are on the server, so there is an upload to abort.
          for (let i = 0; i < 400 && count(server.operations().slice(mark), 'UploadPart') < 2; i++) await new Promise((r) => setTimeout(r, 25));
          ac.abort();
          const err = await rejectionOf(pending);
          expect(err.name).to.equal('AbortError');
        });
        expect(count(ops, 'CreateMultipartUpload')).to.equal(1);
        expect(count(ops, 'AbortMultipartUpload')).to.equal(1);
        expect(count(ops, 'CompleteMultipartUpload')).to.equal(0);
        expect(source.destroyed).to.equal(true);
        expect(await openUploads()).to.deep.equal([]);
        expect(await s.head('aborted.bin')).to.equal(null);
      });

      it('aborts the multipart upload when the source fails after some parts went up', async function () {
        const s = connector({ partSizeBytes: 5 * MiB });
        let sent = 0;
        const source = new Readable({
          read() {
            if (sent >= 12 * MiB) {
              this.destroy(new Error('disk went away'));
              return;
            }
            sent += MiB;
            this.push(randomBytes(MiB));
          },
        });
        const ops = await operationsDuring(async () => {
          const err = await rejectionOf(s.put('failed.bin', source));
          expect(err.message).to.contain('disk went away');
        });
        expect(count(ops, 'UploadPart')).to.be.greaterThan(0);
        expect(count(ops, 'AbortMultipartUpload')).to.equal(1);
        expect(await openUploads()).to.deep.equal([]);
        expect(await s.head('failed.bin')).to.equal(null);
      });
    });

    describe('move', function () {
      it('copies an object up to the threshold with one CopyObject, then deletes the source', async function () {
        const s = connector();
        await s.put('from.txt', body('small'), { contentType: 'text/plain' });
        const ops = await operationsDuring(() => s.move('from.txt', 'to.txt'));
        expect(ops.map((o) => o.split(' ')[0])).to.deep.equal(['HeadObject', 'CopyObject', 'DeleteObject']);
        expect((await readAll(await s.get('to.txt'))).toString()).to.equal('small');
        const h = await raw.send(new HeadObjectCommand({ Bucket: server.bucket, Key: `${s.prefix}to.txt` }));
        expect(h.ContentType).to.equal('text/plain');
      });

      it('copies an object over the threshold part by part (UploadPartCopy), keeping bytes and type', async function () {
        const s = connector({ partSizeBytes: 5 * MiB, multipartCopyThresholdBytes: 5 * MiB, copyPartSizeBytes: 5 * MiB });
        const { stream, sha256 } = randomBody(12 * MiB + 3);
        await s.put('big/from.bin', stream, { contentType: 'video/mp4' });
        const ops = await operationsDuring(() => s.move('big/from.bin', 'big/to.bin'));
        expect(count(ops, 'CopyObject')).to.equal(0);
        expect(count(ops, 'UploadPartCopy')).to.equal(3);
        expect(count(ops, 'CompleteMultipartUpload')).to.equal(1);
        expect(count(ops, 'DeleteObject')).to.equal(1);
        expect(await s.head('big/from.bin')).to.equal(null);
        expect(await listKeys(s, 'big/')).to.deep.equal(['big/to.bin']);
        const back = await digestOf(await s.get('big/to.bin'));
        expect(back.size).to.equal(12 * MiB + 3);
        expect(back.sha256).to.equal(await sha256);
        const h = await raw.send(new HeadObjectCommand({ Bucket: server.bucket, Key: `${s.prefix}big/to.bin` }));
        expect(h.ContentType).to.equal('video/mp4');
        expect(await openUploads()).to.deep.equal([]);
      });

      it('copies part by part over an existing key, replacing it', async function () {
        const s = connector({ multipartCopyThresholdBytes: 5 * MiB, copyPartSizeBytes: 5 * MiB });
        const data = randomBytes(6 * MiB);
        await s.put('a.bin', Readable.from([data]));
        await s.put('b.bin', body('old b'));
        await s.move('a.bin', 'b.bin');
        expect((await readAll(await s.get('b.bin'))).equals(data)).to.equal(true);
        expect(await listKeys(s, '')).to.deep.equal(['b.bin']);
      });
    });

    describe('prefix', function () {
      it('keeps connectors with different prefixes apart in one bucket', async function () {
        const a = connector({ prefix: 'iso/a' });
        const b = connector({ prefix: 'iso/b/' });
        expect(a.prefix).to.equal('iso/a/');
        await a.put('same.txt', body('from a'));
        await b.put('same.txt', body('from b'));
        await b.put('only-b.txt', body('b'));
        expect(await listKeys(a, '')).to.deep.equal(['same.txt']);
        expect(await listKeys(b, '')).to.deep.equal(['only-b.txt', 'same.txt']);
        expect((await readAll(await a.get('same.txt'))).toString()).to.equal('from a');
        expect(await a.head('only-b.txt')).to.equal(null);
        await a.delete('same.txt');
        expect((await readAll(await b.get('same.txt'))).toString()).to.equal('from b');
        const inBucket = await raw.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: 'iso/' }));
        expect((inBucket.Contents ?? []).map((o) => o.Key).sort()).to.deep.equal(['iso/b/only-b.txt', 'iso/b/same.txt']);
      });

      it('counts the prefix against S3\'s 1024-byte key limit, in UTF-8 bytes', async function () {
        const s = connector({ prefix: 'p'.repeat(20) });
        const err = await rejectionOf(s.put(`k/${'é'.repeat(505)}`, body('x')));
        expect(err).to.be.instanceOf(StorageKeyError);
        expect(err.message).to.contain('1024 bytes');
        expect(() => s.objectKey(`k/${'e'.repeat(1000)}`)).to.not.throw();
      });

      it('does not list objects that other tools left and no key could name', async function () {
        const s = connector();
        // ("a//b" would belong here too, but s3rver cannot store it.)
        for (const k of ['folder/', '.tmp/part', 'ctl\u0001char', 'ok.txt']) {
          await raw.send(new PutObjectCommand({ Bucket: server.bucket, Key: `${s.prefix}${k}`, Body: 'x' }));
        }
        expect(await listKeys(s, '')).to.deep.equal(['ok.txt']);
      });
    });

    describe('list', function () {
      it('follows continuation tokens page by page', async function () {
        const s = connector({ listPageSize: 2 });
        const keys = ['k/1', 'k/2', 'k/3', 'k/4', 'k/5', 'k/6', 'k/7'];
        for (const k of keys) await s.put(k, body(k));
        await s.put('kk', body('outside the prefix'));
        let listed: string[] = [];
        const ops = await operationsDuring(async () => {
          listed = await listKeys(s, 'k/');
        });
        expect(listed).to.deep.equal(keys);
        expect(count(ops, 'ListObjectsV2')).to.equal(4);
      });

      it('stops between pages when its signal aborts', async function () {
        const s = connector({ listPageSize: 2 });
        for (const k of ['1', '2', '3', '4', '5']) await s.put(k, body(k));
        const ac = new AbortController();
        const seen: string[] = [];
        const err = await rejectionOf((async () => {
          for await (const o of s.list('', { signal: ac.signal })) {
            seen.push(o.key);
            if (seen.length === 3) ac.abort();
          }
        })());
        expect(err.name).to.equal('AbortError');
        expect(seen).to.have.length(3);
      });
    });

    describe('errors', function () {
      it('reports a missing bucket on get as a request failure, not a missing key', async function () {
        const s = connector({ bucket: 'no-such-bucket-here' });
        const err = await rejectionOf(s.get('x.txt'));
        expect(err).to.not.be.instanceOf(StorageNotFoundError);
        expect(err).to.be.instanceOf(ColophonError);
        expect((err as ColophonError).code).to.equal('storage-s3.request-failed');
        expect(err.message).to.contain('no-such-bucket-here').and.contain('NoSuchBucket');
      });

      it('fails every operation on an unreachable endpoint with a request failure naming it', async function () {
        this.timeout(20_000);
        const probe = await startS3Server();
        const dead = probe.endpoint;
        await probe.close();
        const s = connector({ endpoint: dead });
        const ops: [string, () => Promise<unknown>][] = [
          ['put', () => s.put('k.txt', body('k'))],
          ['get', () => s.get('k.txt')],
          ['head', () => s.head('k.txt')],
          ['delete', () => s.delete('k.txt')],
          ['move', () => s.move('k.txt', 'l.txt')],
          ['list', () => listKeys(s, 'k')],
        ];
        for (const [op, run] of ops) {
          const err = await rejectionOf(run());
          expect((err as ColophonError).code, op).to.equal('storage-s3.request-failed');
          expect(err.message, op).to.contain(dead).and.contain(server.bucket).and.contain('ECONNREFUSED');
        }
      });

      it('refuses settings S3 cannot work with, naming the setting', function () {
        const base = { id: 's3', region: 'us-east-1', bucket: 'b' };
        const cases: [Partial<S3StorageConnectorOptions>, string][] = [
          [{ bucket: '' }, 'bucket'],
          [{ partSizeBytes: 5 * MiB - 1 }, 'partSizeBytes'],
          [{ queueSize: 0 }, 'queueSize'],
          [{ listPageSize: 1001 }, 'listPageSize'],
          [{ multipartCopyThresholdBytes: 6 * 1024 * MiB }, 'multipartCopyThresholdBytes'],
          [{ copyPartSizeBytes: MiB }, 'copyPartSizeBytes'],
          [{ prefix: '../up' }, 'prefix'],
          [{ prefix: 'a//b' }, 'prefix'],
        ];
        for (const [extra, key] of cases) {
          let err: unknown;
          try {
            S3StorageConnector.fromConfig({ ...base, ...extra });
          } catch (e) {
            err = e;
          }
          expect(err, key).to.be.instanceOf(ColophonError);
          expect((err as ColophonError).code, key).to.equal('storage-s3.config-invalid');
          expect((err as Error).message, key).to.contain(key);
        }
      });
    });

    describe('init', function () {
      it('passes on an existing bucket', async function () {
        await connector().init();
      });

      it('fails on a missing bucket, naming bucket and endpoint', async function () {
        const s = connector({ bucket: 'colophon-absent-bucket' });
        const err = await rejectionOf(s.init());
        expect((err as ColophonError).code).to.equal('storage-s3.bucket-missing');
        expect(err.message).to.contain('"colophon-absent-bucket"').and.contain(server.endpoint).and.contain('createBucket');
      });

      it('creates a missing bucket when createBucket is set', async function () {
        const s = connector({ bucket: 'colophon-created-bucket', createBucket: true });
        const ops = await operationsDuring(() => s.init());
        expect(ops.map((o) => o.split(' ')[0])).to.deep.equal(['HeadBucket', 'CreateBucket']);
        await s.put('first.txt', body('first'));
        const got = await raw.send(new GetObjectCommand({ Bucket: 'colophon-created-bucket', Key: `${s.prefix}first.txt` }));
        expect(await got.Body?.transformToString()).to.equal('first');
        await s.init(); // and finds it the next time
      });

      it('takes credentials from the environment when the settings have none', async function () {
        const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
        process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
        process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
        try {
          const s = connector({ credentials: undefined });
          await s.init();
          await s.put('env.txt', body('env'));
          expect((await s.head('env.txt'))?.size).to.equal(3);
        } finally {
          if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
          else process.env.AWS_ACCESS_KEY_ID = saved.id;
          if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
          else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
        }
      });

      it('fails with credentials the server does not know', async function () {
        const s = connector({ credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'nothing' } });
        const err = await rejectionOf(s.init());
        expect((err as ColophonError).code).to.equal('storage-s3.bucket-unreachable');
        expect(err.message).to.contain(server.bucket).and.contain('access denied');
      });

      it('fails on an endpoint where nothing listens, naming it', async function () {
        this.timeout(20_000);
        const probe = await startS3Server();
        const dead = probe.endpoint;
        await probe.close();
        const s = connector({ endpoint: dead });
        const err = await rejectionOf(s.init());
        expect((err as ColophonError).code).to.equal('storage-s3.bucket-unreachable');
        expect(err.message).to.contain(dead).and.contain(server.bucket);
      });
    });
  });
});
