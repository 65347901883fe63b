import { expect } from 'chai';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { StorageConnector } from '../../../core/storage';
import { storedKeys, waitForThumbnail } from '../../helpers/inventory-helpers';
import { startS3Server, type S3TestServer } from '../../helpers/s3-server';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

// Pyramids the iiif-image plugin makes in the background for earlier uploads are not the ingest's objects.
const keys = async (c: Parameters<typeof storedKeys>[0], prefix = ''): Promise<string[]> =>
  (await storedKeys(c, prefix)).filter((k) => !k.startsWith('derivatives/'));

/** Ingest into S3 storage end to end: upload, staging and move, thumbnail from a temporary copy, fixity, deletion. */
describe('inventory: ingest into S3 storage (s3rver on loopback)', function () {
  this.timeout(60_000);
  let server: S3TestServer;
  let t: TestApp;
  let s3: StorageConnector;
  let op: string;
  let ext: string;
  const auth = (k: string): Record<string, string> => ({ Authorization: `Bearer ${k}` });

  before(async () => {
    server = await startS3Server();
    t = await startTestApp({
      config: {
        plugins: {
          settings: {
            'storage-s3': {
              enabled: true, endpoint: server.endpoint, bucket: server.bucket, prefix: 'colophon',
              credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
            },
            inventory: { defaultStorage: 's3' },
          },
        },
      },
    });
    const c = t.app.core.storage.get('s3');
    if (!c) throw new Error('storage-s3 not enabled');
    s3 = c;
    op = await t.key('digital-inventory-operator');
    ext = await t.key('digital-inventory-operator-extended');
  });
  after(async () => {
    await t?.close();
    await server?.close();
  });

  it('stores uploads in S3, makes thumbnails from a temporary copy, checks fixity and cleans up on delete', async () => {
    const titleId = (await t.http.post('/api/v1/titles').set(auth(op)).type('application/json').send({ title: 'On S3' })).body.id as string;
    const rep = await t.http.post(`/api/v1/titles/${titleId}/representations`).set(auth(op)).send({ usageType: 'primary' });
    expect(rep.body.storageConnectorId).to.equal('s3');
    const png = await sharp({ create: { width: 800, height: 200, channels: 3, background: '#246' } }).png().toBuffer();
    const up = await t.http.post(`/api/v1/representations/${rep.body.id}/files`).set(auth(op)).attach('file', png, 'strip.png');
    expect(up.status, JSON.stringify(up.body)).to.equal(201);
    expect(up.body).to.include({ mimeType: 'image/png', width: 800, height: 200, sha256: sha(png) });
    expect(await keys(s3, 'upload/')).to.deep.equal([]);
    expect(await keys(s3, `files/${rep.body.id}/`)).to.deep.equal([`files/${rep.body.id}/${up.body.id}`]);

    expect((await waitForThumbnail(t, up.body.id as string)).thumbnailStatus).to.equal('generated');
    const thumb = await t.http.get(`/thumbnails/files/${up.body.id}`).buffer(true);
    expect(thumb.status).to.equal(200);
    expect((await sharp(thumb.body as Buffer).metadata()).width).to.equal(300);

    const fx = await t.http.post(`/api/v1/files/${up.body.id}/fixity`).set(auth(op));
    expect(fx.body.fixity.status).to.equal('ok');

    const bad = await t.http.post(`/api/v1/representations/${rep.body.id}/files`).set(auth(op)).field('sha256', 'f'.repeat(64)).attach('file', png, 'again.png');
    expect(bad.status).to.equal(422);
    expect(await keys(s3, 'upload/')).to.deep.equal([]);

    expect((await t.http.delete(`/api/v1/titles/${titleId}`).set(auth(ext))).status).to.equal(204);
    expect(await keys(s3, `files/${rep.body.id}/`)).to.deep.equal([]);
    expect(await keys(s3, `thumbnails/${rep.body.id}/`)).to.deep.equal([]);
  });
});
