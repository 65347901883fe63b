import { expect } from 'chai';
import {
  AUTH2_CONTEXT,
  buildManifest3,
  isRemoteOnly,
  manifestDisposition,
  manifestReference3,
  PRESENTATION3_CONTEXT,
  type JsonObject,
  type ManifestSource,
} from '../../../../plugins/iiif-presentation/builders';
import { ColophonError } from '../../../../core/errors';
import {
  parseWithIiifParser,
  parseWithManifesto,
  presentationSchemaAvailable,
  requirePresentationSchema,
  validatePresentation3,
} from '../../../helpers/iiif-validation';
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
const lm = (x: unknown): Record<string, string[]> => x as Record<string, string[]>;

/** The painting annotation of a canvas (one page, one annotation in these manifests). */
function painting(canvas: Obj): Obj {
  const page = arr(canvas.items)[0] as Obj;
  return arr(page.items)[0] as Obj;
}

function expectCleanParse(doc: JsonObject, name: string): void {
  const p = parseWithIiifParser(doc);
  expect(p.issues, `${name}: @iiif/parser`).to.deep.equal([]);
  const m = parseWithManifesto(doc);
  expect(m.issues, `${name}: manifesto`).to.deep.equal([]);
  expect(m.canvases, `${name}: manifesto canvases`).to.equal(arr(doc.items).length);
}

