import { expect } from 'chai';
import {
  activitiesFromEvents,
  buildOrderedCollection,
  buildOrderedCollectionPage,
  DISCOVERY_CONTEXT,
  pageCount,
  type ActivityLookup,
  type ChangeEventLike,
} from '../../../../plugins/iiif-presentation/builders';
import { urls } from './presentation-fixtures';

/** The state the lookup reports: representations, titles, collections as they are now. */
interface World {
  reps: Record<string, { titleId: string; published: boolean; files?: string[] }>;
  titles: Record<string, { published: boolean }>;
  collections: Record<string, { published: boolean }>;
  profiles?: Record<string, string[]>;
}

function lookup(w: World): ActivityLookup {
  return {
    manifestId: (id) => urls.manifest(3, id),
    titleCollectionId: (id) => urls.titleCollection(3, id),
    collectionId: (id) => urls.collection(3, id),
    representation: (id) => {
      const r = w.reps[id];
      return r ? { titleId: r.titleId, published: r.published } : null;
    },
    representationOfFile: (fileId) => Object.entries(w.reps).find(([, r]) => r.files?.includes(fileId))?.[0] ?? null,
    representationsOfTitle: (titleId) => Object.entries(w.reps).filter(([, r]) => r.titleId === titleId).map(([id]) => id),
    title: (id) => w.titles[id] ?? null,
    collection: (id) => w.collections[id] ?? null,
    representationsOfProfile: (id) => w.profiles?.[id] ?? [],
  };
}

let seq = 0;
function ev(at: string, objectType: string, objectId: string, action: ChangeEventLike['action'], o: { titleId?: string; payload?: Record<string, unknown> } = {}): ChangeEventLike {
  return { seq: ++seq, at: new Date(at), objectType, objectId, action, titleId: o.titleId ?? null, payload: o.payload ?? null };
}

const T1 = '2024-05-01T10:00:00.000Z';
const T2 = '2024-05-01T10:05:00.000Z';
const T3 = '2024-05-02T08:00:00.000Z';

const WORLD: World = {
  reps: {
    r1: { titleId: 't1', published: true, files: ['f1', 'f2'] },
    r2: { titleId: 't1', published: false, files: ['f3'] },
    r3: { titleId: 't2', published: true },
  },
  titles: { t1: { published: true }, t2: { published: true }, t3: { published: false } },
  collections: { c1: { published: true }, c2: { published: false } },
  profiles: { p1: ['r1', 'r2'] },
};

const short = (acts: ReturnType<typeof activitiesFromEvents>): string[] =>
  acts.map((a) => `${a.type} ${a.object.type} ${a.object.id.replace('http://colophon.test/iiif/presentation/3/', '')} ${a.endTime}`);

