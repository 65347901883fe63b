import { expect } from 'chai';
import {
  buildManifest2,
  buildManifest3,
  IMAGE2_CONTEXT,
  languageMapTo2,
  manifestReference2,
  PRESENTATION2_CONTEXT,
} from '../../../../plugins/iiif-presentation/builders';
import { ColophonError } from '../../../../core/errors';
import { parseWithIiifParser, parseWithManifesto } from '../../../helpers/iiif-validation';
import {
  audioSource,
  BASE,
  bookSource,
  localSources,
  oddSource,
  pdfSource,
  remoteSource,
  restrictedSource,
  strings,
  threeCollectionsSource,
  urls,
  videoSource,
} from './presentation-fixtures';

type Obj = Record<string, unknown>;
const arr = (x: unknown): Obj[] => x as Obj[];
const obj = (x: unknown): Obj => x as Obj;
const canvasesOf = (m: Obj): Obj[] => arr(obj(arr(m.sequences)[0]).canvases);

describe('iiif-presentation builders: buildManifest2', function () {
  describe('every rich source', function () {
    for (const [name, src] of localSources()) {
      it(`${name}: parsed by manifesto.js and upgraded by @iiif/parser without issues`, function () {
        const m = buildManifest2(src);
        const mf = parseWithManifesto(m);
        expect(mf.issues).to.deep.equal([]);
        expect(mf.canvases).to.equal(canvasesOf(m).length);
        expect(mf.paintings).to.equal(canvasesOf(m).length);
        const p = parseWithIiifParser(m);
        expect(p.issues).to.deep.equal([]);
        // the upgrade finds the same canvases the 3.0 builder paints with images
        const v3images = arr(buildManifest3(src).items).filter((c) => obj(obj(arr(obj(arr(c.items)[0]).items)[0]).body).type === 'Image');
        expect(arr(p.upgraded?.items).map((c) => String(c.id).replace('/presentation/2/', '/presentation/3/'))).to.deep.equal(v3images.map((c) => c.id));
      });

      it(`${name}: speaks 2.1 only (no 3.0 services or properties)`, function () {
        const m = buildManifest2(src);
        const all = strings(m);
        expect(all.filter((s) => /^(ImageService3|AuthProbeService2|AuthAccessService2|Canvas|Manifest|Annotation)$/.test(s))).to.deep.equal([]);
        expect(JSON.stringify(m)).to.not.match(/"(id|type|items|summary|requiredStatement|homepage|partOf|behavior|rights)"\s*:/);
      });
    }
  });

  describe('a book with sections', function () {
    const m = buildManifest2(bookSource());
    const base = `${BASE}/iiif/presentation/2/r-book`;

    it('has one sequence of canvases with image annotations and an ImageService2', function () {
      expect(m).to.include({ '@context': PRESENTATION2_CONTEXT, '@id': urls.manifest(2, 'r-book'), '@type': 'sc:Manifest', viewingHint: 'paged', navDate: '1905-01-01T00:00:00Z' });
      const seq = obj(arr(m.sequences)[0]);
      expect(seq).to.include({ '@id': `${base}/sequence/normal`, '@type': 'sc:Sequence' });
      const c = canvasesOf(m)[1] as Obj;
      expect(c).to.include({ '@id': `${base}/canvas/f-book-2`, '@type': 'sc:Canvas', label: 'Title page', width: 2002, height: 3000 });
      expect(c).to.not.have.property('otherContent');
      expect(arr(c.images)).to.deep.equal([{
        '@id': `${base}/annotation/f-book-2`,
        '@type': 'oa:Annotation',
        motivation: 'sc:painting',
        resource: {
          '@id': `${BASE}/iiif/2/f-book-2/full/full/0/default.jpg`, '@type': 'dctypes:Image', format: 'image/jpeg', width: 2002, height: 3000,
          service: { '@context': IMAGE2_CONTEXT, '@id': `${BASE}/iiif/2/f-book-2`, profile: 'http://iiif.io/api/image/2/level2.json' },
        },
        on: `${base}/canvas/f-book-2`,
      }]);
    });

    it('carries label and metadata with @language, license, attribution, logo, related, seeAlso, within', function () {
      expect(m.label).to.deep.equal([{ '@value': 'Die Gartenlaube : illustrirtes Familienblatt', '@language': 'de' }]);
      const md = arr(m.metadata);
      expect(md[0]).to.deep.equal({
        label: [{ '@value': 'Title', '@language': 'en' }],
        value: [{ '@value': 'Die Gartenlaube : illustrirtes Familienblatt', '@language': 'de' }, { '@value': 'Gartenlaube', '@language': 'de' }],
      });
      expect(md[1]).to.deep.equal({ label: [{ '@value': 'Creator', '@language': 'en' }], value: 'Keil, Ernst' });
      expect(m.license).to.equal('https://creativecommons.org/publicdomain/mark/1.0/');
      expect(m.attribution).to.equal('Staatsbibliothek Colophon, public domain.');
      expect(m.logo).to.deep.equal({ '@id': `${BASE}/static/logo.png`, format: 'image/png' });
      expect(arr(m.related).map((r) => r['@id'])).to.deep.equal([urls.viewer('r-book'), urls.landingPage('t-book')]);
      expect(arr(m.seeAlso).map((s) => s.profile)).to.deep.equal(['http://www.openarchives.org/OAI/2.0/oai_dc/', 'http://www.loc.gov/MARC21/slim', 'http://www.loc.gov/mods/v3']);
      expect(m.within).to.deep.equal([{ '@id': urls.titleCollection(2, 't-book'), '@type': 'sc:Collection', label: 'Die Gartenlaube : illustrirtes Familienblatt' }]);
      expect(obj(m.thumbnail).service).to.deep.equal({ '@context': IMAGE2_CONTEXT, '@id': `${BASE}/iiif/2/f-book-1`, profile: 'http://iiif.io/api/image/2/level2.json' });
    });

    it('has 2.1 ranges: a top range whose members keep the loose canvas in place, and one range per section', function () {
      const s = arr(m.structures);
      expect(s.map((r) => r['@id'])).to.deep.equal([0, 1, 2, 3].map((n) => `${base}/range/${n}`));
      expect(s[0]).to.include({ '@type': 'sc:Range', label: 'Contents', viewingHint: 'top' });
      expect(arr(s[0]?.members).map((x) => [x['@type'], x.label])).to.deep.equal([
        ['sc:Range', 'Front matter'], ['sc:Canvas', 'Plate'], ['sc:Range', 'Heft 1'], ['sc:Range', 'Heft 2'],
      ]);
      expect(s[2]).to.deep.equal({ '@id': `${base}/range/2`, '@type': 'sc:Range', label: 'Heft 1', canvases: [`${base}/canvas/f-book-4`, `${base}/canvas/f-book-5`] });
      expect(parseWithManifesto(m).ranges).to.equal(4);
      // a top range of sections only lists them in `ranges`
      const sectionsOnly = bookSource();
      sectionsOnly.files = sectionsOnly.files.filter((f) => f.section);
      expect(obj(arr(buildManifest2(sectionsOnly).structures)[0]).ranges).to.have.length(3);
    });
  });

  describe('content 2.1 cannot paint', function () {
    it('audio and video become rendering links, and the sequence has only the images', function () {
      for (const src of [audioSource(), videoSource()]) {
        const m = buildManifest2(src);
        expect(canvasesOf(m)).to.deep.equal([]);
        expect(arr(m.rendering).map((r) => r['@id'])).to.deep.equal(src.files.map((f) => urls.content(f.id)));
        expect(arr(m.rendering).every((r) => typeof r.format === 'string' && typeof r.label === 'string')).to.equal(true);
      }
      const mixed = buildManifest2(restrictedSource());
      expect(canvasesOf(mixed).map((c) => c.label)).to.deep.equal(['Letter, recto', 'Letter, verso']);
      expect(arr(mixed.rendering).map((r) => r.label)).to.deep.equal(['Transcription (2 pages)', 'Master files', 'Reading']);
    });

    it('PDFs: rendering, plus canvases for page images when there are some', function () {
      expect(canvasesOf(buildManifest2(pdfSource(true)))).to.have.length(3);
      expect(canvasesOf(buildManifest2(pdfSource(false)))).to.have.length(0);
      expect(arr(buildManifest2(pdfSource(false)).rendering)[0]).to.deep.equal({ '@id': urls.content('f-pdf-1'), format: 'application/pdf', label: 'Constitution of Ireland (3 pages)' });
    });
  });

  describe('restricted content', function () {
    it('names no file URL but the image services and access-checked content URLs', function () {
      const leaky = restrictedSource();
      for (const f of leaky.files) if (f.kind === 'image') f.contentUrl = `${BASE}/api/v1/files/${f.id}/content`;
      const found = strings(buildManifest2(leaky)).filter((s) => /^https?:\/\//.test(s));
      expect(found.filter((u) => u.includes('/api/v1/files/'))).to.deep.equal([]);
      expect(found.filter((u) => u.includes('/iiif/3/'))).to.deep.equal([]);
    });
  });

  describe('other sources', function () {
    it('a title in three collections is within each', function () {
      expect(arr(buildManifest2(threeCollectionsSource()).within).map((w) => w['@id'])).to.deep.equal([
        urls.titleCollection(2, 't-three'), urls.collection(2, 'postcards'), urls.collection(2, 'idaho'), urls.collection(2, 'c1910'),
      ]);
    });

    it('odd DC: English fallback label, language-less values as plain strings, any license URI kept', function () {
      const m = buildManifest2(oddSource());
      expect(m.label).to.deep.equal([{ '@value': 'Untitled', '@language': 'en' }]);
      expect(m.description).to.deep.equal(['<not html> ', 'Текст на русском языке.', 'نص عربي']);
      // 2.1 `license` takes any URI (3.0 `rights` does not)
      expect(m.license).to.equal('https://example.org/our-own-terms');
      expect(m.attribution).to.deep.equal([{ '@value': 'Provided by Colophon State Library', '@language': 'en' }]);
    });

    it('a remote representation has no local 2.1 manifest either, but a reference', function () {
      expect(() => buildManifest2(remoteSource(true))).to.throw(ColophonError);
      expect(manifestReference2(remoteSource(true))).to.deep.equal({ '@id': 'https://partner.example.net/iiif/atlas/manifest.json', '@type': 'sc:Manifest', label: 'Atlas of the north' });
      expect(manifestReference2(remoteSource(false))).to.equal(null);
    });
  });

  it('languageMapTo2: "none" as plain strings, one string alone, tagged values with @language', function () {
    expect(languageMapTo2({ none: ['a'] })).to.equal('a');
    expect(languageMapTo2({ none: ['a', 'b'] })).to.deep.equal(['a', 'b']);
    expect(languageMapTo2({ en: ['a'], none: ['b'] })).to.deep.equal([{ '@value': 'a', '@language': 'en' }, 'b']);
  });
});