describe('iiif-presentation builders: buildManifest3', function () {
  describe('every rich source', function () {
    for (const [name, src] of localSources()) {
      it(`${name}: valid against the Presentation 3.0 schema`, function () {
        requirePresentationSchema(this);
        expect(validatePresentation3(buildManifest3(src)).slice(0, 5)).to.deep.equal([]);
      });
      it(`${name}: parsed by @iiif/parser and manifesto.js without issues`, function () {
        const doc = buildManifest3(src);
        expectCleanParse(doc, name);
        // the parser's round trip keeps every canvas
        const back = parseWithIiifParser(doc).reserialized;
        expect(arr(back?.items).map((c) => c.id)).to.deep.equal(arr(doc.items).map((c) => c.id));
      });
    }
  });

  describe('the schema check itself', function () {
    before(function () {
      requirePresentationSchema(this);
    });

    it('rejects a manifest without a label, with an https rights URI or a canvas without items', function () {
      const good = buildManifest3(bookSource());
      expect(validatePresentation3(good)).to.deep.equal([]);
      const { label: _label, ...noLabel } = good;
      expect(validatePresentation3(noLabel)).to.not.deep.equal([]);
      expect(validatePresentation3({ ...good, rights: 'https://creativecommons.org/licenses/by/4.0/' })).to.not.deep.equal([]);
      const canvases = arr(structuredClone(good).items);
      delete canvases[0]?.id;
      expect(validatePresentation3({ ...good, items: canvases })).to.not.deep.equal([]);
    });

    it('says plainly whether the schema is there', function () {
      expect(presentationSchemaAvailable()).to.equal(true);
    });
  });

  describe('the parse checks themselves', function () {
    it('report what they cannot parse instead of throwing', function () {
      expect(parseWithIiifParser('nonsense').issues).to.not.deep.equal([]);
      expect(parseWithIiifParser({ id: 'x', type: 'Thing' }).issues).to.not.deep.equal([]);
      const broken = { '@context': PRESENTATION3_CONTEXT, id: 'http://x/m', type: 'Manifest', label: { en: ['x'] }, items: [null] };
      expect(parseWithManifesto(broken).issues).to.not.deep.equal([]);
      expect(parseWithIiifParser(broken).issues).to.not.deep.equal([]);
      expect(parseWithManifesto({ id: 'http://x/m' }).issues).to.not.deep.equal([]);
    });
  });

  describe('a book with sections', function () {
    const src = bookSource();
    const m = buildManifest3(src);
    const base = `${BASE}/iiif/presentation/3/r-book`;

    it('is a paged Manifest at its URL, with one canvas per file in sequence', function () {
      expect(m['@context']).to.equal(PRESENTATION3_CONTEXT);
      expect(m.id).to.equal(urls.manifest(3, 'r-book'));
      expect(m.type).to.equal('Manifest');
      expect(m.behavior).to.deep.equal(['paged']);
      expect(arr(m.items).map((c) => c.id)).to.deep.equal(src.files.map((f) => `${base}/canvas/${f.id}`));
      expect(arr(m.items).map((c) => obj(c.label).none)).to.deep.equal([['Cover'], ['Title page'], ['Plate'], ['p. 1'], ['p. 2'], ['[6]']]);
    });

    it('sizes canvases from the stored dimensions and paints the image with its ImageService3', function () {
      const c = arr(m.items)[1] as Obj;
      expect([c.width, c.height]).to.deep.equal([2002, 3000]);
      const page = arr(c.items)[0] as Obj;
      expect(page.id).to.equal(`${base}/page/f-book-2`);
      const a = painting(c);
      expect(a).to.include({ id: `${base}/annotation/f-book-2`, type: 'Annotation', motivation: 'painting', target: c.id });
      expect(a.body).to.deep.equal({
        id: `${BASE}/iiif/3/f-book-2/full/max/0/default.jpg`, type: 'Image', format: 'image/jpeg', width: 2002, height: 3000,
        service: [{ id: `${BASE}/iiif/3/f-book-2`, type: 'ImageService3', profile: 'level2' }],
      });
    });

    it('describes the title in its language: label, summary, metadata for every DC element', function () {
      expect(m.label).to.deep.equal({ de: ['Die Gartenlaube : illustrirtes Familienblatt'] });
      expect(m.summary).to.deep.equal({ de: ['Jahrgang 1905, Heft 1–3, mit Holzstichen.'] });
      const md = arr(m.metadata).map((p) => [lm(p.label).en?.[0], p.value]);
      expect(md.map((p) => p[0])).to.deep.equal([
        'Title', 'Creator', 'Subject', 'Description', 'Publisher', 'Date', 'Type', 'Format', 'Identifier', 'Language', 'Representation', 'Note',
      ]);
      expect(md[0]?.[1]).to.deep.equal({ de: ['Die Gartenlaube : illustrirtes Familienblatt', 'Gartenlaube'] });
      expect(md[1]?.[1]).to.deep.equal({ none: ['Keil, Ernst'] });
      expect(m.navDate).to.equal('1905-01-01T00:00:00Z');
    });

    it('carries rights, attribution, provider, homepages, seeAlso and partOf', function () {
      expect(m.rights).to.equal('http://creativecommons.org/publicdomain/mark/1.0/');
      expect(m.requiredStatement).to.deep.equal({ label: { en: ['Attribution'] }, value: { none: ['Staatsbibliothek Colophon, public domain.'] } });
      const provider = arr(m.provider)[0] as Obj;
      expect(provider).to.include({ id: 'https://ror.example.org/0colophon', type: 'Agent' });
      expect(arr(provider.homepage)[0]).to.include({ id: 'https://library.example.org/', type: 'Text', format: 'text/html' });
      expect(arr(provider.logo)[0]).to.include({ id: `${BASE}/static/logo.png`, type: 'Image', format: 'image/png' });
      expect(arr(m.homepage).map((h) => [h.id, h.type, h.format])).to.deep.equal([
        [urls.viewer('r-book'), 'Text', 'text/html'],
        [urls.landingPage('t-book'), 'Text', 'text/html'],
      ]);
      expect(arr(m.seeAlso).map((s) => [s.id, s.type, s.format, s.profile])).to.deep.equal([
        [`${BASE}/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:colophon.test:t-book`, 'Dataset', 'text/xml', 'http://www.openarchives.org/OAI/2.0/oai_dc/'],
        [`${BASE}/oai?verb=GetRecord&metadataPrefix=marc21&identifier=oai:colophon.test:t-book`, 'Dataset', 'text/xml', 'http://www.loc.gov/MARC21/slim'],
        [`${BASE}/oai?verb=GetRecord&metadataPrefix=mods&identifier=oai:colophon.test:t-book`, 'Dataset', 'text/xml', 'http://www.loc.gov/mods/v3'],
      ]);
      expect(m.partOf).to.deep.equal([{ id: urls.titleCollection(3, 't-book'), type: 'Collection', label: { none: ['Die Gartenlaube : illustrirtes Familienblatt'] } }]);
    });

    it('has a thumbnail with the first image\'s ImageService3', function () {
      expect(m.thumbnail).to.deep.equal([{
        id: urls.fileThumbnail('f-book-1'), type: 'Image', format: 'image/jpeg',
        service: [{ id: `${BASE}/iiif/3/f-book-1`, type: 'ImageService3', profile: 'level2' }],
      }]);
    });

    it('groups consecutive files of one section into ranges under a "Contents" range', function () {
      const top = arr(m.structures);
      expect(top).to.have.length(1);
      expect(top[0]).to.include({ id: `${base}/range/0`, type: 'Range' });
      const canvas = (id: string) => ({ id: `${base}/canvas/${id}`, type: 'Canvas' });
      expect(obj(top[0]).items).to.deep.equal([
        { id: `${base}/range/1`, type: 'Range', label: { none: ['Front matter'] }, items: [canvas('f-book-1'), canvas('f-book-2')] },
        canvas('f-book-3'),
        { id: `${base}/range/2`, type: 'Range', label: { none: ['Heft 1'] }, items: [canvas('f-book-4'), canvas('f-book-5')] },
        { id: `${base}/range/3`, type: 'Range', label: { none: ['Heft 2'] }, items: [canvas('f-book-6')] },
      ]);
      expect(parseWithManifesto(m).ranges).to.equal(4);
    });

    it('is the same document when built twice, and nothing leaks between builds (one vault each)', function () {
      const other = bookSource();
      other.files[0] = { ...other.files[0], width: 10, height: 20 } as (typeof other.files)[0];
      const changed = buildManifest3(other);
      expect(arr(changed.items)[0]).to.include({ width: 10, height: 20 });
      expect(buildManifest3(bookSource())).to.deep.equal(m);
    });

    it('is "individuals" when the same images are not a text, and honours an explicit behavior', function () {
      const photos: ManifestSource = { ...src, title: { ...src.title, dc: { ...src.title.dc, type: ['StillImage'] } } };
      expect(buildManifest3(photos).behavior).to.deep.equal(['individuals']);
      expect(buildManifest3({ ...photos, behavior: 'paged', viewingDirection: 'right-to-left' })).to.include.keys('viewingDirection');
      expect(buildManifest3({ ...photos, behavior: 'paged' }).behavior).to.deep.equal(['paged']);
    });
  });

  describe('restricted content', function () {
    const src = restrictedSource();
    const m = buildManifest3(src);

    it('adds the Authorization Flow 2.0 context before the presentation context', function () {
      expect(m['@context']).to.deep.equal([AUTH2_CONTEXT, PRESENTATION3_CONTEXT]);
    });

    it('puts the probe service on every content resource: images, audio, the PDF and the download', function () {
      const probeIds = (r: Obj): string[] => arr(r.service).filter((s) => s.type === 'AuthProbeService2').map((s) => s.id as string);
      const bodies = arr(m.items).map((c) => obj(painting(c).body));
      expect(bodies.map((b) => [b.type, probeIds(b)])).to.deep.equal([
        ['Image', [urls.authProbe('f-res-1')]],
        ['Image', [urls.authProbe('f-res-2')]],
        ['Sound', [urls.authProbe('f-res-4')]],
      ]);
      expect(arr(m.rendering).map((r) => [r.id, r.format, probeIds(r)])).to.deep.equal([
        [urls.content('f-res-3'), 'application/pdf', [urls.authProbe('f-res-3')]],
        [urls.content('f-res-5'), 'application/zip', [urls.authProbe('f-res-5')]],
      ]);
      const access = obj(arr(obj(arr(bodies[0]?.service)[1]).service)[0]);
      expect(access).to.include({ type: 'AuthAccessService2', profile: 'active' });
      expect(arr(access.service).map((s) => s.type)).to.deep.equal(['AuthAccessTokenService2', 'AuthLogoutService2']);
    });

    it('publishes no URL but the image services, the access-checked content URLs and public pages', function () {
      // The loader passes a staff URL as the images' content URL: with an image service, it must not appear.
      const leaky = restrictedSource();
      for (const f of leaky.files) if (f.kind === 'image') f.contentUrl = `${BASE}/api/v1/files/${f.id}/content`;
      for (const doc of [m, buildManifest3(leaky)]) {
        const found = strings(doc).filter((s) => /^https?:\/\//.test(s));
        expect(found.filter((u) => u.includes('/api/v1/files/') || /storage|s3\.|amazonaws|file:\//.test(u))).to.deep.equal([]);
        const allowed = [
          `${BASE}/iiif/presentation/3/`, `${BASE}/iiif/3/`, `${BASE}/iiif/content/`, `${BASE}/iiif/auth/v2/`, `${BASE}/thumbnails/`,
          `${BASE}/view/`, `${BASE}/titles/`, `${BASE}/oai?`, `${BASE}/static/`, 'https://library.example.org/', 'https://ror.example.org/',
          'http://rightsstatements.org/vocab/', 'http://iiif.io/api/',
          // seeAlso profiles: namespaces, not links to content
          'http://www.openarchives.org/OAI/2.0/oai_dc/', 'http://www.loc.gov/MARC21/slim', 'http://www.loc.gov/mods/v3',
        ];
        expect(found.filter((u) => !allowed.some((a) => u.startsWith(a)))).to.deep.equal([]);
      }
    });

    it('keeps rights, copyright statement and requiredStatement from the profile', function () {
      expect(m.rights).to.equal('http://rightsstatements.org/vocab/InC/1.0/');
      expect(obj(m.requiredStatement).value).to.deep.equal({ none: ['© Familie Müller. Only for private study.'] });
      expect(m.behavior).to.deep.equal(['individuals']); // images and audio: not a page-turning book
    });
  });

  describe('audio and video', function () {
    it('audio: a canvas with duration and a Sound body with its format', function () {
      const m = buildManifest3(audioSource());
      const c = arr(m.items);
      expect(c.map((x) => [x.duration, x.width, x.height])).to.deep.equal([[12.4, undefined, undefined], [7.5, undefined, undefined]]);
      expect(c.map((x) => painting(x).body)).to.deep.equal([
        { id: urls.content('f-audio-1'), type: 'Sound', format: 'audio/mpeg', duration: 12.4 },
        { id: urls.content('f-audio-2'), type: 'Sound', format: 'audio/ogg', duration: 7.5 },
      ]);
      expect(m.navDate).to.equal('2019-01-01T00:00:00Z');
      expect(m.label).to.deep.equal({ en: ['The bear (field recording)'] });
    });

    it('video: a canvas with width, height and duration and a Video body', function () {
      const m = buildManifest3(videoSource());
      const c = arr(m.items)[0] as Obj;
      expect([c.width, c.height, c.duration]).to.deep.equal([320, 176, 3.6]);
      expect(painting(c).body).to.deep.equal({ id: urls.content('f-video-1'), type: 'Video', format: 'video/mp4', width: 320, height: 176, duration: 3.6 });
      expect(m.navDate).to.equal('2011-05-01T00:00:00Z');
    });

    it('audio without a duration, video without a size: a rendering link instead of an invalid canvas', function () {
      const src = audioSource();
      src.files[1] = { ...src.files[1], duration: null } as (typeof src.files)[1];
      const m = buildManifest3(src);
      expect(arr(m.items)).to.have.length(1);
      expect(m.rendering).to.deep.equal([{ id: urls.content('f-audio-2'), type: 'Sound', format: 'audio/ogg', label: { none: ['Side B'] } }]);
    });
  });

  describe('PDFs', function () {
    it('with page images: the PDF as rendering and a canvas per page image', function () {
      const m = buildManifest3(pdfSource(true));
      expect(m.rendering).to.deep.equal([{ id: urls.content('f-pdf-1'), type: 'Text', format: 'application/pdf', label: { none: ['Constitution of Ireland (3 pages)'] } }]);
      const base = `${BASE}/iiif/presentation/3/r-pdf-true`;
      expect(arr(m.items).map((c) => [c.id, c.width, c.height, lm(c.label).none?.[0]])).to.deep.equal(
        [1, 2, 3].map((p) => [`${base}/canvas/f-pdf-1/p${p}`, 1240, 1754, `p. ${p}`]),
      );
      expect(obj(painting(arr(m.items)[2] as Obj).body).id).to.equal(`${BASE}/iiif/3/f-pdf-1~p3/full/max/0/default.jpg`);
      expect(m.behavior).to.deep.equal(['paged']);
      expect(m.label).to.deep.equal({ ga: ['Bunreacht na hÉireann'] });
    });

    it('without page images: the PDF as rendering and no canvas', function () {
      const m = buildManifest3(pdfSource(false));
      expect(m.items).to.deep.equal([]);
      expect(arr(m.rendering)).to.have.length(1);
      expect(m).to.not.have.property('behavior');
      // the PDF's own thumbnail stands for the manifest
      expect(m.thumbnail).to.deep.equal([{ id: urls.fileThumbnail('f-pdf-1'), type: 'Image', format: 'image/jpeg' }]);
    });
  });

  describe('a title in three collections', function () {
    it('is partOf its title collection and each collection', function () {
      const m = buildManifest3(threeCollectionsSource());
      expect(arr(m.partOf).map((p) => p.id)).to.deep.equal([
        urls.titleCollection(3, 't-three'), urls.collection(3, 'postcards'), urls.collection(3, 'idaho'), urls.collection(3, 'c1910'),
      ]);
      expect(arr(m.partOf).every((p) => p.type === 'Collection' && p.label)).to.equal(true);
      expect(m.behavior).to.deep.equal(['individuals']);
    });
  });

  describe('odd Dublin Core', function () {
    const m = buildManifest3(oddSource());

    it('falls back to "Untitled"; a multilingual description is in no one language', function () {
      expect(m.label).to.deep.equal({ en: ['Untitled'] });
      // "<not html>" gets a trailing space, so clients do not take it for HTML (§4.4)
      expect(m.summary).to.deep.equal({ none: ['<not html> ', 'Текст на русском языке.', 'نص عربي'] });
      const titled = oddSource();
      titled.title.dc.title = ['吾輩は猫である'];
      expect(buildManifest3(titled).label).to.deep.equal({ ja: ['吾輩は猫である'] });
    });

    it('keeps non-Latin values, drops empty elements and reads navDate from "c1905-1906"', function () {
      const md = Object.fromEntries(arr(m.metadata).map((p) => [lm(p.label).en?.[0], p.value]));
      expect(md.Creator).to.deep.equal({ none: ['夏目, 漱石', 'Natsume, Sōseki'] });
      expect(md).to.not.have.property('Identifier');
      expect(md).to.not.have.property('Coverage');
      expect(m.navDate).to.equal('1905-01-01T00:00:00Z');
    });

    it('leaves out a rights URI that is not CC or RightsStatements.org, and attributes to the provider', function () {
      expect(m).to.not.have.property('rights');
      expect(m.requiredStatement).to.deep.equal({ label: { en: ['Attribution'] }, value: { en: ['Provided by Colophon State Library'] } });
    });
  });

  describe('remote representations', function () {
    it('get no local manifest: a redirect to the remote one, or nothing', function () {
      expect(isRemoteOnly(remoteSource(true))).to.equal(true);
      expect(isRemoteOnly(bookSource())).to.equal(false);
      expect(manifestDisposition(remoteSource(true))).to.deep.equal({ kind: 'redirect', location: 'https://partner.example.net/iiif/atlas/manifest.json' });
      expect(manifestDisposition(remoteSource(false)).kind).to.equal('none');
      expect(manifestDisposition(bookSource())).to.deep.equal({ kind: 'local' });
      expect(manifestDisposition({ ...bookSource(), files: [] }).kind).to.equal('none');
      expect(manifestDisposition(pdfSource(false))).to.deep.equal({ kind: 'local' });
      let err: unknown;
      try {
        buildManifest3(remoteSource(true));
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ColophonError);
      expect((err as ColophonError).status).to.equal(404);
    });

    it('are referenced in collections by the remote manifest, with the delivery page as homepage', function () {
      expect(manifestReference3(remoteSource(true))).to.deep.equal({
        id: 'https://partner.example.net/iiif/atlas/manifest.json', type: 'Manifest', label: { none: ['Atlas of the north'] },
        thumbnail: [{ id: 'https://partner.example.net/thumbs/atlas.jpg', type: 'Image', format: 'image/jpeg' }],
        homepage: [{ id: 'https://partner.example.net/view/atlas', type: 'Text', format: 'text/html', label: { en: ['Remote viewer'] } }],
      });
      expect(manifestReference3(remoteSource(false))).to.equal(null);
      expect(manifestReference3(bookSource(), 'Scans')).to.include({ id: urls.manifest(3, 'r-book'), type: 'Manifest' });
    });
  });

  describe('bad sources', function () {
    it('refuses manifest ids that do not end in /manifest (the canvas ids derive from them)', function () {
      const src = bookSource();
      src.ids.manifest3 = `${BASE}/iiif/presentation/3/r-book`;
      expect(() => buildManifest3(src)).to.throw(ColophonError, /manifest/);
    });
  });

  it('skips schema checks plainly when ../shared/schemas is absent', function () {
    if (presentationSchemaAvailable()) this.skip();
    expect(() => validatePresentation3({})).to.throw(/absent/);
  });
});
