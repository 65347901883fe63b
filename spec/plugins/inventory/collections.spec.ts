import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { ChangeEvent } from '../../../core/db/entities/change-event.entity';
import { Title } from '../../../core/db/entities/title.entity';
import { startTestApp, type TestApp } from '../../helpers/test-app';

interface CollectionBody {
  id: string;
  code: string;
  name: string;
  path: string;
  parentId: string | null;
  published: boolean;
}

const PROBLEM = /^application\/problem\+json/;

describe('inventory: collections', function () {
  let t: TestApp;
  let writer: string;
  let reader: string;

  before(async function () {
    t = await startTestApp();
    writer = await t.key('collection-inventory-operator');
    reader = await t.key('digital-inventory-operator');
  });

  after(async function () {
    await t?.close();
  });

  const auth = (key: string): Record<string, string> => ({ Authorization: `Bearer ${key}` });

  function post(body: unknown): Promise<Response> {
    return t.http.post('/api/v1/collections').set(auth(writer)).send(body as object);
  }

  async function create(code: string, parentId?: string, extra: Record<string, unknown> = {}): Promise<CollectionBody> {
    const res = await post({ code, name: `Collection ${code}`, parentId, ...extra });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as CollectionBody;
  }

  async function fetchCollection(id: string): Promise<CollectionBody> {
    const res = await t.http.get(`/api/v1/collections/${id}`).set(auth(reader));
    expect(res.status).to.equal(200);
    return res.body as CollectionBody;
  }

  async function insertTitle(displayTitle: string, opts: { suppressed?: boolean; datestamp?: Date } = {}): Promise<Title> {
    const repo = t.app.ds.getRepository(Title);
    return repo.save(
      repo.create({
        sourceFormat: 'dc',
        sourceRecord: '<x/>',
        sourceId: null,
        dc: { title: [displayTitle] },
        displayTitle,
        suppressed: opts.suppressed ?? false,
        datestamp: opts.datestamp ?? new Date('2020-01-01T00:00:00.000Z'),
      }),
    );
  }

  describe('POST /api/v1/collections', function () {
    it('creates a root and a child collection', async function () {
      const res = await post({ code: 'maps', name: 'Maps', published: true });
      expect(res.status).to.equal(201);
      const root = res.body as CollectionBody;
      expect(root.id).to.be.a('string');
      expect(root).to.include({ code: 'maps', name: 'Maps', path: 'maps', parentId: null, published: true });
      expect(res.headers.location).to.equal(`http://colophon.test/api/v1/collections/${root.id}`);

      const res2 = await post({ code: 'atlases', name: 'Atlases', parentId: root.id });
      expect(res2.status).to.equal(201);
      const child = res2.body as CollectionBody;
      expect(child.id).to.be.a('string');
      expect(child).to.include({ path: 'maps:atlases', parentId: root.id });
      expect(res2.headers.location).to.equal(`http://colophon.test/api/v1/collections/${child.id}`);

      expect(await fetchCollection(child.id)).to.include({ code: 'atlases', path: 'maps:atlases' });
    });

    it('answers 409 problem+json for a code in use', async function () {
      await create('dup');
      const res = await post({ code: 'dup', name: 'Again' });
      expect(res.status).to.equal(409);
      expect(res.headers['content-type']).to.match(PROBLEM);
      expect(res.body).to.include({ status: 409, code: 'inventory.code-taken' });
    });

    for (const code of ['a:b', 'with space', '', 'x'.repeat(65)]) {
      it(`answers 400 problem+json naming the field for code ${JSON.stringify(code.length > 20 ? `${code.slice(0, 5)}…` : code)}`, async function () {
        const res = await post({ code, name: 'Bad' });
        expect(res.status).to.equal(400);
        expect(res.headers['content-type']).to.match(PROBLEM);
        const body = res.body as { detail: string; errors: { pointer: string }[] };
        expect(body.detail).to.match(/^code\b/);
        expect(body.errors.map((e) => e.pointer)).to.include('/code');
      });
    }

    it('answers 400 problem+json for malformed JSON', async function () {
      const res = await t.http
        .post('/api/v1/collections')
        .set(auth(writer))
        .set('Content-Type', 'application/json')
        .send('{"code": "broken", ');
      expect(res.status).to.equal(400);
      expect(res.headers['content-type']).to.match(PROBLEM);
    });

    it('answers 404 for a parent that does not exist', async function () {
      const res = await post({ code: 'orphan', name: 'Orphan', parentId: randomUUID() });
      expect(res.status).to.equal(404);
      expect(res.headers['content-type']).to.match(PROBLEM);
    });

    it('refuses a key without collections:manage (403)', async function () {
      const res = await t.http.post('/api/v1/collections').set(auth(reader)).send({ code: 'nope', name: 'Nope' });
      expect(res.status).to.equal(403);
      expect(res.headers['content-type']).to.match(PROBLEM);
    });

    it('refuses a request without a key (401)', async function () {
      const res = await t.http.post('/api/v1/collections').send({ code: 'nope', name: 'Nope' });
      expect(res.status).to.equal(401);
    });
  });

  describe('GET /api/v1/collections', function () {
    it('lists the collections in path order', async function () {
      const z = await create('zz-list');
      await create('aa-list');
      await create('mm', z.id);
      const res = await t.http.get('/api/v1/collections').set(auth(reader));
      expect(res.status).to.equal(200);
      const paths = (res.body as CollectionBody[]).map((c) => c.path);
      expect(paths).to.include.members(['zz-list', 'aa-list', 'zz-list:mm']);
      expect(paths).to.deep.equal([...paths].sort());
    });
  });

  describe('PATCH /api/v1/collections/:id', function () {
    it('moves a collection with its descendants under another one', async function () {
      const from = await create('move-from');
      const to = await create('move-to');
      const branch = await create('branch', from.id);
      const leaf = await create('leaf', branch.id);
      const deep = await create('deep', leaf.id);

      const res = await t.http.patch(`/api/v1/collections/${branch.id}`).set(auth(writer)).send({ parentId: to.id });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ path: 'move-to:branch', parentId: to.id });
      expect((await fetchCollection(leaf.id)).path).to.equal('move-to:branch:leaf');
      expect((await fetchCollection(deep.id)).path).to.equal('move-to:branch:leaf:deep');
      expect((await fetchCollection(from.id)).path).to.equal('move-from');

      const back = await t.http.patch(`/api/v1/collections/${branch.id}`).set(auth(writer)).send({ parentId: null });
      expect(back.status).to.equal(200);
      expect(back.body).to.include({ path: 'branch', parentId: null });
      expect((await fetchCollection(deep.id)).path).to.equal('branch:leaf:deep');
    });

    it('moves only the descendants, not collections whose path merely looks alike', async function () {
      // '_' is allowed in codes and is a LIKE wildcard: "a_b:%" also matches "axb:...".
      const ab = await create('a_b');
      const abChild = await create('kid1', ab.id);
      const axb = await create('axb');
      const axbChild = await create('kid2', axb.id);
      const target = await create('target');

      const res = await t.http.patch(`/api/v1/collections/${ab.id}`).set(auth(writer)).send({ parentId: target.id });
      expect(res.status).to.equal(200);
      expect((await fetchCollection(abChild.id)).path).to.equal('target:a_b:kid1');
      expect((await fetchCollection(axbChild.id)).path).to.equal('axb:kid2');
    });

    it('answers 409 when moving a collection under its own descendant', async function () {
      const top = await create('cyc-top');
      const mid = await create('cyc-mid', top.id);
      const low = await create('cyc-low', mid.id);
      for (const parentId of [low.id, mid.id, top.id]) {
        const res = await t.http.patch(`/api/v1/collections/${top.id}`).set(auth(writer)).send({ parentId });
        expect(res.status, parentId).to.equal(409);
        expect(res.headers['content-type']).to.match(PROBLEM);
        expect(res.body).to.include({ code: 'inventory.cycle' });
      }
      expect((await fetchCollection(low.id)).path).to.equal('cyc-top:cyc-mid:cyc-low');
    });
  });

  describe('DELETE /api/v1/collections/:id', function () {
    it('answers 409 for a collection with children, and deletes a leaf', async function () {
      const parent = await create('del-parent');
      const child = await create('del-child', parent.id);

      const refused = await t.http.delete(`/api/v1/collections/${parent.id}`).set(auth(writer));
      expect(refused.status).to.equal(409);
      expect(refused.headers['content-type']).to.match(PROBLEM);
      expect(refused.body).to.include({ code: 'inventory.has-children' });

      const gone = await t.http.delete(`/api/v1/collections/${child.id}`).set(auth(writer));
      expect(gone.status).to.equal(204);
      const after = await t.http.get(`/api/v1/collections/${child.id}`).set(auth(reader));
      expect(after.status).to.equal(404);
      expect(after.headers['content-type']).to.match(PROBLEM);

      expect((await t.http.delete(`/api/v1/collections/${parent.id}`).set(auth(writer))).status).to.equal(204);
    });
  });

  describe('titles in collections', function () {
    let coll: CollectionBody;
    let title: Title;

    before(async function () {
      coll = await create('members', undefined, { published: true });
      title = await insertTitle('A Member Title');
    });

    it('PUT /api/v1/collections/:id/titles/:titleId adds the title, bumps its datestamp and records a change', async function () {
      const stampBefore = title.datestamp.getTime();
      const res = await t.http.put(`/api/v1/collections/${coll.id}/titles/${title.id}`).set(auth(writer));
      expect(res.status).to.equal(204);

      const reloaded = await t.app.ds.getRepository(Title).findOneByOrFail({ id: title.id });
      expect(reloaded.datestamp.getTime()).to.be.greaterThan(stampBefore);
      const events = await t.app.ds.getRepository(ChangeEvent).find({ where: { titleId: title.id } });
      expect(events).to.have.length(1);
      expect(events[0]).to.include({ objectType: 'title', objectId: title.id, action: 'update' });
      expect(events[0]?.at.getTime()).to.equal(reloaded.datestamp.getTime());

      // Adding again is a no-op.
      const again = await t.http.put(`/api/v1/collections/${coll.id}/titles/${title.id}`).set(auth(writer));
      expect(again.status).to.equal(204);
      expect(await t.app.ds.getRepository(ChangeEvent).count({ where: { titleId: title.id } })).to.equal(1);
    });

    it('answers 404 for an unknown title or collection', async function () {
      const noTitle = await t.http.put(`/api/v1/collections/${coll.id}/titles/${randomUUID()}`).set(auth(writer));
      expect(noTitle.status).to.equal(404);
      expect(noTitle.headers['content-type']).to.match(PROBLEM);
      expect(noTitle.body).to.include({ code: 'inventory.title-not-found' });

      const noColl = await t.http.put(`/api/v1/collections/${randomUUID()}/titles/${title.id}`).set(auth(writer));
      expect(noColl.status).to.equal(404);
      expect(noColl.body).to.include({ code: 'inventory.collection-not-found' });
    });

    it('GET /api/v1/titles?collection= lists the members', async function () {
      await insertTitle('Not A Member');
      const res = await t.http.get('/api/v1/titles').query({ collection: coll.id }).set(auth(reader));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const body = res.body as { total: number; items: { id: string; title: string }[] };
      expect(body.total).to.equal(1);
      expect(body.items.map((i) => i.id)).to.deep.equal([title.id]);
    });

    it('GET /api/v1/titles/:id shows the title\'s collections', async function () {
      const res = await t.http.get(`/api/v1/titles/${title.id}`).set(auth(reader));
      expect(res.status).to.equal(200);
      const body = res.body as { id: string; title: string; collections: { id: string; code: string; path: string }[] };
      expect(body).to.include({ id: title.id, title: 'A Member Title' });
      expect(body.collections).to.deep.equal([{ id: coll.id, code: 'members', path: 'members', name: 'Collection members' }]);
    });

    it('GET /api/v1/titles/:id answers 404 problem+json for an unknown id', async function () {
      const res = await t.http.get(`/api/v1/titles/${randomUUID()}`).set(auth(reader));
      expect(res.status).to.equal(404);
      expect(res.headers['content-type']).to.match(PROBLEM);
      expect(res.body).to.include({ status: 404, code: 'inventory.title-not-found' });
    });

    it('DELETE /api/v1/collections/:id/titles/:titleId removes the title', async function () {
      const other = await create('members-2');
      await t.http.put(`/api/v1/collections/${other.id}/titles/${title.id}`).set(auth(writer)).expect(204);
      const res = await t.http.delete(`/api/v1/collections/${other.id}/titles/${title.id}`).set(auth(writer));
      expect(res.status).to.equal(204);
      const shown = await t.http.get(`/api/v1/titles/${title.id}`).set(auth(reader));
      expect((shown.body as { collections: { code: string }[] }).collections.map((c) => c.code)).to.deep.equal(['members']);
    });
  });

  describe('GET / (public home page)', function () {
    it('lists non-suppressed titles and hides suppressed ones, without a key', async function () {
      await insertTitle('Shown <Title> & Co');
      await insertTitle('Hidden Suppressed Title', { suppressed: true });
      const res = await t.http.get('/');
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expect(res.text).to.contain('Shown &lt;Title&gt; &amp; Co');
      expect(res.text).to.not.contain('Hidden Suppressed Title');
    });
  });
});
