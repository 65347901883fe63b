import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OaiRecord } from '../../../plugins/oai-pmh/entities/oai-item.entity';
import { schemasAvailable, validateXml } from '../../helpers/xml-schema';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { OaiClient } from './oai-helpers';

const MARCXML = `<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader>
<controlfield tag="001">oai-spec-1</controlfield>
<datafield tag="100" ind1="1" ind2=" "><subfield code="a">Sandburg, Carl.</subfield></datafield>
<datafield tag="245" ind1="1" ind2="0"><subfield code="a">Arithmetic /</subfield><subfield code="c">Carl Sandburg.</subfield></datafield>
<datafield tag="856" ind1="4" ind2="0"><subfield code="u">https://example.org/source</subfield></datafield></record>`;

/**
 * The protocol, verb by verb and error by error, as the openarchives.org validator exercises it,
 * and every response validated against the OAI-PMH schema with the payload schemas.
 */
describe('oai-pmh: protocol', function () {
  this.timeout(60_000);
  let t: TestApp;
  let oai: OaiClient;
  let op: string;
  let ext: string;
  let colOp: string;
  const ids: Record<string, string> = {};
  const reps: Record<string, string> = {};
  const auth = (k: string): Record<string, string> => ({ Authorization: `Bearer ${k}` });
  const oaiId = (id: string): string => `oai:colophon.test:${id}`;

  async function title(name: string, body: string | Record<string, unknown>, type = 'application/json'): Promise<string> {
    const res = await t.http.post('/api/v1/titles').set(auth(op)).set('Content-Type', type).send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    ids[name] = res.body.id as string;
    const rep = await t.http.post(`/api/v1/titles/${res.body.id}/representations`).set(auth(op)).send({ usageType: 'primary', remote: { deliveryUrl: `https://example.org/view/${name}` } });
    reps[name] = rep.body.id as string;
    return res.body.id as string;
  }

  before(async () => {
    t = await startTestApp({
      config: {
        repository: { name: 'Colophon <spec> & co', adminEmail: 'oai@colophon.test' },
        plugins: { settings: { 'oai-pmh': { pageSize: 2, identifiersPageSize: 2, maxConcurrent: 1, sets: { 'with-marc': { name: 'MARC titles', sourceFormat: 'marc21' } } } } },
      },
    });
    oai = new OaiClient(t);
    op = await t.key('digital-inventory-operator');
    ext = await t.key('digital-inventory-operator-extended');
    colOp = await t.key('collection-inventory-operator');
    const maps = await t.http.post('/api/v1/collections').set(auth(colOp)).send({ code: 'maps', name: 'Maps', published: true, description: 'Printed & drawn maps' });
    const cape = await t.http.post('/api/v1/collections').set(auth(colOp)).send({ code: 'cape', name: 'The Cape', published: true, parentId: maps.body.id });
    const hidden = await t.http.post('/api/v1/collections').set(auth(colOp)).send({ code: 'hidden', name: 'Hidden', published: false });
    // Published, but under an unpublished parent: no set, in ListSets or in headers.
    const under = await t.http.post('/api/v1/collections').set(auth(colOp)).send({ code: 'under', name: 'Under', published: true, parentId: hidden.body.id });
    await title('dc', { title: 'A map of the Cape', creator: 'Barrow, John', date: '1801' });
    await title('marc', MARCXML, 'application/marcxml+xml');
    await title('plain', { title: 'Plain title \u0001 with a control character' });
    await title('extra', { title: 'Extra' });
    await t.http.put(`/api/v1/collections/${cape.body.id}/titles/${ids.dc}`).set(auth(colOp));
    await t.http.put(`/api/v1/collections/${under.body.id}/titles/${ids.dc}`).set(auth(colOp));
    // Never published: no representation.
    await t.http.post('/api/v1/titles').set(auth(op)).type('application/json').send({ title: 'No representation' });
  });
  after(async () => t?.close());

  it('Identify: the repository as configured, a true earliest datestamp, persistent deletes, compression, oai-identifier', async () => {
    const xml = await oai.get('verb=Identify');
    expect(xml).to.contain('<repositoryName>Colophon &lt;spec&gt; &amp; co</repositoryName>');
    expect(xml).to.contain('<baseURL>http://colophon.test/oai</baseURL>');
    expect(xml).to.contain('<protocolVersion>2.0</protocolVersion>');
    expect(xml).to.contain('<adminEmail>oai@colophon.test</adminEmail>');
    expect(xml).to.contain('<deletedRecord>persistent</deletedRecord>');
    expect(xml).to.contain('<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>');
    expect(xml).to.contain('<compression>gzip</compression>');
    expect(xml).to.contain('<repositoryIdentifier>colophon.test</repositoryIdentifier>');
    expect(xml).to.match(/<\?xml-stylesheet type="text\/xsl" href="http:\/\/colophon.test\/oai\/oai2.xsl"\?>/);
    const earliest = /<earliestDatestamp>([^<]+)</.exec(xml)?.[1] ?? '';
    const all = await oai.harvest('verb=ListIdentifiers&metadataPrefix=oai_dc');
    for (const h of all) expect(h.datestamp >= earliest, `${h.datestamp} >= ${earliest}`).to.equal(true);
    expect(OaiClient.requestAttributes(xml)).to.deep.equal({ verb: 'Identify' });
  });

  it('ListMetadataFormats: oai_dc, marc21, mods; for an item; idDoesNotExist; noMetadataFormats', async () => {
    const xml = await oai.get('verb=ListMetadataFormats');
    for (const p of ['oai_dc', 'marc21', 'mods']) expect(xml).to.contain(`<metadataPrefix>${p}</metadataPrefix>`);
    expect(await oai.get(`verb=ListMetadataFormats&identifier=${oaiId(ids.dc ?? '')}`)).to.contain('<metadataPrefix>marc21</metadataPrefix>');
    expect(OaiClient.error(await oai.get('verb=ListMetadataFormats&identifier=oai:colophon.test:nope'))).to.equal('idDoesNotExist');
    expect(OaiClient.error(await oai.get('verb=ListMetadataFormats&identifier=oai:elsewhere.org:00000000-0000-4000-8000-000000000000'))).to.equal('idDoesNotExist');
    await t.app.ds.getRepository(OaiRecord).delete({ titleId: ids.extra });
    expect(OaiClient.error(await oai.get(`verb=ListMetadataFormats&identifier=${oaiId(ids.extra ?? '')}`))).to.equal('noMetadataFormats');
  });

  it('ListSets: published collections by path, the configured sets; paged with tokens', async () => {
    const specs = (await oai.harvestSets()).sort();
    expect(specs).to.deep.equal(['maps', 'maps:cape', 'with-marc']);
    const first = await oai.get('verb=ListSets');
    expect(first).to.contain('<dc:description>Printed &amp; drawn maps</dc:description>');
    expect(OaiClient.token(first)).to.include({ cursor: 0, size: 3 });
  });

  it('GetRecord: each format; deleted header; errors', async () => {
    for (const p of ['oai_dc', 'marc21', 'mods']) {
      const xml = await oai.get(`verb=GetRecord&identifier=${oaiId(ids.marc ?? '')}&metadataPrefix=${p}`);
      expect(OaiClient.error(xml), xml.slice(0, 400)).to.equal(null);
      expect(xml).to.contain('<metadata>');
      expect(OaiClient.requestAttributes(xml)).to.deep.equal({ verb: 'GetRecord', identifier: oaiId(ids.marc ?? ''), metadataPrefix: p });
    }
    const dc = await oai.get(`verb=GetRecord&identifier=${oaiId(ids.dc ?? '')}&metadataPrefix=oai_dc`);
    expect(dc).to.contain('<setSpec>maps</setSpec><setSpec>maps:cape</setSpec>');
    const plain = await oai.get(`verb=GetRecord&identifier=${oaiId(ids.plain ?? '')}&metadataPrefix=oai_dc`);
    expect(plain).to.not.contain('\u0001');
    expect(OaiClient.error(await oai.get(`verb=GetRecord&identifier=${oaiId(ids.dc ?? '')}&metadataPrefix=nope`))).to.equal('cannotDisseminateFormat');
    expect(OaiClient.error(await oai.get('verb=GetRecord&identifier=oai:colophon.test:00000000-0000-4000-8000-000000000000&metadataPrefix=oai_dc'))).to.equal('idDoesNotExist');
    expect(OaiClient.error(await oai.get('verb=GetRecord&metadataPrefix=oai_dc'))).to.equal('badArgument');
  });

  it('ListRecords and ListIdentifiers: pages with cursor, completeListSize, expiry ≥ 24 h, an empty last token, no duplicates', async () => {
    const xml = await oai.get('verb=ListRecords&metadataPrefix=oai_dc');
    const tok = OaiClient.token(xml);
    expect(tok).to.include({ cursor: 0 });
    expect(tok?.size).to.be.greaterThan(2);
    expect(Date.parse(tok?.expires ?? '') - Date.now()).to.be.greaterThan(24 * 3600_000 - 60_000);
    const all = await oai.harvest('verb=ListRecords&metadataPrefix=oai_dc');
    expect(new Set(all.map((h) => h.id)).size).to.equal(all.length);
    expect(all.length).to.equal(tok?.size);
    expect(all.map((h) => h.id)).to.include.members([ids.dc, ids.marc, ids.plain].map((i) => oaiId(i ?? '')));
    const idsOnly = await oai.harvest('verb=ListIdentifiers&metadataPrefix=mods');
    expect(idsOnly.map((h) => h.id).sort()).to.deep.equal(all.map((h) => h.id).sort());
    // The last page carries an empty token with the final cursor.
    let page = await oai.get('verb=ListIdentifiers&metadataPrefix=oai_dc');
    for (let next = OaiClient.token(page); next?.value; next = OaiClient.token(page)) {
      page = await oai.get(`verb=ListIdentifiers&resumptionToken=${encodeURIComponent(next.value)}`);
    }
    const lastTok = OaiClient.token(page);
    expect(lastTok?.value).to.equal('');
    expect(page).to.match(/<resumptionToken completeListSize="\d+" cursor="\d+"\/>/);
    // A token can be asked for again: the same page comes back.
    const again1 = await oai.get(`verb=ListRecords&resumptionToken=${encodeURIComponent(tok?.value ?? '')}`);
    const again2 = await oai.get(`verb=ListRecords&resumptionToken=${encodeURIComponent(tok?.value ?? '')}`);
    expect(OaiClient.identifiers(again1)).to.deep.equal(OaiClient.identifiers(again2));
  });

  it('a resumption token issued by one instance works on another sharing the database', async () => {
    const other = await startTestApp({ db: t.db, config: { plugins: { settings: { 'oai-pmh': { pageSize: 2, identifiersPageSize: 2 } } } } });
    try {
      const first = await oai.get('verb=ListIdentifiers&metadataPrefix=oai_dc');
      const tok = OaiClient.token(first)?.value ?? '';
      expect(tok).to.not.equal('');
      const here = await oai.get(`verb=ListIdentifiers&resumptionToken=${encodeURIComponent(tok)}`);
      const there = await new OaiClient(other).get(`verb=ListIdentifiers&resumptionToken=${encodeURIComponent(tok)}`);
      expect(OaiClient.error(there)).to.equal(null);
      expect(OaiClient.identifiers(there)).to.deep.equal(OaiClient.identifiers(here));
    } finally {
      await other.close();
    }
  });

  it('selective harvests: sets (a parent includes its children), from/until with both granularities, inclusive days', async () => {
    const inMaps = await oai.harvest('verb=ListIdentifiers&metadataPrefix=oai_dc&set=maps');
    expect(inMaps.map((h) => h.id)).to.deep.equal([oaiId(ids.dc ?? '')]);
    expect(inMaps[0]?.sets).to.deep.equal(['maps', 'maps:cape']);
    expect((await oai.harvest('verb=ListIdentifiers&metadataPrefix=oai_dc&set=with-marc')).map((h) => h.id)).to.deep.equal([oaiId(ids.marc ?? '')]);
    expect(OaiClient.error(await oai.get('verb=ListIdentifiers&metadataPrefix=oai_dc&set=hidden'))).to.equal('noRecordsMatch');
    const today = new Date().toISOString().slice(0, 10);
    const byDay = await oai.harvest(`verb=ListIdentifiers&metadataPrefix=oai_dc&from=${today}&until=${today}`);
    expect(byDay.length).to.be.greaterThan(2);
    const all = await oai.harvest('verb=ListIdentifiers&metadataPrefix=oai_dc');
    const stamps = all.map((h) => h.datestamp).sort();
    const last = stamps[stamps.length - 1] ?? '';
    const exact = await oai.harvest(`verb=ListIdentifiers&metadataPrefix=oai_dc&from=${last}&until=${last}`);
    expect(exact.length).to.equal(stamps.filter((s) => s === last).length);
    expect(OaiClient.error(await oai.get('verb=ListRecords&metadataPrefix=oai_dc&from=2999-01-01'))).to.equal('noRecordsMatch');
    expect(OaiClient.error(await oai.get('verb=ListRecords&metadataPrefix=oai_dc&until=1999-01-01'))).to.equal('noRecordsMatch');
  });

  it('errors: badVerb and badArgument echo no arguments; every other error does', async () => {
    const cases: [string, string][] = [
      ['', 'badVerb'],
      ['verb=Frobnicate', 'badVerb'],
      ['verb=Identify&verb=Identify', 'badVerb'],
      ['verb=Identify&extra=1', 'badArgument'],
      ['verb=ListRecords', 'badArgument'],
      ['verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc', 'badArgument'],
      ['verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01&until=2020-01-01T00:00:00Z', 'badArgument'],
      ['verb=ListRecords&metadataPrefix=oai_dc&from=2021-01-01&until=2020-01-01', 'badArgument'],
      ['verb=ListRecords&metadataPrefix=oai_dc&from=2020-02-30', 'badArgument'],
      ['verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01T00:00:00.5Z', 'badArgument'],
      ['verb=ListRecords&metadataPrefix=oai_dc&until=tomorrow', 'badArgument'],
      ['verb=ListRecords&resumptionToken=abc&metadataPrefix=oai_dc', 'badArgument'],
      ['verb=ListIdentifiers&metadataPrefix=', 'badArgument'],
      ['verb=ListRecords&resumptionToken=abc', 'badResumptionToken'],
      ['verb=ListRecords&resumptionToken=eyJ2IjoxfQ.AAAA', 'badResumptionToken'],
      ['verb=ListRecords&metadataPrefix=marcxml', 'cannotDisseminateFormat'],
      ['verb=ListSets&resumptionToken=forged', 'badResumptionToken'],
    ];
    for (const [q, code] of cases) {
      const xml = await oai.get(q);
      expect(OaiClient.error(xml), q).to.equal(code);
      const attrs = OaiClient.requestAttributes(xml);
      if (code === 'badVerb' || code === 'badArgument') expect(attrs, q).to.deep.equal({});
      else expect(attrs.verb, q).to.be.a('string');
    }
    // A token of one verb is refused by another; a tampered token is refused.
    const tok = OaiClient.token(await oai.get('verb=ListIdentifiers&metadataPrefix=oai_dc'))?.value ?? '';
    expect(OaiClient.error(await oai.get(`verb=ListRecords&resumptionToken=${encodeURIComponent(tok)}`))).to.equal('badResumptionToken');
    const tampered = `${tok.slice(0, 10)}${tok[10] === 'A' ? 'B' : 'A'}${tok.slice(11)}`;
    expect(OaiClient.error(await oai.get(`verb=ListIdentifiers&resumptionToken=${encodeURIComponent(tampered)}`))).to.equal('badResumptionToken');
  });

  it('deleted records persist: a deleted title, a suppressed one, one whose last representation went inactive', async () => {
    await t.http.delete(`/api/v1/titles/${ids.extra}`).set(auth(ext));
    await t.http.patch(`/api/v1/titles/${ids.plain}`).set(auth(op)).send({ suppressed: true });
    await t.http.patch(`/api/v1/representations/${reps.dc}`).set(auth(op)).send({ active: false });
    const all = await oai.harvest('verb=ListIdentifiers&metadataPrefix=oai_dc');
    const status = new Map(all.map((h) => [h.id, h]));
    for (const name of ['extra', 'plain', 'dc']) expect(status.get(oaiId(ids[name] ?? ''))?.deleted, name).to.equal(true);
    expect(status.get(oaiId(ids.marc ?? ''))?.deleted).to.equal(false);
    // A deleted item keeps its sets, so selective harvesters hear of the deletion.
    expect((await oai.harvest('verb=ListIdentifiers&metadataPrefix=oai_dc&set=maps:cape')).map((h) => [h.id, h.deleted])).to.deep.equal([[oaiId(ids.dc ?? ''), true]]);
    const rec = await oai.get(`verb=GetRecord&identifier=${oaiId(ids.extra ?? '')}&metadataPrefix=oai_dc`);
    expect(rec).to.match(/<record><header status="deleted">/);
    expect(rec).to.not.contain('<metadata>');
    // Back again: published.
    await t.http.patch(`/api/v1/representations/${reps.dc}`).set(auth(op)).send({ active: true });
    expect(await oai.get(`verb=GetRecord&identifier=${oaiId(ids.dc ?? '')}&metadataPrefix=oai_dc`)).to.contain('<metadata>');
  });

  it('POST (form-encoded) gives the same answers; other bodies are badArgument', async () => {
    const res = await t.http.post('/oai').type('form').send('verb=Identify');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('<baseURL>http://colophon.test/oai</baseURL>');
    const bad = await t.http.post('/oai').set('Content-Type', 'application/json').send('{"verb":"Identify"}');
    expect(bad.text).to.contain('<error code="badArgument">');
  });

  it('compresses with gzip or deflate when asked, and not otherwise', async () => {
    // supertest inflates the body itself; the header says what came over the wire.
    const gz = await t.http.get('/oai?verb=ListRecords&metadataPrefix=marc21').set('Accept-Encoding', 'gzip, deflate');
    expect(gz.headers['content-encoding']).to.equal('gzip');
    expect(gz.text).to.contain('<ListRecords>');
    const df = await t.http.get('/oai?verb=ListRecords&metadataPrefix=marc21').set('Accept-Encoding', 'deflate, gzip;q=0');
    expect(df.headers['content-encoding']).to.equal('deflate');
    expect(df.text).to.contain('<ListRecords>');
    const plain = await t.http.get('/oai?verb=ListRecords&metadataPrefix=marc21').set('Accept-Encoding', 'identity');
    expect(plain.headers['content-encoding']).to.equal(undefined);
  });

  it('answers 503 with an integer Retry-After beyond the concurrency limit', async () => {
    const server = t.app.koa.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as AddressInfo;
      // Hold one request open inside the handler: a form POST whose body has not all arrived.
      const held = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/oai', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '13' } });
      held.on('error', () => undefined);
      held.write('verb=');
      await new Promise((r) => setTimeout(r, 200));
      const busy = await t.http.get('/oai?verb=Identify');
      expect(busy.status).to.equal(503);
      expect(busy.headers['retry-after']).to.match(/^\d+$/);
      held.end('Identify');
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      server.close();
    }
    expect((await t.http.get('/oai?verb=Identify')).status).to.equal(200);
  });

  it('serves the XSLT stylesheet', async () => {
    const res = await t.http.get('/oai/oai2.xsl');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('<xsl:stylesheet');
  });

  it('never puts fractions of seconds in datestamps or responseDate', () => {
    for (const ex of oai.seen) {
      for (const m of ex.text.matchAll(/<(responseDate|datestamp|earliestDatestamp)>([^<]+)</g)) {
        expect(m[2], `${m[1]} in ${ex.query}`).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      }
    }
  });

  it('every response validates against the OAI-PMH schema and the payload schemas', async function () {
    if (!schemasAvailable()) {
      console.log('      (skipped: ../shared/schemas is absent)');
      this.skip();
    }
    const result = await validateXml(oai.seen.map((e) => e.text));
    expect(result.errors, result.errors.slice(0, 5).join('\n')).to.deep.equal([]);
    expect(result.ok).to.equal(true);
  });
});

describe('oai-pmh: a repository without sets', function () {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    const op = await t.key('digital-inventory-operator');
    const res = await t.http.post('/api/v1/titles').set('Authorization', `Bearer ${op}`).type('application/json').send({ title: 'Alone' });
    await t.http.post(`/api/v1/titles/${res.body.id}/representations`).set('Authorization', `Bearer ${op}`).send({ usageType: 'primary', remote: { deliveryUrl: 'https://example.org/a' } });
  });
  after(async () => t?.close());

  it('answers noSetHierarchy to ListSets and to a set-selective list; its headers carry no setSpec', async () => {
    const oai = new OaiClient(t);
    expect(OaiClient.error(await oai.get('verb=ListSets'))).to.equal('noSetHierarchy');
    expect(OaiClient.error(await oai.get('verb=ListIdentifiers&metadataPrefix=oai_dc&set=anything'))).to.equal('noSetHierarchy');
    const all = await oai.harvest('verb=ListIdentifiers&metadataPrefix=oai_dc');
    expect(all).to.have.length(1);
    expect(all[0]?.sets).to.deep.equal([]);
    if (schemasAvailable()) expect((await validateXml(oai.seen.map((e) => e.text))).errors).to.deep.equal([]);
  });
});
