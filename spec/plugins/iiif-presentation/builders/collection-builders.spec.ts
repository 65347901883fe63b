import { expect } from 'chai';
import {
  buildCollection2,
  buildCollection3,
  manifestReference2,
  manifestReference3,
  PRESENTATION2_CONTEXT,
  PRESENTATION3_CONTEXT,
  type CollectionItemSource,
  type CollectionSource,
  type PresentationVersion,
} from '../../../../plugins/iiif-presentation/builders';
import { ColophonError } from '../../../../core/errors';
import { parseWithIiifParser, parseWithManifesto, requirePresentationSchema, validatePresentation3 } from '../../../helpers/iiif-validation';
import { bookSource, pdfSource, remoteSource, urls } from './presentation-fixtures';

type Obj = Record<string, unknown>;
const arr = (x: unknown): Obj[] => x as Obj[];

const PROVIDER = { id: 'https://ror.example.org/0colophon', label: { en: ['Colophon State Library'] }, homepage: 'https://library.example.org/' };

/** Manifests of n titles, as the loader lists the titles of a collection. */
function manifests(v: PresentationVersion, n: number): CollectionItemSource[] {
  return Array.from({ length: n }, (_, i) => ({
    id: urls.manifest(v, `r-${i + 1}`),
    type: 'Manifest' as const,
    label: { de: [`Heft ${i + 1}`] },
    thumbnail: { url: urls.fileThumbnail(`f-${i + 1}`), format: 'image/jpeg', imageService: { v3: urls.imageService(3, `f-${i + 1}`), v2: urls.imageService(2, `f-${i + 1}`) } },
  }));
}

/** The "newspapers" collection: two sub-collections, then the manifests of its titles. */
function newspapers(v: PresentationVersion, n: number): CollectionSource {
  return {
    id: urls.collection(v, 'c-news'),
    label: { en: ['Newspapers'], de: ['Zeitungen'] },
    summary: 'Daily and weekly papers, 1839–1945.',
    items: [
      { id: urls.collection(v, 'c-daily'), type: 'Collection', label: 'Daily papers' },
      { id: urls.collection(v, 'c-weekly'), type: 'Collection', label: 'Weekly papers' },
      ...manifests(v, n),
    ],
    partOf: [{ id: urls.topCollection(v), label: 'Colophon' }],
    provider: PROVIDER,
    attribution: 'Colophon State Library',
    homepage: { url: 'http://colophon.test/collections/news', label: { en: ['Newspapers'] } },
  };
}

/** A title collection: its representations' manifests, local and remote (as the loader lists them). */
function titleCollection3(): Obj {
  const items = [manifestReference3(bookSource(), 'Scans, 400 dpi'), manifestReference3(pdfSource(true)), manifestReference3(remoteSource(true)), manifestReference3(remoteSource(false))]
    .filter((x): x is Obj => x !== null);
  return buildCollection3({
    id: urls.titleCollection(3, 't-book'),
    label: { de: ['Die Gartenlaube'] },
    items: items.map((i) => {
      const home = (i.homepage as Obj[] | undefined)?.[0];
      return {
        id: i.id as string, type: 'Manifest' as const, label: i.label as Record<string, string[]>,
        ...(home ? { homepage: { url: home.id as string, label: home.label as Record<string, string[]> } } : {}),
      };
    }),
    partOf: [{ id: urls.collection(3, 'c-news'), label: 'Newspapers' }],
  });
}

function topCollection3(): Obj {
  return buildCollection3({
    id: urls.topCollection(3),
    label: 'Colophon',
    items: [{ id: urls.collection(3, 'c-news'), type: 'Collection', label: 'Newspapers', summary: { en: ['Papers'] } }],
    provider: PROVIDER,
    thumbnail: { url: 'http://colophon.test/static/logo.png', format: 'image/png' },
    top: true,
  });
}

function expectParsed(doc: Obj, members: number): void {
  const p = parseWithIiifParser(doc);
  expect(p.issues).to.deep.equal([]);
  const m = parseWithManifesto(doc);
  expect(m.issues).to.deep.equal([]);
  expect(m.type).to.equal('collection');
  expect(m.members).to.equal(members);
}

