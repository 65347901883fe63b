// Every IIIF document the demo content produces (`colophon serve --demo`): each representation's
// manifest in 3.0 and 2.1, the top collection, each collection and each title's collection in
// both versions, checked against the Presentation 3.0 JSON Schema (3.0 only) and parsed by
// @iiif/parser and manifesto.js. The list of documents comes from the database, so a demo that
// grows is covered without changing this spec.
import { expect } from 'chai';
import { Collection } from '../../../core/db/entities/collection.entity';
import { Representation } from '../../../core/db/entities/representation.entity';
import { Title } from '../../../core/db/entities/title.entity';
import { loadDemoContent } from '../../../core/demo/demo-content';
import { parseWithIiifParser, parseWithManifesto, requirePresentationSchema, validatePresentation3 } from '../../helpers/iiif-validation';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const BASE = 'http://colophon.test';

describe('iiif-presentation: every document of the demo content is valid and parses', function () {
  this.timeout(180_000);
  let t: TestApp;
  let reps: Representation[];
  let titles: Title[];
  let collections: Collection[];

  before(async function () {
    requirePresentationSchema(this);
    t = await startTestApp({ config: { server: { baseUrl: BASE } } });
    expect(await loadDemoContent(t.app)).to.be.greaterThan(0);
    expect(await loadDemoContent(t.app), 'loading twice adds nothing').to.equal(0);
    reps = await t.app.ds.getRepository(Representation).find();
    titles = await t.app.ds.getRepository(Title).find();
    collections = await t.app.ds.getRepository(Collection).find();
  });
  after(async () => t?.close());

  /** GET, parse, validate; returns the document. */
  async function check(path: string): Promise<Record<string, unknown>> {
    const res = await t.http.get(path).set('Accept-Encoding', 'identity');
    expect(res.status, `${path}: ${res.text.slice(0, 200)}`).to.equal(200);
    const v3 = path.startsWith('/iiif/presentation/3/');
    expect(res.headers['content-type'], path).to.equal(`application/ld+json;profile="http://iiif.io/api/presentation/${v3 ? 3 : 2}/context.json"`);
    const doc = JSON.parse(res.text) as Record<string, unknown>;
    if (v3) expect(validatePresentation3(doc).slice(0, 5), `${path}: schema`).to.deep.equal([]);
    expect(parseWithIiifParser(doc).issues, `${path}: @iiif/parser`).to.deep.equal([]);
    const m = parseWithManifesto(doc);
    expect(m.issues, `${path}: manifesto`).to.deep.equal([]);
    return doc;
  }

  it('has demo content to check: titles, representations with image files, a tree of published collections', () => {
    expect(titles.length).to.be.at.least(4);
    expect(reps.length).to.be.at.least(4);
    expect(collections.filter((c) => c.parentId).length).to.be.at.least(1);
  });

  it('every manifest, 3.0 and 2.1, with one canvas per page image', async () => {
    let checked = 0;
    for (const r of reps) {
      const files = await t.app.ds.query('SELECT COUNT(*) AS n FROM file WHERE representation_id = ?', [r.id]) as { n: number | string }[];
      for (const v of [3, 2] as const) {
        const doc = await check(`/iiif/presentation/${v}/${r.id}/manifest`);
        const canvases = v === 3 ? (doc.items as unknown[]) : ((doc.sequences as { canvases: unknown[] }[])[0]?.canvases ?? []);
        expect(canvases.length, `${r.id} v${v}`).to.equal(Number(files[0]?.n));
        checked++;
      }
    }
    expect(checked).to.equal(reps.length * 2);
  });

  it('the top collection, every collection and every title collection, 3.0 and 2.1', async () => {
    for (const v of [3, 2] as const) {
      const top = await check(`/iiif/presentation/${v}/collection/top`);
      expect(JSON.stringify(top)).to.contain('Demonstration collections');
      for (const c of collections) await check(`/iiif/presentation/${v}/collection/${c.id}`);
      for (const title of titles) {
        const doc = await check(`/iiif/presentation/${v}/title/${title.id}/collection`);
        expect(JSON.stringify(doc)).to.contain(`/iiif/presentation/${v}/`);
      }
    }
  });

  it('every collection member and every manifest partOf resolves to a document that answers 200', async () => {
    const urls = new Set<string>();
    for (const c of collections) {
      const doc = await check(`/iiif/presentation/3/collection/${c.id}`);
      for (const i of doc.items as { id: string }[]) urls.add(i.id);
    }
    for (const r of reps) {
      const doc = await check(`/iiif/presentation/3/${r.id}/manifest`);
      for (const p of (doc.partOf ?? []) as { id: string }[]) urls.add(p.id);
    }
    expect(urls.size).to.be.greaterThan(collections.length);
    for (const u of urls) {
      expect(u.startsWith(BASE), u).to.equal(true);
      expect((await t.http.get(u.slice(BASE.length))).status, u).to.equal(200);
    }
  });
});
