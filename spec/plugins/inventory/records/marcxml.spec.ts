import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  parseRecords,
  readIso2709,
  readMarcXml,
  type RecordError,
  writeMarcXml,
  type MarcDataField,
  type MarcRecord,
} from '../../../../plugins/inventory/records';
import { fixturePath, NO_SHARED, sharedData, sharedFiles, skipUnless, fault } from './records-spec-support';

const SLIM = 'http://www.loc.gov/MARC21/slim';

const record = (body: string, ns = ` xmlns="${SLIM}"`): string =>
  `<?xml version="1.0"?>\n<record${ns}>\n  <leader>00000nam a2200000 a 4500</leader>\n${body}\n</record>`;

const dataField = (rec: MarcRecord | undefined, tag: string): MarcDataField | undefined =>
  rec?.fields.find((f): f is MarcDataField => f.tag === tag && 'subfields' in f);

describe('inventory records: MARCXML', function () {
  describe('reading', function () {
    it('reads a prefixed <marc:record> with its 880 fields', function () {
      const [rec] = readMarcXml(readFileSync(fixturePath('record.marcxml.xml'), 'utf8'));
      expect(rec?.leader).to.equal('01000cam a2200289 a 4500'); // leader/09 was blank
      expect(rec?.fields[0]).to.deep.equal({ tag: '001', value: 'colophon-0001' });
      expect(dataField(rec, '245')).to.deep.equal({
        tag: '245',
        ind1: '1',
        ind2: '0',
        subfields: [
          { code: '6', value: '880-02' },
          { code: 'a', value: 'Morskie rasskazy :' },
          { code: 'b', value: 'povesti i ocherki /' },
          { code: 'c', value: 'Anna Petrova.' },
        ],
      });
      const cyrillic = rec?.fields.filter((f): f is MarcDataField => f.tag === '880' && 'subfields' in f).map((f) => f.subfields[1]?.value);
      expect(cyrillic).to.deep.equal(['Петрова, Анна,', 'Морские рассказы :']);
    });

    it('reads <collection> and <record> without a namespace, and records inside a wrapper', function () {
      const noNs = `<collection>${record('<controlfield tag="001">a</controlfield>', '')}${record('<controlfield tag="001">b</controlfield>', '')}</collection>`.replace(/<\?xml version="1.0"\?>\n/g, '');
      expect(readMarcXml(noNs).map((r) => r.fields[0])).to.deep.equal([{ tag: '001', value: 'a' }, { tag: '001', value: 'b' }]);
      const sru = `<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/"><records><record><recordData>${record('<controlfield tag="001">c</controlfield>').replace(/<\?xml[^>]*>\n/, '')}</recordData></record></records></searchRetrieveResponse>`;
      const [parsed] = parseRecords('application/marcxml+xml', Buffer.from(sru));
      expect(parsed?.sourceId).to.equal('c');
      expect(parsed?.warnings).to.include('MARCXML record taken from inside <searchRetrieveResponse>');
    });

    it('writes leader/09 "a" and the MARC 21 structure positions, reporting changes', function () {
      const xml = record('<datafield tag="245" ind1="0" ind2="0"><subfield code="a">T</subfield></datafield>').replace('a2200000 a 4500', ' 2200000 a 450 ');
      const [parsed] = parseRecords('application/marcxml+xml', Buffer.from(xml));
      expect(parsed?.record).to.contain('<leader>00000nam a2200000 a 4500</leader>');
      expect(parsed?.warnings).to.deep.equal(['leader/20-23 "450 " written as "4500"']);
    });

    it('writes indicators MARCXML does not allow as blank, with a warning', function () {
      const xml = record('<datafield tag="650" ind1="-" ind2="|"><subfield code="a">Birds</subfield></datafield>');
      const [parsed] = parseRecords('application/marcxml+xml', Buffer.from(xml));
      expect(parsed?.record).to.contain('<datafield tag="650" ind1=" " ind2=" ">');
      expect(parsed?.warnings).to.include.members([
        'field 650: indicator 1 "-" is not allowed in MARCXML and was written as blank',
        'field 650: indicator 2 "|" is not allowed in MARCXML and was written as blank',
      ]);
    });
  });

  describe('faults', function () {
    const parse = (xml: string): RecordError => fault(() => parseRecords('application/marcxml+xml', Buffer.from(xml)));

    it('not well-formed -> xml-not-well-formed with line and column', function () {
      const e = parse('<record xmlns="http://www.loc.gov/MARC21/slim">\n  <leader>x</leader>\n  <controlfield tag="001">1</datafield>\n</record>');
      expect(e.fault).to.equal('xml-not-well-formed');
      expect(e.where?.line).to.equal(3);
      expect(e.where?.column).to.be.a('number');
      expect(e.message).to.match(/^Line 3, column \d+: not well-formed XML: /);
    });

    it('a subfield without @code -> marcxml-subfield-code-missing, where it is', function () {
      const e = parse(record('<datafield tag="245" ind1="0" ind2="0">\n<subfield>Title</subfield></datafield>'));
      expect(e.fault).to.equal('marcxml-subfield-code-missing');
      expect(e.where).to.deep.equal({ record: 1, line: 5, column: 1 });
      expect(e.message).to.equal('Record 1, line 5, column 1: a <subfield> of field 245 has no code attribute');
    });

    it('no leader, a short leader, a bad tag or indicator -> their own faults', function () {
      expect(parse(`<record xmlns="${SLIM}"><controlfield tag="001">1</controlfield></record>`).fault).to.equal('marcxml-leader-missing');
      expect(parse(record('').replace('00000nam a2200000 a 4500', '00000nam')).fault).to.equal('marc-leader-invalid');
      expect(parse(record('<controlfield tag="245">x</controlfield>')).fault).to.equal('marcxml-tag-invalid');
      expect(parse(record('<datafield ind1=" " ind2=" "><subfield code="a">x</subfield></datafield>')).fault).to.equal('marcxml-tag-missing');
      expect(parse(record('<datafield tag="245" ind1=" "><subfield code="a">x</subfield></datafield>')).fault).to.equal('marcxml-indicator-invalid');
      expect(parse(record('<datafield tag="245" ind1=" " ind2=" "><subfield code="ab">x</subfield></datafield>')).fault).to.equal('marcxml-subfield-code-invalid');
    });

    it('an empty collection, another vocabulary, an empty body -> no-records, not-a-record, empty-body', function () {
      expect(parse(`<collection xmlns="${SLIM}"/>`).fault).to.equal('no-records');
      expect(parse('<mods xmlns="http://www.loc.gov/mods/v3"/>').fault).to.equal('not-a-record');
      expect(parse(' \n').fault).to.equal('empty-body');
    });

    it('bytes that are not UTF-8 -> xml-encoding-invalid; a declared encoding is honoured', function () {
      const bad = Buffer.concat([Buffer.from(record('<controlfield tag="001">')), Buffer.from([0xe9]), Buffer.from('</controlfield>\n</record>')]);
      expect(fault(() => parseRecords('application/marcxml+xml', bad)).fault).to.equal('xml-encoding-invalid');
      const latin1 = Buffer.from(record('<controlfield tag="001">Café</controlfield>').replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="ISO-8859-1"?>'), 'latin1');
      expect(parseRecords('application/marcxml+xml', latin1)[0]?.sourceId).to.equal('Café');
      expect(parseRecords('application/marcxml+xml; charset=iso-8859-1', latin1)[0]?.sourceId).to.equal('Café');
    });
  });

  describe('writing', function () {
    it('writes one <record> that reads back to the same record', function () {
      const [rec] = readMarcXml(readFileSync(fixturePath('record.marcxml.xml'), 'utf8'));
      if (!rec) throw new Error('no record');
      const xml = writeMarcXml(rec);
      expect(xml.startsWith(`<record xmlns="${SLIM}">\n  <leader>`)).to.equal(true);
      expect(readMarcXml(xml)).to.deep.equal([rec]);
    });

    it('can leave the namespace declaration to an enclosing <collection>', function () {
      const rec: MarcRecord = { leader: '00000nam  2200000   4500', fields: [{ tag: '001', value: '1' }] };
      const xml = writeMarcXml(rec, { namespaceDeclaration: false });
      expect(xml.startsWith('<record>\n  <leader>00000nam a2200000   4500</leader>')).to.equal(true);
      expect(readMarcXml(`<collection xmlns="${SLIM}">${xml}</collection>`)[0]?.fields).to.deep.equal(rec.fields);
    });

    it('escapes markup characters, keeps carriage returns and drops characters XML cannot carry', function () {
      const rec: MarcRecord = {
        leader: '00000nam a2200000   4500',
        fields: [{ tag: '500', ind1: ' ', ind2: ' ', subfields: [{ code: 'a', value: 'A & B <c> "d"\r\nnext\u0001' }, { code: '&', value: 'x' }] }],
      };
      const xml = writeMarcXml(rec);
      expect(xml).to.contain('<subfield code="a">A &amp; B &lt;c&gt; "d"&#13;\nnext</subfield>');
      expect(xml).to.contain('<subfield code="&amp;">x</subfield>');
      const back = readMarcXml(xml)[0]?.fields[0] as MarcDataField;
      expect(back.subfields[0]?.value).to.equal('A & B <c> "d"\r\nnext');
    });
  });

  describe('the shared corpus (../shared/data/marc/xml)', function () {
    const files = sharedFiles('marc/xml');
    before(function () {
      skipUnless(this, files, NO_SHARED);
    });

    it('parses every record of every file', function () {
      const counts: Record<string, number> = {};
      for (const f of files ?? []) {
        const records = parseRecords('application/marcxml+xml', readFileSync(f.path));
        counts[f.name] = records.length;
        for (const r of records) expect(r.record, f.name).to.match(/^<record xmlns="http:\/\/www\.loc\.gov\/MARC21\/slim">/);
      }
      expect(counts).to.include({
        'marc4j-pride-and-prejudice-fixed.DERIVED.marcxml.xml': 383,
        'traject-test_data.utf8.marc.xml': 30,
        'perl-marc-xml-batch-ns.xml': 10,
        'marc4j-sample1a.xml': 9,
        'chronam-holdings.xml': 10,
        'chronam-title-sru.xml': 1,
        'marcjs-bib.xml': 6,
        'openlibrary-warofrebellionco1473unit_marc.xml': 1,
      });
    });

    it('reads each MARCXML file exactly as its ISO 2709 twin', function () {
      const root = sharedData() ?? '';
      const pairs: [string, string][] = [
        ['marc4j-pride-and-prejudice-fixed.mrc', 'marc4j-pride-and-prejudice-fixed.DERIVED.marcxml.xml'],
        ['traject-test_data.utf8.mrc', 'traject-test_data.utf8.marc.xml'],
        ['filemarc-sandburg.mrc', 'filemarc-sandburg.xml'],
        ['pymarc-test.mrc', 'perl-marc-xml-batch.xml'],
      ];
      for (const [bin, xml] of pairs) {
        const a = readIso2709(readFileSync(path.join(root, 'marc/binary', bin)));
        const b = readMarcXml(readFileSync(path.join(root, 'marc/xml', xml), 'utf8'));
        expect(b.length, xml).to.equal(a.length);
        a.forEach((rec, i) => expect(b[i]?.fields, `${xml} record ${i + 1}`).to.deep.equal(rec.fields));
      }
    });
  });
});
