// IIIF Change Discovery 1.0 through the real app: changes made through the staff API, then the
// OrderedCollection and its pages read as a harvester reads them (forwards from `first`, and
// backwards from `last` as §3.1 tells consumers to), checked for the shape the specification
// requires (https://iiif.io/api/discovery/1.0/, §3.1–3.3; there is no JSON Schema for it), for
// the activities the changes imply, and against the documents themselves: an object whose last
// activity is not Delete is served, one whose last activity is Delete is not.
import { expect } from 'chai';
import sharp from 'sharp';
import type { Response } from 'supertest';
import { ChangeEvent } from '../../../core/db/entities/change-event.entity';
import { waitForThumbnail } from '../../helpers/inventory-helpers';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const BASE = 'http://colophon.test';
const CONTEXT = 'http://iiif.io/api/discovery/1/context.json';
const MEDIA_TYPE = `application/ld+json;profile="${CONTEXT}"`;
const COLLECTION = `${BASE}/iiif/discovery/activity/all-changes`;
const PAGE = (n: number): string => `${BASE}/iiif/discovery/activity/page/${n}`;
/** xsd:dateTime in UTC, as the builders write it (Date#toISOString). */
const UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
type Json = Record<string, unknown>;

interface Activity {
  type: string;
  object: { id: string; type: string };
  endTime: string;
}

interface Page {
  '@context': string;
  id: string;
  type: string;
  partOf: { id: string; type: string };
  prev?: { id: string; type: string };
  next?: { id: string; type: string };
  orderedItems: Activity[];
}

