import { expect } from 'chai';
import { Title } from '../../../../core/db/entities/title.entity';
import { ColophonError } from '../../../../core/errors';
import { isControlField, readMarcXml, type MarcDataField, type MarcField, type MarcRecord } from '../../../../plugins/inventory/records';
import { Marc21Format } from '../../../../plugins/oai-pmh/formats';
import { iso2709 } from '../../inventory/records/records-spec-support';
import { contextFor, dirtyDcTitle, projectSamples, sharedSamples, type FormatSample } from './format-samples';

/** MARC21slim.xsd leaderDataType. */
const LEADER = /^[\d ]{5}[\dA-Za-z ][\dA-Za-z][\dA-Za-z ]{3}(2| )(2| )[\d ]{5}[\dA-Za-z ]{3}(4500| {4})$/;

const render = (format: Marc21Format, s: FormatSample): MarcRecord => {
  const recs = readMarcXml(format.render(s.title, contextFor(s.title)));
  expect(recs).to.have.length(1);
  return recs[0] as MarcRecord;
};
const data = (rec: MarcRecord, tag: string): MarcDataField[] => rec.fields.filter((f): f is MarcDataField => f.tag === tag && !isControlField(f));
const sub = (f: MarcDataField | undefined, code: string): string[] => (f?.subfields ?? []).filter((s) => s.code === code).map((s) => s.value);
const control = (rec: MarcRecord, tag: string): string | undefined => {
  const f = rec.fields.find((x) => x.tag === tag);
  return f && isControlField(f) ? f.value : undefined;
};

/** The record as ISO 2709 bytes (UTF-8), built by the record specs' writer, which counts lengths from the bytes. */
function isoLeader(rec: MarcRecord): string {
  const bytes = iso2709(rec.leader, rec.fields.map((f): [string, Buffer] => [
    f.tag,
    isControlField(f)
      ? Buffer.from(f.value)
      : Buffer.concat([Buffer.from(f.ind1 + f.ind2), ...f.subfields.map((s) => Buffer.concat([Buffer.from([0x1f]), Buffer.from(s.code + s.value)]))]),
  ]));
  return bytes.subarray(0, 24).toString('latin1');
}

/** The fields the render added: 856s carrying one of the context's URLs. */
function isAdded(f: MarcField, s: FormatSample): boolean {
  const ctx = contextFor(s.title);
  const ours = new Set([ctx.titleUrl, ...ctx.links.flatMap((l) => [l.deliveryUrl, l.manifestUrl, l.thumbnailUrl])]);
  return f.tag === '856' && !isControlField(f) && f.subfields.some((x) => x.code === 'u' && ours.has(x.value));
}