describe('iiif-presentation builders: collections', function () {
  describe('3.0', function () {
    it('a collection lists its sub-collections, then its manifests, by reference with thumbnails', function () {
      const c = buildCollection3(newspapers(3, 3));
      expect(c).to.include({ '@context': PRESENTATION3_CONTEXT, id: urls.collection(3, 'c-news'), type: 'Collection' });
      expect(arr(c.items).map((i) => [i.type, i.id])).to.deep.equal([
        ['Collection', urls.collection(3, 'c-daily')], ['Collection', urls.collection(3, 'c-weekly')],
        ['Manifest', urls.manifest(3, 'r-1')], ['Manifest', urls.manifest(3, 'r-2')], ['Manifest', urls.manifest(3, 'r-3')],
      ]);
      expect(arr(c.items)[2]).to.deep.equal({
        id: urls.manifest(3, 'r-1'), type: 'Manifest', label: { de: ['Heft 1'] },
        thumbnail: [{ id: urls.fileThumbnail('f-1'), type: 'Image', format: 'image/jpeg', service: [{ id: urls.imageService(3, 'f-1'), type: 'ImageService3', profile: 'level2' }] }],
      });
      expect(c.partOf).to.deep.equal([{ id: urls.topCollection(3), type: 'Collection', label: { none: ['Colophon'] } }]);
      expect(c.requiredStatement).to.deep.equal({ label: { en: ['Attribution'] }, value: { none: ['Colophon State Library'] } });
      expect(arr(c.provider)[0]).to.include({ id: PROVIDER.id, type: 'Agent' });
      expectParsed(c, 5);
    });

    it('is valid against the schema, paged or not', function () {
      requirePresentationSchema(this);
      const src = newspapers(3, 5);
      for (const doc of [buildCollection3(src), buildCollection3(src, { pageSize: 2 }), buildCollection3(src, { pageSize: 2, page: 3 }), titleCollection3(), topCollection3()]) {
        expect(validatePresentation3(doc).slice(0, 3)).to.deep.equal([]);
      }
      expect(validatePresentation3({ ...buildCollection3(src), label: 'not a language map' })).to.not.deep.equal([]);
    });

    it('a large collection becomes its sub-collections plus one page collection per page', function () {
      const src = newspapers(3, 5);
      const index = buildCollection3(src, { pageSize: 2 });
      expect(index.id).to.equal(src.id);
      expect(arr(index.items).map((i) => [i.type, i.id])).to.deep.equal([
        ['Collection', urls.collection(3, 'c-daily')], ['Collection', urls.collection(3, 'c-weekly')],
        ['Collection', urls.collectionPage(3, 'c-news', 1)], ['Collection', urls.collectionPage(3, 'c-news', 2)], ['Collection', urls.collectionPage(3, 'c-news', 3)],
      ]);
      expect(arr(index.items)[3]?.label).to.deep.equal({ en: ['Newspapers (3–4 of 5)'], de: ['Zeitungen (3–4 of 5)'] });
      expect(index).to.not.have.property('first');
      expectParsed(index, 5);

      const page2 = buildCollection3(src, { pageSize: 2, page: 2 });
      expect(page2.id).to.equal(urls.collectionPage(3, 'c-news', 2));
      expect(arr(page2.items).map((i) => i.id)).to.deep.equal([urls.manifest(3, 'r-3'), urls.manifest(3, 'r-4')]);
      expect(page2.partOf).to.deep.equal([{ id: src.id, type: 'Collection', label: { en: ['Newspapers'], de: ['Zeitungen'] } }]);
      expect(arr(buildCollection3(src, { pageSize: 2, page: 3 }).items)).to.have.length(1);
      expectParsed(page2, 2);
    });

    it('a page that does not exist is a 404; a small collection is its own page 1', function () {
      const src = newspapers(3, 5);
      for (const page of [0, 4, 1.5]) {
        expect(() => buildCollection3(src, { pageSize: 2, page })).to.throw(ColophonError).with.property('status', 404);
      }
      expect(buildCollection3(src, { pageSize: 10, page: 1 }).id).to.equal(src.id);
      expect(() => buildCollection3(src, { pageSize: 10, page: 2 })).to.throw(ColophonError).with.property('status', 404);
      expect(() => buildCollection3(src, { pageSize: 0 })).to.throw(ColophonError).with.property('status', 500);
    });

    it('the title collection lists its representations: local manifests and the remote one', function () {
      const c = titleCollection3();
      expect(arr(c.items).map((i) => i.id)).to.deep.equal([urls.manifest(3, 'r-book'), urls.manifest(3, 'r-pdf-true'), 'https://partner.example.net/iiif/atlas/manifest.json']);
      expect(arr(arr(c.items)[2]?.homepage)[0]).to.include({ id: 'https://partner.example.net/view/atlas', type: 'Text' });
      expectParsed(c, 3);
    });

    it('the top collection lists the top-level collections', function () {
      const top = topCollection3();
      expect(top).to.not.have.property('viewingHint');
      expect(arr(top.items)[0]).to.deep.equal({ id: urls.collection(3, 'c-news'), type: 'Collection', label: { none: ['Newspapers'] }, summary: { en: ['Papers'] } });
      expectParsed(top, 1);
    });
  });

  describe('2.1', function () {
    it('a collection has collections and manifests lists (members by reference)', function () {
      const c = buildCollection2(newspapers(2, 3));
      expect(c).to.include({ '@context': PRESENTATION2_CONTEXT, '@id': urls.collection(2, 'c-news'), '@type': 'sc:Collection', within: urls.topCollection(2) });
      expect(arr(c.collections).map((x) => [x['@id'], x['@type'], x.label])).to.deep.equal([
        [urls.collection(2, 'c-daily'), 'sc:Collection', 'Daily papers'], [urls.collection(2, 'c-weekly'), 'sc:Collection', 'Weekly papers'],
      ]);
      expect(arr(c.manifests)[0]).to.deep.equal({
        '@id': urls.manifest(2, 'r-1'), '@type': 'sc:Manifest', label: [{ '@value': 'Heft 1', '@language': 'de' }],
        thumbnail: { '@id': urls.fileThumbnail('f-1'), '@type': 'dctypes:Image', format: 'image/jpeg', service: { '@context': 'http://iiif.io/api/image/2/context.json', '@id': urls.imageService(2, 'f-1'), profile: 'http://iiif.io/api/image/2/level2.json' } },
      });
      expect(c.attribution).to.equal('Colophon State Library');
      expectParsed(c, 5);
    });

    it('a large collection is paged as §5.9 says: total, first and last, no member lists; pages within it', function () {
      const src = newspapers(2, 5); // 7 members
      const index = buildCollection2(src, { pageSize: 3 });
      expect(index).to.include({ total: 7, first: urls.collectionPage(2, 'c-news', 1), last: urls.collectionPage(2, 'c-news', 3) });
      expect(index).to.not.have.any.keys('collections', 'manifests', 'members');
      const pages = [1, 2, 3].map((page) => buildCollection2(src, { pageSize: 3, page }));
      expect(pages.map((p) => [p['@id'], p.within, p.startIndex, p.prev, p.next])).to.deep.equal([
        [urls.collectionPage(2, 'c-news', 1), src.id, 0, undefined, urls.collectionPage(2, 'c-news', 2)],
        [urls.collectionPage(2, 'c-news', 2), src.id, 3, urls.collectionPage(2, 'c-news', 1), urls.collectionPage(2, 'c-news', 3)],
        [urls.collectionPage(2, 'c-news', 3), src.id, 6, urls.collectionPage(2, 'c-news', 2), undefined],
      ]);
      expect(pages.map((p) => [arr(p.collections ?? []).length, arr(p.manifests ?? []).length])).to.deep.equal([[2, 1], [0, 3], [0, 1]]);
      for (const p of pages) expect(parseWithIiifParser(p).issues).to.deep.equal([]);
      expect(parseWithManifesto(pages[1] as Obj).members).to.equal(3);
      expect(() => buildCollection2(src, { pageSize: 3, page: 4 })).to.throw(ColophonError).with.property('status', 404);
    });

    it('the top collection has viewingHint top; a title collection lists 2.1 manifest references', function () {
      const top = buildCollection2({ id: urls.topCollection(2), label: 'Colophon', items: [{ id: urls.collection(2, 'c-news'), type: 'Collection', label: 'Newspapers' }], top: true });
      expect(top.viewingHint).to.equal('top');
      const ref = manifestReference2(bookSource());
      expect(ref).to.include({ '@id': urls.manifest(2, 'r-book'), '@type': 'sc:Manifest' });
      expectParsed(top, 1);
    });
  });
});