describe('iiif-presentation Change Discovery 1.0 through the real app', function () {
  this.timeout(180_000);
  let t: TestApp;
  let key: string;
  const id: Record<string, string> = {};
  let jpeg: Buffer;

  const auth = (): Record<string, string> => ({ Authorization: `Bearer ${key}` });
  async function ok(res: Response, status = 201): Promise<Json> {
    expect(res.status, `${res.status} ${JSON.stringify(res.body)}`).to.equal(status);
    return res.body as Json;
  }
  const titleDc = async (dc: Json, collection?: string): Promise<string> =>
    (await ok(await t.http.post(`/api/v1/titles${collection ? `?collection=${collection}` : ''}`).set(auth()).type('application/json').send(dc))).id as string;
  const rep = async (titleId: string): Promise<string> =>
    (await ok(await t.http.post(`/api/v1/titles/${titleId}/representations`).set(auth()).send({ usageType: 'primary', label: 'Scans' }))).id as string;
  async function upload(repId: string, label: string): Promise<string> {
    const f = await ok(await t.http.post(`/api/v1/representations/${repId}/files`).set(auth()).field('label', label).attach('file', jpeg, 'p.jpg'));
    // The thumbnail job's own file update comes next: waiting keeps the log in a known order.
    await waitForThumbnail(t, f.id as string);
    return f.id as string;
  }

  /** GET a discovery document, checking the HTTP side every time. */
  async function getJson<T>(url: string): Promise<T> {
    expect(url.startsWith(BASE), url).to.equal(true);
    const res = await t.http.get(url.slice(BASE.length)).set('Origin', 'https://harvester.example.org');
    expect(res.status, `${url}: ${res.text}`).to.equal(200);
    expect(res.headers['content-type']).to.equal(MEDIA_TYPE);
    expect(res.headers['access-control-allow-origin']).to.equal('*');
    return JSON.parse(res.text) as T;
  }

  const manifest = (r: string): string => `${BASE}/iiif/presentation/3/${r}/manifest`;
  const titleCollection = (tid: string): string => `${BASE}/iiif/presentation/3/title/${tid}/collection`;
  const collection = (c: string): string => `${BASE}/iiif/presentation/3/collection/${c}`;

  before(async function () {
    t = await startTestApp({ config: { server: { baseUrl: BASE }, plugins: { settings: { 'iiif-presentation': { activityPageSize: 10 } } } } });
    key = await t.key('general-system-administrator');
    jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a6' } }).jpeg().toBuffer();

    id.maps = (await ok(await t.http.post('/api/v1/collections').set(auth()).send({ code: 'maps', name: 'Maps', published: true }))).id as string;
    id.titleA = await titleDc({ title: 'Atlas of the Coast', date: '1801' }, id.maps);
    id.repA = await rep(id.titleA);
    id.fileA1 = await upload(id.repA, 'Sheet 1');
    await upload(id.repA, 'Sheet 2');

    id.titleB = await titleDc({ title: 'A Herbal', date: '1699' });
    id.repB = await rep(id.titleB);
    await upload(id.repB, 'Leaf 1');

    // A representation of twelve files, deleted again: its file events name a representation
    // that no longer exists, so they make no activity, and a page of them alone would be empty.
    id.titleC = await titleDc({ title: 'Deleted scans' });
    id.repC = await rep(id.titleC);
    for (let i = 1; i <= 12; i++) await upload(id.repC, `Page ${i}`);
    await ok(await t.http.delete(`/api/v1/representations/${id.repC}`).set(auth()), 204);

    await ok(await t.http.patch(`/api/v1/files/${id.fileA1}`).set(auth()).send({ label: 'Sheet 1 (NW)' }), 200);
    await ok(await t.http.patch(`/api/v1/titles/${id.titleB}`).set(auth()).send({ suppressed: true }), 200);
    id.titleD = await titleDc({ title: 'Here and gone' });
    await ok(await t.http.delete(`/api/v1/titles/${id.titleD}`).set(auth()), 204);
    await ok(await t.http.patch(`/api/v1/collections/${id.maps}`).set(auth()).send({ published: false }), 200);
  });
  after(async () => t?.close());

  /** Every page from `first` along `next`, checked one by one. */
  async function walkForwards(): Promise<{ root: Json; pages: Page[] }> {
    const root = await getJson<Json>(COLLECTION);
    const first = (root.first as { id: string }).id;
    const pages: Page[] = [];
    for (let url: string | undefined = first; url; url = pages[pages.length - 1]?.next?.id) {
      expect(pages.length, 'pages until the end').to.be.lessThan(100);
      pages.push(await getJson<Page>(url));
    }
    return { root, pages };
  }

  it('the OrderedCollection: discovery @context, id, type, first and last pages (§3.1)', async () => {
    const root = await getJson<Json>(COLLECTION);
    expect(root['@context']).to.equal(CONTEXT);
    expect(root.id).to.equal(COLLECTION);
    expect(root.type).to.equal('OrderedCollection');
    for (const k of ['first', 'last'] as const) {
      const link = root[k] as Json;
      expect(Object.keys(link).sort(), k).to.deep.equal(['id', 'type']);
      expect(link.type).to.equal('OrderedCollectionPage');
      expect(link.id).to.match(/^http:\/\/colophon\.test\/iiif\/discovery\/activity\/page\/\d+$/);
    }
    if ('totalItems' in root) expect(root.totalItems).to.be.a('number').and.to.be.at.least(0);
    // Small pages (activityPageSize 10) over this many changes: several of them.
    expect(root.last).not.to.deep.equal(root.first);
  });

  it('pages: id, type, partOf; prev on all but the first and next on all but the last, consistent both ways; never an empty page (§3.2)', async () => {
    const { root, pages } = await walkForwards();
    expect(pages.length).to.be.at.least(3);
    expect(pages[0]?.id).to.equal((root.first as Json).id);
    expect(pages[pages.length - 1]?.id).to.equal((root.last as Json).id);
    pages.forEach((p, i) => {
      const where = `page ${p.id}`;
      expect(p['@context'], where).to.equal(CONTEXT);
      expect(p.type, where).to.equal('OrderedCollectionPage');
      expect(p.partOf, where).to.deep.equal({ id: COLLECTION, type: 'OrderedCollection' });
      if (i === 0) expect(p.prev, where).to.equal(undefined);
      else expect(p.prev, where).to.deep.equal({ id: pages[i - 1]?.id, type: 'OrderedCollectionPage' });
      if (i === pages.length - 1) expect(p.next, where).to.equal(undefined);
      else expect(p.next, where).to.deep.equal({ id: pages[i + 1]?.id, type: 'OrderedCollectionPage' });
      // §3.2 orderedItems: "an array, with at least one item".
      expect(p.orderedItems, where).to.be.an('array');
      expect(p.orderedItems.length, where).to.be.greaterThan(0);
      if ('startIndex' in p) expect((p as unknown as Json).startIndex).to.be.a('number');
    });
    // Ranges of the log whose events make no activity (the deleted representation's files) are
    // skipped by the links and not served: a page needs at least one item.
    const numbers = pages.map((p) => Number(/(\d+)$/.exec(p.id)?.[1]));
    const skipped = Array.from({ length: Math.max(...numbers) }, (_, i) => i + 1).filter((n) => !numbers.includes(n));
    expect(skipped.length, 'the twelve file uploads of the deleted representation fill at least one range').to.be.greaterThan(0);
    for (const n of skipped) expect((await t.http.get(PAGE(n).slice(BASE.length))).status, `page ${n}`).to.equal(404);
    // Backwards, as consumers read it: the same pages in reverse.
    const back: string[] = [];
    for (let url: string | undefined = (root.last as { id: string }).id; url; ) {
      const p: Page = await getJson<Page>(url);
      back.push(p.id);
      url = p.prev?.id;
    }
    expect(back).to.deep.equal(pages.map((p) => p.id).reverse());
  });

  it('activities: Create, Update or Delete of a Manifest or Collection with a UTC endTime, oldest first across all pages (§3.3)', async () => {
    const { pages } = await walkForwards();
    const all = pages.flatMap((p) => p.orderedItems);
    for (const a of all) {
      expect(Object.keys(a).sort(), JSON.stringify(a)).to.deep.equal(['endTime', 'object', 'type']);
      expect(a.type).to.be.oneOf(['Create', 'Update', 'Delete']);
      expect(Object.keys(a.object).sort()).to.deep.equal(['id', 'type']);
      expect(a.object.type).to.be.oneOf(['Manifest', 'Collection']);
      expect(a.object.id).to.match(/^http:\/\/colophon\.test\/iiif\/presentation\/3\//);
      expect(a.endTime).to.match(UTC);
    }
    const times = all.map((a) => Date.parse(a.endTime));
    expect(times, 'endTime never goes back').to.deep.equal([...times].sort((x, y) => x - y));
    // The times are those of the change log.
    const logged = new Set((await t.app.ds.getRepository(ChangeEvent).find()).map((e) => e.at.toISOString()));
    for (const a of all) expect(logged.has(a.endTime), a.endTime).to.equal(true);
    // At most one Create per object (the stream re-uses no URL here).
    const creates = all.filter((a) => a.type === 'Create').map((a) => a.object.id);
    expect(creates.length).to.equal(new Set(creates).size);
  });

  it('the changes made show as the activities they imply', async () => {
    const { pages } = await walkForwards();
    const all = pages.flatMap((p) => p.orderedItems);
    const of = (objectId: string): string[] => all.filter((a) => a.object.id === objectId).map((a) => a.type);
    const last = (objectId: string): string | undefined => of(objectId).at(-1);

    // Activities follow the objects' current state (builders/change-discovery): the collection is
    // unpublished now, so its creation is no longer announced, and its end is.
    expect(of(collection(id.maps as string))).to.include('Delete').and.not.to.include('Create');
    expect(last(collection(id.maps as string)), 'unpublished collection').to.equal('Delete');
    expect(of(titleCollection(id.titleA as string))[0]).to.equal('Create');
    expect(of(titleCollection(id.titleA as string))).not.to.include('Delete');
    expect(of(manifest(id.repA as string))[0]).to.equal('Create');
    expect(of(manifest(id.repA as string)).slice(1), 'file uploads, thumbnails and the label edit').to.include('Update').and.not.to.include('Delete');

    // The suppressed title: its collection and its manifest are deleted.
    expect(last(titleCollection(id.titleB as string))).to.equal('Delete');
    expect(last(manifest(id.repB as string))).to.equal('Delete');
    // The deleted representation: Delete, and nothing from its files after it.
    expect(last(manifest(id.repC as string))).to.equal('Delete');
    // A title created and deleted: Create, then Delete.
    expect(of(titleCollection(id.titleD as string))).to.deep.equal(['Create', 'Delete']);
  });

  it('the stream agrees with what is served: the last activity of each object is Delete exactly when its URL no longer answers', async () => {
    const { pages } = await walkForwards();
    const lastOf = new Map<string, string>();
    for (const a of pages.flatMap((p) => p.orderedItems)) lastOf.set(a.object.id, a.type);
    expect(lastOf.size).to.be.at.least(8);
    for (const [url, type] of lastOf) {
      const res = await t.http.get(url.slice(BASE.length));
      expect(res.status, `${type} ${url}`).to.equal(type === 'Delete' ? 404 : 200);
    }
  });

  it('a new change appears at the end of the last page, or on a new last page', async () => {
    const before = (await walkForwards()).pages.flatMap((p) => p.orderedItems).length;
    await ok(await t.http.put(`/api/v1/titles/${id.titleA}`).set(auth()).type('application/json').send({ title: 'Atlas of the Coast, 2nd ed.' }), 200);
    const { root } = await walkForwards();
    const lastPage = await getJson<Page>((root.last as { id: string }).id);
    const tail = lastPage.orderedItems.slice(-2).map((a) => `${a.type} ${a.object.id}`);
    expect(tail).to.have.members([`Update ${titleCollection(id.titleA as string)}`, `Update ${manifest(id.repA as string)}`]);
    const after = (await walkForwards()).pages.flatMap((p) => p.orderedItems).length;
    expect(after).to.equal(before + 2);
  });

  it('pages that do not exist: 404 in text with CORS, never 500; OPTIONS preflight', async () => {
    const root = await getJson<Json>(COLLECTION);
    const last = Number(/(\d+)$/.exec((root.last as { id: string }).id)?.[1]);
    for (const n of ['0', String(last + 1), '999999', 'abc', '1.5', '-1', '99999999999999999999']) {
      const res = await t.http.get(`/iiif/discovery/activity/page/${n}`);
      expect(res.status, n).to.equal(404);
      expect(res.headers['content-type'], n).to.match(/^text\/plain/);
      expect(res.headers['access-control-allow-origin'], n).to.equal('*');
    }
    for (const path of ['/iiif/discovery/activity/all-changes', PAGE(1).slice(BASE.length)]) {
      const pre = await t.http.options(path).set('Origin', 'https://h.example').set('Access-Control-Request-Method', 'GET');
      expect(pre.status, path).to.equal(204);
      expect(pre.headers['access-control-allow-origin']).to.equal('*');
    }
  });
});