describe('Marc21Format', function () {
  const format = new Marc21Format();
  const marcSamples = (): FormatSample[] => [...projectSamples(), ...sharedSamples()].filter((s) => s.title.sourceFormat === 'marc21');
  const fixture = (name: string): FormatSample => {
    const s = projectSamples().find((x) => x.name === name);
    if (!s) throw new Error(`no sample ${name}`);
    return s;
  };

  it('keeps every field of a MARC title as catalogued, in order (fixture and ../shared MARC)', function () {
    const samples = marcSamples();
    expect(samples.length).to.be.greaterThan(0);
    const failures: string[] = [];
    for (const s of samples) {
      const [source] = readMarcXml(s.title.sourceRecord);
      const out = render(format, s);
      try {
        expect(out.fields.filter((f) => !isAdded(f, s))).to.deep.equal(source?.fields);
        // Only the structural positions change: 00-04 record length, 12-16 base address.
        expect(out.leader.slice(5, 12) + out.leader.slice(17)).to.equal((source?.leader ?? '').slice(5, 12) + (source?.leader ?? '').slice(17));
      } catch (err) {
        failures.push(`${s.name}: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`);
      }
    }
    expect(failures, failures.slice(0, 5).join('\n')).to.deep.equal([]);
  });

  it('adds one 856 per link: title page, delivery, manifest, thumbnail, remote delivery', function () {
    const s = fixture('record.marcxml.xml');
    const ctx = contextFor(s.title);
    const [local, remote] = ctx.links;
    const added = render(format, s).fields.filter((f) => isAdded(f, s)) as MarcDataField[];
    expect(added.map((f) => ({ ind: f.ind1 + f.ind2, subfields: f.subfields.map((x) => `$${x.code} ${x.value}`) }))).to.deep.equal([
      { ind: '40', subfields: [`$u ${ctx.titleUrl}`, '$y Landing page'] },
      { ind: '40', subfields: ['$3 Scans & OCR <master>', `$u ${local?.deliveryUrl}`, '$q image/jp2'] },
      { ind: '40', subfields: ['$3 Scans & OCR <master>', `$u ${local?.manifestUrl}`, '$q application/ld+json', '$y IIIF manifest'] },
      { ind: '42', subfields: ['$3 Thumbnail', `$u ${local?.thumbnailUrl}`] },
      { ind: '41', subfields: ['$3 Copy at the "partner" library', `$u ${remote?.deliveryUrl}`] },
    ]);
  });

  it("writes the added 856s after the record's own 856 and before the 880s", function () {
    const out = render(format, fixture('record.marcxml.xml'));
    expect(out.fields.map((f) => f.tag).slice(-8)).to.deep.equal(['856', '856', '856', '856', '856', '856', '880', '880']);
    expect(sub(data(out, '856')[0], 'u')).to.deep.equal(['https://example.org/colophon-0001.pdf']);
  });

  it('sets the leader lengths an ISO 2709 writer would (UTF-8 bytes), for every MARC and DC sample', function () {
    const failures: string[] = [];
    for (const s of [...projectSamples(), ...sharedSamples()]) {
      const out = render(format, s);
      const iso = isoLeader(out);
      const length = Math.min(Number(iso.slice(0, 5)), 99999);
      if (Number(out.leader.slice(0, 5)) !== length || out.leader.slice(12, 17) !== iso.slice(12, 17)) failures.push(`${s.name}: ${out.leader} vs ${iso}`);
      if (!LEADER.test(out.leader)) failures.push(`${s.name}: leader ${JSON.stringify(out.leader)} does not match MARC21slim.xsd`);
    }
    expect(failures, failures.slice(0, 5).join('\n')).to.deep.equal([]);
  });

  it('leaves out 856s that point into the repository when repositoryUrls names it', function () {
    const s = fixture('record.marcxml.xml');
    const scoped = Marc21Format.fromConfig({ repositoryUrls: ['https://example.org/'] });
    const out = render(scoped, s);
    expect(data(out, '856').flatMap((f) => sub(f, 'u'))).not.to.include('https://example.org/colophon-0001.pdf');
    const [source] = readMarcXml(s.title.sourceRecord);
    expect(out.fields.filter((f) => !isAdded(f, s))).to.deep.equal(source?.fields.filter((f) => f.tag !== '856'));
  });

  it('crosswalks a Dublin Core title after LoC (245 from title, 720 from creator, 001 the title id)', function () {
    const s = fixture('record.oai_dc.xml');
    const out = render(format, s);
    expect(control(out, '001')).to.equal(s.title.id);
    expect(control(out, '005')).to.equal('20240301123000.0');
    expect(control(out, '008')).to.have.length(40);
    expect(control(out, '008')?.slice(6, 11)).to.equal('s1932');
    expect(out.leader.slice(5, 8)).to.equal('nam');
    const f245 = data(out, '245');
    expect(f245.map((f) => f.ind1 + f.ind2)).to.deep.equal(['00']);
    expect(sub(f245[0], 'a')).to.deep.equal(['Letters from the lighthouse']);
    expect(data(out, '720').map((f) => f.subfields)).to.deep.equal([[{ code: 'a', value: 'Okafor, Ngozi' }, { code: 'e', value: 'author' }]]);
    expect(sub(data(out, '653')[0], 'a')).to.deep.equal(['Lighthouses']);
    expect(sub(data(out, '260')[0], 'c')).to.deep.equal(['1932']);
    expect(data(out, '655').map((f) => [f.ind2, ...sub(f, 'a'), ...sub(f, '2')])).to.deep.equal([['7', 'Text', 'local']]);
    expect(sub(data(out, '024')[0], 'a')).to.deep.equal(['urn:colophon:dc-0001']);
    expect(sub(data(out, '546')[0], 'a')).to.deep.equal(['en']); // not an ISO 639-2 code, so text
    // The record's own URL identifier is an 856 40, ahead of the added links.
    expect(data(out, '856').map((f) => sub(f, 'u')[0])[0]).to.equal('https://example.org/letters');
  });

  it('crosswalks further titles, names and contributors of DC and MODS titles', function () {
    const saf = render(format, fixture('record.saf.xml'));
    expect(sub(data(saf, '245')[0], 'a')).to.deep.equal(['Survey of coastal birds']);
    expect(data(saf, '246').map((f) => [f.ind1 + f.ind2, ...sub(f, 'a')])).to.deep.equal([['33', 'Coastal birds']]);
    expect(data(saf, '720').map((f) => sub(f, 'a')[0])).to.include('Haddad, Leila');
    const mods = fixture('record.mods.xml');
    const out = render(format, mods);
    expect(sub(data(out, '245')[0], 'a')).to.deep.equal([mods.title.dc.title?.[0]]);
    expect(data(out, '720').map((f) => f.subfields.map((x) => x.value))).to.deep.equal([
      ...(mods.title.dc.creator ?? []).map((c) => [c, 'author']),
      ...(mods.title.dc.contributor ?? []).map((c) => [c]),
    ]);
    expect(out.leader.slice(6, 8)).to.equal('kc'); // StillImage, Collection
  });

  it('removes characters XML cannot carry from a dirty Dublin Core title', function () {
    const title = dirtyDcTitle();
    const out = render(format, { name: 'dirty', title });
    expect(sub(data(out, '245')[0], 'a')).to.deep.equal(['Tide tables of the north']);
    expect(data(out, '653').map((f) => sub(f, 'a')[0])).to.deep.equal(['Tides']);
    expect(data(out, '041').flatMap((f) => sub(f, 'a'))).to.deep.equal(['eng']);
    expect(control(out, '008')?.slice(35, 38)).to.equal('eng');
  });

  it('throws a typed error naming the title when its stored MARCXML does not parse', function () {
    const s = fixture('record.marcxml.xml');
    const broken = Object.assign(new Title(), s.title, { sourceRecord: '<record xmlns="http://www.loc.gov/MARC21/slim"><leader>' });
    expect(() => format.render(broken, contextFor(broken))).to.throw(ColophonError, new RegExp(`title ${s.title.id}: its stored MARCXML cannot be read`))
      .with.property('code', 'oai-format.stored-record-unreadable');
    const two = Object.assign(new Title(), s.title, { sourceRecord: `<collection xmlns="http://www.loc.gov/MARC21/slim">${s.title.sourceRecord.replace(/ xmlns="[^"]*"/, '').repeat(2)}</collection>` });
    expect(() => format.render(two, contextFor(two))).to.throw(ColophonError, /holds 2 records, not one/);
  });
});
