import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { OaiClient } from './oai-helpers';

const COUNT = 2500;

function collection(n: number): string {
  const recs: string[] = [];
  for (let i = 0; i < n; i++) {
    recs.push(
      `<record><leader>00000nam a2200000 a 4500</leader><controlfield tag="001">h-${i}</controlfield>` +
      `<datafield tag="245" ind1="0" ind2="0"><subfield code="a">Harvest title ${i}</subfield></datafield></record>`,
    );
  }
  return `<collection xmlns="http://www.loc.gov/MARC21/slim">${recs.join('')}</collection>`;
}

/**
 * A full harvest while another task edits and deletes 10% of the records: no identifier comes
 * twice within the harvest, and every record present at its start, or its deletion, reaches
 * the harvester through that harvest or the incremental one asked `from` its first responseDate.
 */
describe('oai-pmh: consistent harvests under concurrent edits', function () {
  this.timeout(300_000);
  let t: TestApp;
  let op: string;
  let ext: string;
  const auth = (k: string): Record<string, string> => ({ Authorization: `Bearer ${k}` });

  before(async () => {
    t = await startTestApp({ config: { plugins: { settings: { 'oai-pmh': { publish: 'all', pageSize: 100, identifiersPageSize: 100 } } } } });
    op = await t.key('digital-inventory-operator');
    ext = await t.key('digital-inventory-operator-extended');
    const res = await t.http.post('/api/v1/titles/batch').set(auth(op)).set('Content-Type', 'application/marcxml+xml').send(collection(COUNT));
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(201);
  });
  after(async () => t?.close());

  it(`harvests ${COUNT} records while 10% are edited or deleted, missing nothing and repeating nothing`, async () => {
    const oai = new OaiClient(t);
    const ids = (await t.app.ds.query('SELECT id FROM title')) as { id: string }[];
    const atStart = new Set(ids.map((r) => `oai:colophon.test:${r.id}`));
    expect(atStart.size).to.equal(COUNT);
    // Edit or delete every tenth title, spread over the harvest: some before the harvester reaches them, some after.
    const victims = ids.filter((_, i) => i % 10 === 0).map((r) => r.id);
    const changed = new Map<string, 'edited' | 'deleted'>();

    const first = await oai.get('verb=ListIdentifiers&metadataPrefix=oai_dc');
    const responseDate = /<responseDate>([^<]+)</.exec(first)?.[1] ?? '';
    const harvested: { id: string; deleted: boolean }[] = [];
    let xml = first;
    let page = 0;
    for (;;) {
      for (const h of xml.matchAll(/<header( status="deleted")?><identifier>([^<]+)<\/identifier>/g)) harvested.push({ id: h[2] ?? '', deleted: !!h[1] });
      // Between pages the editor works on its next slice of victims.
      const slice = victims.slice(page * 12, page * 12 + 12);
      await Promise.all(slice.map(async (id, i) => {
        if (i % 3 === 0) {
          expect((await t.http.delete(`/api/v1/titles/${id}`).set(auth(ext))).status).to.equal(204);
          changed.set(`oai:colophon.test:${id}`, 'deleted');
        } else {
          const res = await t.http.put(`/api/v1/titles/${id}`).set(auth(op)).type('application/json').send({ title: `Edited ${id}` });
          expect(res.status).to.equal(200);
          changed.set(`oai:colophon.test:${id}`, 'edited');
        }
      }));
      page++;
      const tok = OaiClient.token(xml);
      if (!tok?.value) break;
      xml = await oai.get(`verb=ListIdentifiers&resumptionToken=${encodeURIComponent(tok.value)}`);
    }
    expect(changed.size).to.equal(victims.length);

    const seen = harvested.map((h) => h.id);
    expect(new Set(seen).size, 'no identifier twice within one harvest').to.equal(seen.length);

    const incremental = await oai.harvest(`verb=ListIdentifiers&metadataPrefix=oai_dc&from=${responseDate}`);
    const inc = new Map(incremental.map((h) => [h.id, h]));
    const union = new Set([...seen, ...inc.keys()]);
    for (const id of atStart) expect(union.has(id), `${id} reached the harvester`).to.equal(true);
    // Every change made during the first harvest is in the incremental one, with its final state.
    for (const [id, what] of changed) {
      expect(inc.has(id), `${id} (${what}) in the incremental harvest`).to.equal(true);
      expect(inc.get(id)?.deleted, id).to.equal(what === 'deleted');
    }
  });
});