describe('iiif-presentation builders: change discovery', function () {
  describe('activitiesFromEvents', function () {
    it('representations: create, update, delete of published ones map to their manifests', function () {
      const acts = activitiesFromEvents([
        ev(T1, 'representation', 'r1', 'create', { titleId: 't1' }),
        ev(T2, 'representation', 'r1', 'update', { titleId: 't1', payload: { fields: ['label'] } }),
        ev(T3, 'representation', 'r9', 'delete', { titleId: 't1' }),
      ], lookup(WORLD));
      expect(short(acts)).to.deep.equal([
        `Create Manifest r1/manifest ${T1}`,
        `Update Manifest r1/manifest ${T2}`,
        `Delete Manifest r9/manifest ${T3}`,
      ]);
    });

    it('an unpublished representation: deactivation is a Delete, other changes are not published', function () {
      const acts = activitiesFromEvents([
        ev(T1, 'representation', 'r2', 'create', { titleId: 't1' }),
        ev(T2, 'representation', 'r2', 'update', { titleId: 't1', payload: { fields: ['active'] } }),
        ev(T3, 'representation', 'r2', 'update', { titleId: 't1', payload: { fields: ['label'] } }),
        ev(T3, 'file', 'f3', 'update', { titleId: 't1' }),
      ], lookup(WORLD));
      expect(short(acts)).to.deep.equal([`Delete Manifest r2/manifest ${T2}`]);
    });

    it('a file change is an Update of its representation\'s manifest (from the payload or the lookup)', function () {
      const acts = activitiesFromEvents([
        ev(T1, 'file', 'f1', 'update', { titleId: 't1', payload: { fields: ['label'] } }),
        ev(T2, 'file', 'f-gone', 'delete', { titleId: 't1', payload: { representationId: 'r3' } }),
        ev(T3, 'file', 'f-unknown', 'update'),
      ], lookup(WORLD));
      expect(short(acts)).to.deep.equal([`Update Manifest r1/manifest ${T1}`, `Update Manifest r3/manifest ${T2}`]);
    });

    it('a title change updates its collection and each published manifest; suppression deletes them', function () {
      const acts = activitiesFromEvents([
        ev(T1, 'title', 't1', 'update', { titleId: 't1', payload: { record: true } }),
        ev(T2, 'title', 't1', 'update', { titleId: 't1', payload: { collection: 'c1', member: true } }),
        ev(T3, 'title', 't3', 'update', { titleId: 't3', payload: { suppressed: true } }),
      ], lookup({ ...WORLD, reps: { ...WORLD.reps, r4: { titleId: 't3', published: false } } }));
      expect(short(acts)).to.deep.equal([
        `Update Collection title/t1/collection ${T1}`,
        `Update Manifest r1/manifest ${T1}`,
        `Update Collection title/t1/collection ${T2}`,
        `Update Manifest r1/manifest ${T2}`,
        `Update Collection collection/c1 ${T2}`,
        `Delete Collection title/t3/collection ${T3}`,
        `Delete Manifest r4/manifest ${T3}`,
      ]);
    });

    it('title create/delete and collections', function () {
      const acts = activitiesFromEvents([
        ev(T1, 'title', 't2', 'create', { titleId: 't2' }),
        ev(T1, 'collection', 'c1', 'create'),
        ev(T2, 'collection', 'c2', 'update'),
        ev(T2, 'collection', 'c-gone', 'update'),
        ev(T3, 'title', 't-gone', 'delete', { titleId: 't-gone' }),
        ev(T3, 'collection', 'c-gone', 'delete'),
      ], lookup(WORLD));
      expect(short(acts)).to.deep.equal([
        `Create Collection title/t2/collection ${T1}`,
        `Create Collection collection/c1 ${T1}`,
        `Delete Collection collection/c2 ${T2}`,
        `Delete Collection title/t-gone/collection ${T3}`,
        `Delete Collection collection/c-gone ${T3}`,
      ]);
    });

    it('an access rights profile change updates the published manifests that use it', function () {
      const acts = activitiesFromEvents([ev(T1, 'access-rights-profile', 'p1', 'update'), ev(T2, 'user', 'u1', 'update')], lookup(WORLD));
      expect(short(acts)).to.deep.equal([`Update Manifest r1/manifest ${T1}`]);
    });

    it('collapses one unit of work\'s many events per object into one activity, oldest first', function () {
      const acts = activitiesFromEvents([
        // out of order on purpose: the stream is sorted by time
        ev(T2, 'file', 'f2', 'update', { titleId: 't1' }),
        ev(T1, 'representation', 'r1', 'create', { titleId: 't1' }),
        ev(T1, 'file', 'f1', 'create', { titleId: 't1', payload: { representationId: 'r1' } }),
        ev(T1, 'file', 'f2', 'create', { titleId: 't1', payload: { representationId: 'r1' } }),
        ev(T2, 'file', 'f1', 'update', { titleId: 't1' }),
        ev(T3, 'representation', 'r3', 'update', { titleId: 't2' }),
        ev(T3, 'representation', 'r3', 'delete', { titleId: 't2' }),
      ], lookup(WORLD));
      expect(short(acts)).to.deep.equal([
        `Create Manifest r1/manifest ${T1}`,
        `Update Manifest r1/manifest ${T2}`,
        `Delete Manifest r3/manifest ${T3}`,
      ]);
      const times = acts.map((a) => a.endTime);
      expect([...times].sort()).to.deep.equal(times);
    });
  });

  describe('documents', function () {
    it('the OrderedCollection links its first and last page', function () {
      const c = buildOrderedCollection({
        id: urls.discoveryCollection(), totalItems: 250, first: urls.discoveryPage(0), last: urls.discoveryPage(pageCount(250, 100) - 1),
        rights: 'http://creativecommons.org/publicdomain/zero/1.0/',
      });
      expect(c).to.deep.equal({
        '@context': DISCOVERY_CONTEXT,
        id: 'http://colophon.test/iiif/discovery/activity/all-changes',
        type: 'OrderedCollection',
        totalItems: 250,
        rights: 'http://creativecommons.org/publicdomain/zero/1.0/',
        first: { id: 'http://colophon.test/iiif/discovery/activity/page/0', type: 'OrderedCollectionPage' },
        last: { id: 'http://colophon.test/iiif/discovery/activity/page/2', type: 'OrderedCollectionPage' },
      });
      expect(pageCount(0, 100)).to.equal(1);
      expect(pageCount(200, 100)).to.equal(2);
    });

    it('a page: partOf, prev/next as typed references, startIndex, activities with endTime', function () {
      const items = activitiesFromEvents([ev(T1, 'representation', 'r1', 'create'), ev(T2, 'representation', 'r1', 'delete')], lookup(WORLD));
      const first = buildOrderedCollectionPage({ id: urls.discoveryPage(0), partOf: urls.discoveryCollection(), next: urls.discoveryPage(1), startIndex: 0, orderedItems: items });
      expect(first).to.deep.equal({
        '@context': DISCOVERY_CONTEXT,
        id: urls.discoveryPage(0),
        type: 'OrderedCollectionPage',
        startIndex: 0,
        partOf: { id: urls.discoveryCollection(), type: 'OrderedCollection' },
        next: { id: urls.discoveryPage(1), type: 'OrderedCollectionPage' },
        orderedItems: [
          { type: 'Create', object: { id: urls.manifest(3, 'r1'), type: 'Manifest' }, endTime: T1 },
          { type: 'Delete', object: { id: urls.manifest(3, 'r1'), type: 'Manifest' }, endTime: T2 },
        ],
      });
      const last = buildOrderedCollectionPage({ id: urls.discoveryPage(1), partOf: urls.discoveryCollection(), prev: urls.discoveryPage(0), startIndex: 2, orderedItems: items.slice(1) });
      expect(last).to.have.property('prev').that.deep.equals({ id: urls.discoveryPage(0), type: 'OrderedCollectionPage' });
      expect(last).to.not.have.property('next');
    });
  });
});
