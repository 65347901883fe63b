import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { ChangeEvent } from '../../../core/db/entities/change-event.entity';
import { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import type { StorageConnector } from '../../../core/storage';
import { storedKeys, waitForThumbnail } from '../../helpers/inventory-helpers';
import { requireSharedData, sharedData } from '../../helpers/shared-data';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const PROBLEM = /^application\/problem\+json/;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

// Pyramids the iiif-image plugin makes in the background for earlier uploads are not the ingest's objects.
const keys = async (c: Parameters<typeof storedKeys>[0], prefix = ''): Promise<string[]> =>
  (await storedKeys(c, prefix)).filter((k) => !k.startsWith('derivatives/'));

describe('inventory: representations, files, ingest, thumbnails, fixity', function () {
  this.timeout(60_000);
  let t: TestApp;
  let op: string;
  let ext: string;
  let reader: string;
  let local: StorageConnector;
  let jpeg: Buffer;
  const auth = (k: string): Record<string, string> => ({ Authorization: `Bearer ${k}` });

  before(async function () {
    t = await startTestApp({
      config: {
        plugins: {
          settings: {
            inventory: {
              maxUploadBytes: 5 * 1024 * 1024,
              remoteRepositories: {
                dspace: {
                  name: 'DSpace at MIT',
                  deliveryUrlTemplate: 'https://dspace.mit.edu/handle/{prefix}/{suffix}',
                  thumbnailUrlTemplate: 'https://dspace.mit.edu/thumbs/{suffix}.jpg',
                  manifestUrlTemplate: 'https://dspace.mit.edu/iiif/{prefix}/{suffix}/manifest',
                },
              },
            },
          },
        },
      },
    });
    op = await t.key('digital-inventory-operator');
    ext = await t.key('digital-inventory-operator-extended');
    reader = await t.key('deposit-operator');
    const c = t.app.core.storage.get('local');
    if (!c) throw new Error('no local storage');
    local = c;
    jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 200, g: 40, b: 40 } } })
      .composite([{ input: Buffer.from('<svg width="640" height="480"><circle cx="320" cy="240" r="150" fill="navy"/></svg>') }])
      .jpeg()
      .toBuffer();
  });
  after(async () => t?.close());

  async function title(name = 'A book'): Promise<string> {
    const res = await t.http.post('/api/v1/titles').set(auth(op)).type('application/json').send({ title: name });
    return res.body.id as string;
  }
  async function rep(titleId: string, body: Record<string, unknown> = { usageType: 'primary', label: 'Scans' }): Promise<string> {
    const res = await t.http.post(`/api/v1/titles/${titleId}/representations`).set(auth(op)).send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.id as string;
  }
  function upload(repId: string, data: Buffer, filename: string, fields: Record<string, string> = {}) {
    let req = t.http.post(`/api/v1/representations/${repId}/files`).set(auth(op));
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    return req.attach('file', data, filename);
  }
  const waitThumbnail = (fileId: string): Promise<DigitalFile> => waitForThumbnail(t, fileId);

  it('uploads a file: 201, sha256 computed, type sniffed from content, dimensions read, event recorded', async () => {
    const titleId = await title();
    const repId = await rep(titleId);
    const before = (await t.http.get(`/api/v1/titles/${titleId}`).set(auth(reader))).body.datestamp as string;
    // The name and part type lie; the content decides.
    const res = await upload(repId, jpeg, 'page-1.pdf', { label: 'Page 1', sha256: sha(jpeg) });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ mimeType: 'image/jpeg', size: jpeg.length, sha256: sha(jpeg), width: 640, height: 480, label: 'Page 1', sequence: 1, originalName: 'page-1.pdf' });
    expect(res.headers.location).to.match(/\/api\/v1\/files\/[0-9a-f-]{36}$/);
    const stored = await t.http.get(`/api/v1/files/${res.body.id}/content`).set(auth(reader)).buffer(true).parse((r, cb) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => cb(null, Buffer.concat(parts)));
    });
    expect(sha(stored.body as Buffer)).to.equal(sha(jpeg));
    const ranged = await t.http.get(`/api/v1/files/${res.body.id}/content`).set(auth(reader)).set('Range', 'bytes=0-3');
    expect(ranged.status).to.equal(206);
    expect(ranged.headers['content-range']).to.equal(`bytes 0-3/${jpeg.length}`);
    expect(await t.app.ds.getRepository(ChangeEvent).countBy({ objectType: 'file', objectId: res.body.id, action: 'create' })).to.equal(1);
    const after = (await t.http.get(`/api/v1/titles/${titleId}`).set(auth(reader))).body.datestamp as string;
    expect(new Date(after).getTime()).to.be.greaterThan(new Date(before).getTime());

    const f = await waitThumbnail(res.body.id);
    expect(f.thumbnailStatus).to.equal('generated');
    const thumb = await t.http.get(`/thumbnails/files/${f.id}`).buffer(true);
    expect(thumb.status).to.equal(200);
    expect(thumb.type).to.equal('image/jpeg');
    const meta = await sharp(thumb.body as Buffer).metadata();
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).to.equal(300);
    const tv = await t.http.get(`/api/v1/titles/${titleId}`).set(auth(reader));
    expect(tv.body.thumbnail).to.equal(`http://colophon.test/thumbnails/files/${f.id}`);
    const redirect = await t.http.get(`/thumbnails/titles/${titleId}`);
    expect(redirect.status).to.equal(302);
  });

  it('refuses a checksum mismatch, an empty file, an oversize file and a missing file field, leaving nothing', async () => {
    const repId = await rep(await title());
    const rowsBefore = await t.app.ds.getRepository(DigitalFile).count();
    const objectsBefore = await keys(local);
    const bad = await upload(repId, jpeg, 'x.jpg', { sha256: '0'.repeat(64) });
    expect(bad.status).to.equal(422);
    expect(bad.type).to.match(PROBLEM);
    expect(bad.body.computed).to.equal(sha(jpeg));
    expect((await upload(repId, Buffer.alloc(0), 'empty.bin')).status).to.equal(422);
    const big = await upload(repId, Buffer.alloc(6 * 1024 * 1024, 7), 'big.bin');
    expect(big.status).to.equal(413);
    expect(big.type).to.match(PROBLEM);
    const none = await t.http.post(`/api/v1/representations/${repId}/files`).set(auth(op)).field('label', 'x');
    expect(none.status).to.equal(400);
    const notMultipart = await t.http.post(`/api/v1/representations/${repId}/files`).set(auth(op)).set('Content-Type', 'image/jpeg').send(jpeg);
    expect(notMultipart.status).to.equal(400);
    const corrupt = await upload(repId, Buffer.concat([jpeg.subarray(0, 200)]), 'cut.jpg');
    expect(corrupt.status, JSON.stringify(corrupt.body)).to.equal(422);
    expect(await t.app.ds.getRepository(DigitalFile).count()).to.equal(rowsBefore);
    expect(await keys(local)).to.deep.equal(objectsBefore);
  });

  it('leaves no object and no row when the client aborts mid-upload', async () => {
    const repId = await rep(await title());
    const rowsBefore = await t.app.ds.getRepository(DigitalFile).count();
    const objectsBefore = await keys(local);
    const server = t.app.koa.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as AddressInfo;
      const boundary = 'colophon-spec-boundary';
      await new Promise<void>((resolve) => {
        const req = httpRequest({
          host: '127.0.0.1', port, method: 'POST', path: `/api/v1/representations/${repId}/files`,
          headers: { ...auth(op), 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(4 * 1024 * 1024) },
        });
        req.on('error', () => resolve());
        req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
        req.write(Buffer.alloc(1024 * 1024, 1), () => setTimeout(() => { req.destroy(); resolve(); }, 200));
      });
      for (let i = 0; i < 50 && (await keys(local)).length !== objectsBefore.length; i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      server.close();
    }
    expect(await t.app.ds.getRepository(DigitalFile).count()).to.equal(rowsBefore);
    expect(await keys(local)).to.deep.equal(objectsBefore);
  });

  it('registers a file from the upload area and moves it into place', async () => {
    const repId = await rep(await title());
    await local.put('upload/batch-7/scan.jpg', Readable.from([jpeg]));
    const res = await t.http.post(`/api/v1/representations/${repId}/files`).set(auth(op)).send({ storageKey: 'upload/batch-7/scan.jpg', label: 'Scan' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ mimeType: 'image/jpeg', sha256: sha(jpeg), originalName: 'scan.jpg', width: 640 });
    expect(await local.head('upload/batch-7/scan.jpg')).to.equal(null);
    // A refused registration leaves the depositor's object where it was.
    await local.put('upload/batch-7/wrong.jpg', Readable.from([jpeg]));
    const refused = await t.http.post(`/api/v1/representations/${repId}/files`).set(auth(op)).send({ storageKey: 'upload/batch-7/wrong.jpg', sha256: '0'.repeat(64) });
    expect(refused.status).to.equal(422);
    expect(await local.head('upload/batch-7/wrong.jpg')).to.not.equal(null);
    expect(await keys(local, 'upload/.staging/')).to.deep.equal([]);
    const outside = await t.http.post(`/api/v1/representations/${repId}/files`).set(auth(op)).send({ storageKey: `files/${repId}/x` });
    expect(outside.status).to.equal(422);
    const missing = await t.http.post(`/api/v1/representations/${repId}/files`).set(auth(op)).send({ storageKey: 'upload/nothing-here' });
    expect(missing.status).to.equal(404);
    const traversal = await t.http.post(`/api/v1/representations/${repId}/files`).set(auth(op)).send({ storageKey: 'upload/../../etc/passwd' });
    expect(traversal.status).to.equal(400);
  });

  it('reorders, relabels and deletes files, renumbering the rest and removing stored objects', async () => {
    const repId = await rep(await title());
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await upload(repId, await sharp(jpeg).resize(100 + i).jpeg().toBuffer(), `p${i}.jpg`)).body.id as string);
    const [a = '', b = '', c = ''] = ids;
    const order = await t.http.put(`/api/v1/representations/${repId}/files/order`).set(auth(op)).send({ fileIds: [c, a, b] });
    expect(order.status).to.equal(200);
    expect(order.body.map((f: { id: string; sequence: number }) => [f.id, f.sequence])).to.deep.equal([[c, 1], [a, 2], [b, 3]]);
    expect((await t.http.put(`/api/v1/representations/${repId}/files/order`).set(auth(op)).send({ fileIds: [c, a] })).status).to.equal(422);
    expect((await t.http.put(`/api/v1/representations/${repId}/files/order`).set(auth(op)).send({ fileIds: [c, a, a] })).status).to.equal(422);
    const patched = await t.http.patch(`/api/v1/files/${a}`).set(auth(op)).send({ label: 'Frontispiece', section: 'Front matter' });
    expect(patched.body).to.include({ label: 'Frontispiece', section: 'Front matter' });
    await waitThumbnail(a);
    const fa = await t.app.ds.getRepository(DigitalFile).findOneByOrFail({ id: a });
    expect((await t.http.delete(`/api/v1/files/${a}`).set(auth(op))).status).to.equal(403);
    expect((await t.http.delete(`/api/v1/files/${a}`).set(auth(ext))).status).to.equal(204);
    expect(await local.head(fa.storageKey)).to.equal(null);
    const rest = await t.http.get(`/api/v1/representations/${repId}/files`).set(auth(reader));
    expect(rest.body.map((f: { id: string; sequence: number }) => [f.id, f.sequence])).to.deep.equal([[c, 1], [b, 2]]);
  });

  it('deleting a representation removes its files and objects', async () => {
    const repId = await rep(await title());
    const f = (await upload(repId, jpeg, 'x.jpg')).body as { id: string };
    await waitThumbnail(f.id);
    expect((await keys(local, `files/${repId}/`)).length).to.equal(1);
    expect((await t.http.delete(`/api/v1/representations/${repId}`).set(auth(ext))).status).to.equal(204);
    expect(await keys(local, `files/${repId}/`)).to.deep.equal([]);
    expect(await keys(local, `thumbnails/${repId}/`)).to.deep.equal([]);
    expect((await t.http.get(`/api/v1/files/${f.id}`).set(auth(reader))).status).to.equal(404);
  });

  it('builds remote representations from the repository templates and linking parameters', async () => {
    const titleId = await title('Remote thesis');
    const res = await t.http.post(`/api/v1/titles/${titleId}/representations`).set(auth(op)).send({
      usageType: 'primary', label: 'In DSpace', remote: { repository: 'dspace', linkingParameters: { prefix: '1721.1', suffix: '140694' }, originatingRecordId: 'oai:dspace.mit.edu:1721.1/140694' },
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.remote).to.deep.include({
      deliveryUrl: 'https://dspace.mit.edu/handle/1721.1/140694',
      thumbnailUrl: 'https://dspace.mit.edu/thumbs/140694.jpg',
      manifestUrl: 'https://dspace.mit.edu/iiif/1721.1/140694/manifest',
    });
    expect(res.body.storageConnectorId).to.equal(null);
    const tv = await t.http.get(`/api/v1/titles/${titleId}`).set(auth(reader));
    expect(tv.body.thumbnail).to.equal('https://dspace.mit.edu/thumbs/140694.jpg');
    const files = await upload(res.body.id as string, jpeg, 'x.jpg');
    expect(files.status).to.equal(409);
    const missingParam = await t.http.post(`/api/v1/titles/${titleId}/representations`).set(auth(op)).send({ usageType: 'primary', remote: { repository: 'dspace', linkingParameters: { prefix: '1' } } });
    expect(missingParam.status).to.equal(422);
    expect(missingParam.body.detail).to.contain('suffix');
    const unknownRepo = await t.http.post(`/api/v1/titles/${titleId}/representations`).set(auth(op)).send({ usageType: 'primary', remote: { repository: 'nope' } });
    expect(unknownRepo.status).to.equal(422);
  });

  it('chooses the title thumbnail like Alma: first derivative, else primary; a staff thumbnail wins and is kept', async () => {
    const titleId = await title('Thumbnail choice');
    const primary = await rep(titleId, { usageType: 'primary' });
    const pf = (await upload(primary, jpeg, 'p.jpg')).body as { id: string };
    await waitThumbnail(pf.id);
    expect((await t.http.get(`/api/v1/titles/${titleId}`).set(auth(reader))).body.thumbnail).to.contain(`/thumbnails/files/${pf.id}`);
    const derivative = await rep(titleId, { usageType: 'derivative' });
    const df = (await upload(derivative, jpeg, 'd.jpg')).body as { id: string };
    await waitThumbnail(df.id);
    expect((await t.http.get(`/api/v1/titles/${titleId}`).set(auth(reader))).body.thumbnail).to.contain(`/thumbnails/files/${df.id}`);
    const staff = await sharp({ create: { width: 50, height: 80, channels: 3, background: '#0a0' } }).png().toBuffer();
    expect((await t.http.put(`/api/v1/representations/${derivative}/thumbnail`).set(auth(op)).set('Content-Type', 'image/png').send(staff)).status).to.equal(204);
    expect((await t.http.get(`/api/v1/titles/${titleId}`).set(auth(reader))).body.thumbnail).to.contain(`/thumbnails/representations/${derivative}`);
    const img = await t.http.get(`/thumbnails/representations/${derivative}`).buffer(true);
    expect(img.status).to.equal(200);
    expect((await sharp(img.body as Buffer).metadata()).height).to.equal(80);
    // A staff file thumbnail is never replaced by the job.
    expect((await t.http.put(`/api/v1/files/${pf.id}/thumbnail`).set(auth(op)).set('Content-Type', 'image/png').send(staff)).status).to.equal(204);
    await t.app.scheduler.runNow('inventory.thumbnails').catch(() => undefined);
    expect((await t.app.ds.getRepository(DigitalFile).findOneByOrFail({ id: pf.id })).thumbnailStatus).to.equal('staff');
    expect((await t.http.put(`/api/v1/files/${pf.id}/thumbnail`).set(auth(op)).set('Content-Type', 'text/plain').send('x')).status).to.equal(415);
    expect((await t.http.put(`/api/v1/files/${pf.id}/thumbnail`).set(auth(op)).set('Content-Type', 'image/png').send(Buffer.from('not a png'))).status).to.equal(422);
  });

  it('fixity: the job finds content that changed or vanished, and reports it in the JobRun and the API', async () => {
    const repId = await rep(await title('Fixity'));
    const good = (await upload(repId, jpeg, 'good.jpg')).body as { id: string };
    const changed = (await upload(repId, await sharp(jpeg).resize(200).jpeg().toBuffer(), 'changed.jpg')).body as { id: string };
    const gone = (await upload(repId, await sharp(jpeg).resize(300).jpeg().toBuffer(), 'gone.jpg')).body as { id: string };
    const repo = t.app.ds.getRepository(DigitalFile);
    await local.put((await repo.findOneByOrFail({ id: changed.id })).storageKey, Readable.from([Buffer.from('bit rot')]));
    await local.delete((await repo.findOneByOrFail({ id: gone.id })).storageKey);
    const run = await t.app.scheduler.runNow('inventory.fixity');
    expect(run.status).to.equal('succeeded');
    expect(run.message).to.match(/mismatch 1, missing 1/);
    expect(run.message).to.contain(changed.id).and.contain(gone.id);
    expect((await repo.findOneByOrFail({ id: good.id })).fixityStatus).to.equal('ok');
    const report = await t.http.get('/api/v1/fixity').set(auth(reader));
    expect(report.status).to.equal(200);
    const byId = new Map((report.body.items as { id: string; fixity: { status: string } }[]).map((f) => [f.id, f.fixity.status]));
    expect(byId.get(changed.id)).to.equal('mismatch');
    expect(byId.get(gone.id)).to.equal('missing');
    expect(byId.has(good.id)).to.equal(false);
    const one = await t.http.post(`/api/v1/files/${good.id}/fixity`).set(auth(op));
    expect(one.body.fixity.status).to.equal('ok');
  });

  describe('thumbnails of real files from ../shared/data', function () {
    before(function () {
      requireSharedData(this);
    });
    const cases: [string, string[], string][] = [
      ['JPEG', ['images', 'collectionbuilder-uidaho-postcard-1910.jpg'], 'image/jpeg'],
      ['TIFF', ['images', 'kant-berlinische-monatsschrift-1784-p17.tif'], 'image/tiff'],
      ['JPEG 2000', ['images', 'iiif-validator-67352ccc-d1b0-11e1-89ae-279075081939.jp2'], 'image/jp2'],
      ['PNG', ['images', 'iiif-validator-67352ccc-d1b0-11e1-89ae-279075081939.png'], 'image/png'],
      ['PDF', ['docs', 'cantaloupe-pdf-multipage.pdf'], 'application/pdf'],
      ['MP4', ['docs', 'mdn-rabbit320.mp4'], 'video/mp4'],
      ['MP3', ['docs', 'mdn-bear.mp3'], 'audio/mpeg'],
    ];
    for (const [kind, path, mime] of cases) {
      it(`${kind}: ingested with technical metadata, thumbnail made by the job`, async function () {
        const data = readFileSync(sharedData(...path));
        if (data.length > 5 * 1024 * 1024) this.skip();
        const repId = await rep(await title(kind));
        const res = await upload(repId, data, path[path.length - 1] ?? 'x');
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        expect(res.body.mimeType).to.equal(mime);
        if (mime.startsWith('image/')) expect(res.body.width).to.be.greaterThan(0);
        if (mime === 'application/pdf') expect(res.body.pageCount).to.be.greaterThan(1);
        if (/^(audio|video)\//.test(mime)) expect(res.body.duration).to.be.greaterThan(0);
        const f = await waitThumbnail(res.body.id as string);
        expect(f.thumbnailStatus, kind).to.equal('generated');
        const thumb = await t.http.get(`/thumbnails/files/${f.id}`).buffer(true);
        expect(thumb.status).to.equal(200);
        const meta = await sharp(thumb.body as Buffer).metadata();
        expect(Math.max(meta.width ?? 0, meta.height ?? 0)).to.be.within(1, 300);
      });
    }
  });
});
