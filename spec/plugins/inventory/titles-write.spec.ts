import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { ChangeEvent } from '../../../core/db/entities/change-event.entity';
import { Title } from '../../../core/db/entities/title.entity';
import { buildIso2709 } from '../../helpers/marc-builder';
import { requireSharedData, sharedData } from '../../helpers/shared-data';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const PROBLEM = /^application\/problem\+json/;

const OAI_DC = `<?xml version="1.0" encoding="UTF-8"?>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <dc:title>Letters from the Cape</dc:title>
  <dc:creator>Lady Anne Barnard</dc:creator>
  <dc:date>1797</dc:date>
  <dc:identifier>cape-letters-1797</dc:identifier>
</oai_dc:dc>`;

const MARCXML = `<?xml version="1.0" encoding="UTF-8"?>
<record xmlns="http://www.loc.gov/MARC21/slim">
  <leader>00000nam a2200000 a 4500</leader>
  <controlfield tag="001">colophon-spec-1</controlfield>
  <datafield tag="100" ind1="1" ind2=" "><subfield code="a">Ørsted, Hans Christian,</subfield><subfield code="d">1777-1851.</subfield></datafield>
  <datafield tag="245" ind1="1" ind2="0"><subfield code="a">Aanden i naturen /</subfield><subfield code="c">H.C. Ørsted.</subfield></datafield>
  <datafield tag="260" ind1=" " ind2=" "><subfield code="a">Kjøbenhavn :</subfield><subfield code="b">Høst,</subfield><subfield code="c">1850.</subfield></datafield>
  <datafield tag="650" ind1=" " ind2="0"><subfield code="a">Natural philosophy.</subfield></datafield>
</record>`;

/** MARC-8: "Résumé" (acute precedes its letter) and a Cyrillic run by escape sequence. */
function marc8Record(): Buffer {
  const title = Buffer.concat([
    Buffer.from('R', 'latin1'), Buffer.from([0xe2]), Buffer.from('esum', 'latin1'), Buffer.from([0xe2]), Buffer.from('e ', 'latin1'),
    Buffer.from([0x1b, 0x28, 0x4e]), Buffer.from('mIR', 'latin1'), Buffer.from([0x1b, 0x28, 0x42]),
  ]);
  return buildIso2709(
    [
      { tag: '001', value: 'marc8-spec' },
      { tag: '245', ind: '00', subfields: [['a', title]] },
    ],
    { utf8: false },
  );
}

