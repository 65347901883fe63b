import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { requireSharedData, sharedData } from '../../helpers/shared-data';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { schemasAvailable, validateXml } from '../../helpers/xml-schema';
import { OaiClient } from './oai-helpers';

/** Real records (../shared/data/marc and dc) through ingest and out of OAI-PMH in every format, schema-valid. */
describe('oai-pmh: real records in every format', function () {
  this.timeout(300_000);
  let t: TestApp;
  let titles = 0;

  before(async function () {
    requireSharedData(this);
    t = await startTestApp({ config: { plugins: { settings: { 'oai-pmh': { publish: 'all', pageSize: 200 } } } } });
    const op = await t.key('digital-inventory-operator');
    const bodies: [string, Buffer][] = [];
    for (const name of readdirSync(sharedData('marc', 'binary'))) {
      bodies.push([`application/marc${name.includes('1251') ? '; charset=windows-1251' : ''}`, readFileSync(sharedData('marc', 'binary', name))]);
    }
    for (const name of readdirSync(sharedData('marc', 'xml'))) bodies.push(['application/marcxml+xml', readFileSync(sharedData('marc', 'xml', name))]);
    for (const name of readdirSync(sharedData('dc'))) {
      bodies.push([name.startsWith('mods') || name.startsWith('mets') ? 'application/mods+xml' : 'application/xml', readFileSync(sharedData('dc', name))]);
    }
    for (const [type, body] of bodies) {
      const res = await t.http.post('/api/v1/titles/batch').set('Authorization', `Bearer ${op}`).set('Content-Type', type).send(body);
      expect(res.status, JSON.stringify(res.body).slice(0, 200)).to.equal(201);
      titles += res.body.created as number;
    }
  });
  after(async () => t?.close());

  for (const prefix of ['oai_dc', 'marc21', 'mods']) {
    it(`harvests every title as ${prefix}; every page validates against the schemas`, async function () {
      const oai = new OaiClient(t);
      const all = await oai.harvest(`verb=ListRecords&metadataPrefix=${prefix}`);
      expect(all.length).to.equal(titles);
      expect(new Set(all.map((h) => h.id)).size).to.equal(titles);
      // eslint-disable-next-line no-control-regex
      for (const ex of oai.seen) expect(ex.text).to.not.match(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
      if (!schemasAvailable()) {
        console.log('      (schema check skipped: ../shared/schemas or xmllint absent)');
        return;
      }
      const result = await validateXml(oai.seen.map((e) => e.text));
      expect(result.errors.slice(0, 5), result.errors.slice(0, 5).join('\n')).to.deep.equal([]);
    });
  }
});
