import { expect } from 'chai';
import { Readable } from 'node:stream';
import type { AnyPlugin } from '../../../core/plugin/types';
import { builtinPlugins } from '../../../plugins';
import { S3StorageConnector, storageS3Plugin } from '../../../plugins/storage-s3';
import { startS3Server, type S3TestServer } from '../../helpers/s3-server';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { readAll, rejectionOf } from '../storage-local/storage-contract';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The built-in plugins plus storage-s3 (once it is registered in plugins/index.ts, as is). */
const plugins: AnyPlugin[] = builtinPlugins.includes(storageS3Plugin) ? builtinPlugins : [...builtinPlugins, storageS3Plugin];

describe('storage-s3 plugin in the app', function () {
  let server: S3TestServer;
  let t: TestApp | undefined;

  /** Settings pointing at the test server. */
  const settings = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    endpoint: server.endpoint,
    bucket: server.bucket,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    ...extra,
  });

  const boot = (s3: Record<string, unknown> | undefined): Promise<TestApp> =>
    startTestApp({ config: s3 ? { plugins: { settings: { 'storage-s3': s3 } } } : {}, app: { plugins } });

  before(async function () {
    server = await startS3Server();
  });

  afterEach(async function () {
    await t?.close();
    t = undefined;
  });

  after(async function () {
    await server?.close();
  });

  it('is installed but off by default, and boots without a bucket', async function () {
    t = await boot(undefined);
    expect(t.app.host.isEnabled('storage-s3')).to.equal(false);
    expect(t.app.core.storage.get('s3')).to.equal(undefined);
  });

  it('registers connector "s3" when enabled, storing under its prefix', async function () {
    t = await boot(settings({ enabled: true, prefix: 'app' }));
    const s3 = t.app.core.storage.get('s3');
    expect(s3).to.be.instanceOf(S3StorageConnector);
    expect((s3 as S3StorageConnector).prefix).to.equal('app/');
    await s3?.put('hello/world.txt', Readable.from([Buffer.from('through the app')]));
    expect((await readAll(await (s3 as S3StorageConnector).get('hello/world.txt'))).toString()).to.equal('through the app');
    expect(t.app.core.storage.ids()).to.include('s3').and.include('local');
  });

  it('takes its connector id from the settings', async function () {
    t = await boot(settings({ enabled: true, id: 'archive' }));
    expect(t.app.core.storage.get('archive')?.id).to.equal('archive');
    expect(t.app.core.storage.get('s3')).to.equal(undefined);
  });

  it('refuses to boot enabled without a bucket, saying so', async function () {
    const err = await rejectionOf(boot({ enabled: true, endpoint: server.endpoint }));
    expect(err.message).to.contain('storage-s3').and.contain('bucket');
  });

  it('refuses to boot when the bucket is missing, naming bucket and endpoint', async function () {
    const err = await rejectionOf(boot(settings({ enabled: true, bucket: 'colophon-nowhere' })));
    expect(err.message).to.contain('storage-s3').and.contain('"colophon-nowhere"').and.contain(server.endpoint);
  });

  it('refuses bad settings at boot, naming the key', async function () {
    const cases: [Record<string, unknown>, string][] = [
      [{ partSizeBytes: 1024 }, 'partSizeBytes'],
      [{ queueSize: 0 }, 'queueSize'],
      [{ endpoint: 'ftp://example.org' }, 'endpoint'],
      [{ prefix: '../escape' }, 'prefix'],
      [{ bucket: 'no spaces allowed' }, 'bucket'],
      [{ credentials: { accessKeyId: 'x' } }, 'credentials.secretAccessKey'],
      [{ secretKey: 'typo' }, 'secretKey'],
    ];
    for (const [extra, key] of cases) {
      const err = await rejectionOf(boot(settings(extra)));
      expect(err.message, key).to.contain(`plugin storage-s3: config ${key}`);
    }
  });

  it('can be configured and enabled at run time, and disabled again', async function () {
    t = await boot(undefined);
    const key = await t.key('general-system-administrator');
    const auth = { Authorization: `Bearer ${key}` };
    const configured = await t.http.patch('/api/v1/admin/plugins/storage-s3/config').set(auth).send(settings({ prefix: 'runtime/' }));
    expect(configured.status, JSON.stringify(configured.body)).to.equal(200);
    expect(t.app.core.storage.get('s3')).to.equal(undefined);
    const enabled = await t.http.post('/api/v1/admin/plugins/storage-s3/enable').set(auth);
    expect(enabled.status, JSON.stringify(enabled.body)).to.equal(200);
    const s3 = t.app.core.storage.get('s3');
    expect(s3).to.be.instanceOf(S3StorageConnector);
    await s3?.put('x.txt', Readable.from([Buffer.from('x')]));
    expect((await s3?.head('x.txt'))?.size).to.equal(1);
    const disabled = await t.http.post('/api/v1/admin/plugins/storage-s3/disable').set(auth);
    expect(disabled.status).to.equal(200);
    expect(t.app.core.storage.get('s3')).to.equal(undefined);
  });

  it('answers a run-time enable onto a missing bucket with a problem naming it, staying off', async function () {
    t = await boot(settings({ bucket: 'colophon-gone' }));
    const key = await t.key('general-system-administrator');
    const res = await t.http.post('/api/v1/admin/plugins/storage-s3/enable').set({ Authorization: `Bearer ${key}` });
    expect(res.status).to.equal(500);
    expect(JSON.stringify(res.body)).to.contain('colophon-gone');
    expect(t.app.host.isEnabled('storage-s3')).to.equal(false);
    expect(t.app.core.storage.get('s3')).to.equal(undefined);
  });
});