describe('inventory: titles write API', function () {
  let t: TestApp;
  let op: string;
  let ext: string;
  let reader: string;
  const auth = (k: string): Record<string, string> => ({ Authorization: `Bearer ${k}` });

  before(async function () {
    t = await startTestApp();
    op = await t.key('digital-inventory-operator');
    ext = await t.key('digital-inventory-operator-extended');
    reader = await t.key('deposit-operator');
  });
  after(async () => t?.close());

  const counts = async (): Promise<[number, number]> => [
    await t.app.ds.getRepository(Title).count(),
    await t.app.ds.getRepository(ChangeEvent).count(),
  ];

  it('creates a title from Dublin Core JSON: 201, id, Location, DC kept, a create event', async () => {
    const res = await t.http.post('/api/v1/titles').set(auth(op)).type('application/json')
      .send({ title: 'A map of the Cape', creator: ['Barrow, John'], date: '1801', subject: ['Cartography', 'Cape Colony'] });
    expect(res.status).to.equal(201);
    expect(res.body.id).to.match(/^[0-9a-f-]{36}$/);
    expect(res.headers.location).to.equal(`http://colophon.test/api/v1/titles/${res.body.id}`);
    expect(res.body.dc).to.deep.include({ title: ['A map of the Cape'], creator: ['Barrow, John'], date: ['1801'] });
    const ev = await t.app.ds.getRepository(ChangeEvent).findOneByOrFail({ objectId: res.body.id, action: 'create' });
    expect(ev.titleId).to.equal(res.body.id);
    const got = await t.http.get(`/api/v1/titles/${res.body.id}`).set(auth(reader));
    expect(got.status).to.equal(200);
    expect(got.body.title).to.equal('A map of the Cape');
  });

  it('creates from oai_dc XML, MARCXML and MARC-8 ISO 2709, deriving DC by crosswalk', async () => {
    const dc = await t.http.post('/api/v1/titles').set(auth(op)).type('application/xml').send(OAI_DC);
    expect(dc.status, JSON.stringify(dc.body)).to.equal(201);
    expect(dc.body.sourceFormat).to.equal('dc');
    expect(dc.body.dc.creator).to.deep.equal(['Lady Anne Barnard']);

    const mx = await t.http.post('/api/v1/titles').set(auth(op)).type('application/marcxml+xml').send(MARCXML);
    expect(mx.status, JSON.stringify(mx.body)).to.equal(201);
    expect(mx.body.sourceFormat).to.equal('marc21');
    expect(mx.body.sourceId).to.equal('colophon-spec-1');
    expect(mx.body.title).to.equal('Aanden i naturen');
    expect(mx.body.dc.creator[0]).to.match(/^Ørsted, Hans Christian/);
    expect((mx.body.dc.subject as string[]).join('|')).to.match(/Natural philosophy/);

    const bin = await t.http.post('/api/v1/titles').set(auth(op)).set('Content-Type', 'application/marc').send(marc8Record());
    expect(bin.status, JSON.stringify(bin.body)).to.equal(201);
    expect(bin.body.title.normalize('NFC')).to.equal('Résumé Мир'.normalize('NFC'));
    const rec = await t.http.get(`/api/v1/titles/${bin.body.id}/record`).set(auth(reader));
    expect(rec.type).to.equal('application/marcxml+xml');
    expect(rec.text).to.contain('Résumé'.normalize('NFC'));
  });

  it('replaces a record with PUT: DC derived again, datestamp bumped, an update event', async () => {
    const c = await t.http.post('/api/v1/titles').set(auth(op)).type('application/json').send({ title: 'Draft title' });
    const before = new Date(c.body.datestamp).getTime();
    await new Promise((r) => setTimeout(r, 5));
    const put = await t.http.put(`/api/v1/titles/${c.body.id}`).set(auth(op)).type('application/marcxml+xml').send(MARCXML);
    expect(put.status, JSON.stringify(put.body)).to.equal(200);
    expect(put.body.sourceFormat).to.equal('marc21');
    expect(put.body.title).to.equal('Aanden i naturen');
    expect(new Date(put.body.datestamp).getTime()).to.be.greaterThan(before);
    expect(await t.app.ds.getRepository(ChangeEvent).countBy({ objectId: c.body.id, action: 'update' })).to.equal(1);
  });

  it('suppresses with PATCH and records it', async () => {
    const c = await t.http.post('/api/v1/titles').set(auth(op)).type('application/json').send({ title: 'To hide' });
    const res = await t.http.patch(`/api/v1/titles/${c.body.id}`).set(auth(op)).send({ suppressed: true });
    expect(res.status).to.equal(200);
    expect(res.body.suppressed).to.equal(true);
    const list = await t.http.get('/api/v1/titles?suppressed=true').set(auth(reader));
    expect(list.body.items.map((x: { id: string }) => x.id)).to.include(c.body.id);
  });

  it('lists with paging and filters: format, datestamp range, sort', async () => {
    const start = new Date().toISOString();
    const made: string[] = [];
    for (const name of ['Filter one', 'Filter two', 'Filter three']) {
      made.push((await t.http.post('/api/v1/titles').set(auth(op)).type('application/json').send({ title: name })).body.id as string);
      await new Promise((r) => setTimeout(r, 3));
    }
    const recent = await t.http.get(`/api/v1/titles?from=${encodeURIComponent(start)}&sort=datestamp&format=dc`).set(auth(reader));
    expect(recent.status).to.equal(200);
    expect(recent.body.items.map((x: { id: string }) => x.id)).to.deep.equal([...made].reverse());
    const page = await t.http.get(`/api/v1/titles?from=${encodeURIComponent(start)}&sort=datestamp&limit=1&offset=1`).set(auth(reader));
    expect(page.body.total).to.equal(3);
    expect(page.body.items.map((x: { id: string }) => x.id)).to.deep.equal([made[1]]);
    const none = await t.http.get(`/api/v1/titles?until=${encodeURIComponent('2000-01-01T00:00:00Z')}`).set(auth(reader));
    expect(none.body.total).to.equal(0);
    expect((await t.http.get('/api/v1/titles?format=marc22').set(auth(reader))).status).to.equal(400);
    expect((await t.http.get('/api/v1/titles?from=yesterday').set(auth(reader))).status).to.equal(400);
  });

  it('serves a public landing page for published titles only', async () => {
    const c = await t.http.post('/api/v1/titles').set(auth(op)).type('application/json').send({ title: 'Landing <page> & co', creator: 'Someone' });
    await t.http.post(`/api/v1/titles/${c.body.id}/representations`).set(auth(op)).send({ usageType: 'primary', label: 'Remote copy', remote: { deliveryUrl: 'https://example.org/x' } });
    const page = await t.http.get(`/titles/${c.body.id}`);
    expect(page.status).to.equal(200);
    expect(page.type).to.equal('text/html');
    expect(page.text).to.contain('<h1>Landing &lt;page&gt; &amp; co</h1>');
    expect(page.text).to.contain('<a href="https://example.org/x">Remote copy</a>');
    expect((await t.http.get('/')).text).to.contain(`href="/titles/${c.body.id}"`);
    await t.http.patch(`/api/v1/titles/${c.body.id}`).set(auth(op)).send({ suppressed: true });
    expect((await t.http.get(`/titles/${c.body.id}`)).status).to.equal(404);
    expect((await t.http.get('/titles/not-a-uuid')).status).to.equal(404);
  });

  it('deletes a title (extended role only) and records the deletion with its sets', async () => {
    const col = await t.http.post('/api/v1/collections').set(auth(await t.key('collection-inventory-operator'))).send({ code: 'gone', name: 'Gone', published: true });
    const c = await t.http.post(`/api/v1/titles?collection=${col.body.id}`).set(auth(op)).type('application/json').send({ title: 'Ephemeral' });
    expect(c.status).to.equal(201);
    expect((await t.http.delete(`/api/v1/titles/${c.body.id}`).set(auth(op))).status).to.equal(403);
    const del = await t.http.delete(`/api/v1/titles/${c.body.id}`).set(auth(ext));
    expect(del.status).to.equal(204);
    expect((await t.http.get(`/api/v1/titles/${c.body.id}`).set(auth(reader))).status).to.equal(404);
    const ev = await t.app.ds.getRepository(ChangeEvent).findOneByOrFail({ objectId: c.body.id, action: 'delete' });
    expect(ev.payload).to.deep.include({ sets: ['gone'], displayTitle: 'Ephemeral' });
  });

  it('batch-creates every record of a body in one transaction', async () => {
    const two = Buffer.concat([marc8Record(), buildIso2709([{ tag: '001', value: 'b2' }, { tag: '245', ind: '00', subfields: [['a', 'Second']] }], { utf8: true })]);
    const res = await t.http.post('/api/v1/titles/batch').set(auth(op)).set('Content-Type', 'application/marc').send(two);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.created).to.equal(2);
    expect(res.body.items[1].title).to.equal('Second');
    const single = await t.http.post('/api/v1/titles').set(auth(op)).set('Content-Type', 'application/marc').send(two);
    expect(single.status).to.equal(400);
    expect(single.body.fault).to.equal('multiple-records');
  });

  it('refuses bad bodies with problem+json and writes nothing', async () => {
    const before = await counts();
    const cases: [string, string | Buffer, number, string?][] = [
      ['text/plain', 'hello', 415],
      ['application/json', '{"title": 5}', 400],
      ['application/json', '{"titel": "typo"}', 400],
      ['application/xml', '<oai_dc:dc xmlns:oai_dc="x"><unclosed>', 400, 'xml-not-well-formed'],
      ['application/marc', Buffer.from('00042nam  2200025   4500'), 400],
      ['application/marcxml+xml', '', 400],
    ];
    for (const [type, body, status, fault] of cases) {
      const res = await t.http.post('/api/v1/titles').set(auth(op)).set('Content-Type', type).send(body);
      expect(res.status, `${type} ${String(body).slice(0, 30)}: ${JSON.stringify(res.body)}`).to.equal(status);
      expect(res.type).to.match(PROBLEM);
      expect(res.body.detail).to.be.a('string').with.length.greaterThan(0);
      if (fault) expect(res.body.fault).to.equal(fault);
    }
    expect(await counts()).to.deep.equal(before);
  });

  describe('real records from ../shared/data', function () {
    before(function () {
      requireSharedData(this);
    });

    it('ingests every MARC file (binary and XML), one title per record', async function () {
      this.timeout(120_000);
      for (const dir of ['binary', 'xml']) {
        for (const name of readdirSync(sharedData('marc', dir))) {
          const body = readFileSync(sharedData('marc', dir, name));
          const type = dir === 'binary' ? `application/marc${name.includes('1251') ? '; charset=windows-1251' : ''}` : 'application/marcxml+xml';
          const res = await t.http.post('/api/v1/titles/batch').set(auth(op)).set('Content-Type', type).send(body);
          expect(res.status, `${name}: ${JSON.stringify(res.body).slice(0, 300)}`).to.equal(201);
          expect(res.body.created, name).to.be.greaterThan(0);
          for (const item of res.body.items as { title: string }[]) expect(item.title, name).to.be.a('string').with.length.greaterThan(0);
        }
      }
    });

    it('keeps 880 scripts through MARC-8 and UTF-8 ingest', async function () {
      const res = await t.http.post('/api/v1/titles/batch').set(auth(op)).set('Content-Type', 'application/marc')
        .send(readFileSync(sharedData('marc', 'binary', 'perl-marc-charset-hebrew1.mrc')));
      expect(res.status).to.equal(201);
      const rec = await t.http.get(`/api/v1/titles/${res.body.items[0].id}/record`).set(auth(reader));
      expect(rec.text).to.match(/tag="880"/);
      expect(rec.text).to.match(/[\u0590-\u05FF]/);
    });

    it('ingests every Dublin Core and MODS file', async function () {
      for (const name of readdirSync(sharedData('dc'))) {
        const type = name.startsWith('mods') || name.startsWith('mets') ? 'application/mods+xml' : 'application/xml';
        const res = await t.http.post('/api/v1/titles/batch').set(auth(op)).set('Content-Type', type).send(readFileSync(sharedData('dc', name)));
        expect(res.status, `${name}: ${JSON.stringify(res.body).slice(0, 300)}`).to.equal(201);
        expect(res.body.items[0].title, name).to.not.equal('[untitled]');
      }
    });

    it('refuses each malformed MARC file with a 4xx naming the fault, writing nothing', async function () {
      for (const name of readdirSync(sharedData('marc', 'malformed'))) {
        const before = await counts();
        const type = name.endsWith('.xml') ? 'application/marcxml+xml' : 'application/marc';
        for (const path of ['/api/v1/titles', '/api/v1/titles/batch']) {
          const res = await t.http.post(path).set(auth(op)).set('Content-Type', type).send(readFileSync(sharedData('marc', 'malformed', name)));
          expect(res.status, `${name} ${path}`).to.be.within(400, 499);
          expect(res.type).to.match(PROBLEM);
          expect(res.body.fault, name).to.be.a('string').that.does.not.equal('multiple-records');
          expect(res.body.detail, name).to.be.a('string').with.length.greaterThan(0);
        }
        expect(await counts(), name).to.deep.equal(before);
      }
    });
  });
});
