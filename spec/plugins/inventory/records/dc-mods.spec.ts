import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dcToOaiDcXml, parseRecord, parseRecords } from '../../../../plugins/inventory/records';
import { fixturePath, NO_SHARED, sharedFiles, skipUnless, fault } from './records-spec-support';

const fixture = (name: string): Buffer => readFileSync(fixturePath(name));

describe('inventory records: MODS and Dublin Core', function () {
  describe('MODS', function () {
    it('maps MODS to simple DC (LoC MODS -> DC mapping) and keeps recordIdentifier as source id', function () {
      const rec = parseRecord('application/mods+xml', fixture('record.mods.xml'));
      expect(rec.format).to.equal('mods');
      expect(rec.sourceId).to.equal('mods-0001');
      expect(rec.displayTitle).to.equal('The harbour at dawn: photographs 1921-1930');
      expect(rec.dc).to.deep.equal({
        title: ['The harbour at dawn: photographs 1921-1930', 'Dawn harbour'], // nonSort + title + ": " subTitle; alternative title
        creator: ['Lindqvist, Maja, 1890-1961'], // roleTerm "creator"
        subject: ['Harbors--History'], // topics of one subject joined with "--"
        description: ['Glass negatives of the old harbour, taken at first light.'], // abstract
        publisher: ['Harbour Museum Press'],
        contributor: ['Harbour Museum'], // any other role
        date: ['1921-1930'], // dateCreated start/end
        type: ['Collection', 'StillImage', 'photographs'], // @collection, typeOfResource as DCMI type, genre
        format: ['electronic', '48 photographs', 'image/jp2'], // physicalDescription form, extent, internetMediaType
        identifier: ['https://example.org/objects/harbour-dawn', 'https://example.org/view/harbour-dawn'], // identifier, location/url
        source: ['Glass plate negatives, box 3'], // relatedItem type="original"
        language: ['swe'],
        relation: ['Harbour Museum photograph collection'], // other relatedItem
        coverage: ['Göteborg (Sweden)', '1921-1930'], // subject geographic, temporal
        rights: ['Public domain.'], // accessCondition
      });
      expect(rec.warnings).to.deep.equal([]);
    });

    it('stores one <mods> with MODS as the default namespace and every other namespace declared', function () {
      const rec = parseRecord('application/mods+xml', fixture('record.mods.xml'));
      expect(rec.record.startsWith('<mods xmlns="http://www.loc.gov/mods/v3" version="3.7">')).to.equal(true);
      expect(rec.record).to.contain('<relatedItem xmlns:xlink="http://www.w3.org/1999/xlink" type="host" xlink:href="https://example.org/collections/harbour">');
      expect(rec.record).to.not.contain('m:');
      const again = parseRecord('application/mods+xml', Buffer.from(rec.record));
      expect(again.dc).to.deep.equal(rec.dc);
      expect(again.record).to.equal(rec.record);
    });

    it('takes the dmdSec the first logical structMap division points to from a METS document', function () {
      const rec = parseRecord('application/mets+xml', fixture('record.mets.xml'));
      expect(rec.displayTitle).to.equal('Atlas of the northern coast');
      expect(rec.sourceId).to.equal('atlas-7');
      expect(rec.dc.type).to.deep.equal(['Image']);
      expect(rec.warnings).to.deep.equal(['MODS taken from METS dmdSec DMD_WORK, the description of the first logical structMap division']);
      // xlink was declared on <mets>: the stored <mods> declares it where it is used
      expect(rec.record).to.contain('<relatedItem xmlns:xlink="http://www.w3.org/1999/xlink" type="series" xlink:href="https://example.org/series/coasts">');
      expect(rec.dc.relation).to.deep.equal(['Coasts']);
    });

    it('reads every <mods> of a <modsCollection>', function () {
      const body = `<modsCollection xmlns="http://www.loc.gov/mods/v3"><mods><titleInfo><title>One</title></titleInfo></mods><mods><titleInfo><title>Two</title></titleInfo></mods></modsCollection>`;
      expect(parseRecords('application/mods+xml', Buffer.from(body)).map((r) => r.displayTitle)).to.deep.equal(['One', 'Two']);
    });

    it('refuses MODS outside the MODS v3 namespace, and METS without embedded MODS', function () {
      const e = fault(() => parseRecords('application/mods+xml', Buffer.from('<mods><titleInfo><title>x</title></titleInfo></mods>')));
      expect(e.fault).to.equal('not-a-record');
      expect(e.message).to.contain('must be in the MODS v3 namespace');
      expect(fault(() => parseRecords('application/mets+xml', Buffer.from('<mets xmlns="http://www.loc.gov/METS/"><dmdSec ID="a"/></mets>'))).fault).to.equal('not-a-record');
    });
  });

  describe('Dublin Core XML', function () {
    it('reads oai_dc as is: values trimmed, empty ones dropped, first identifier as source id', function () {
      const rec = parseRecord('application/xml', fixture('record.oai_dc.xml'));
      expect(rec.format).to.equal('dc');
      expect(rec.dc).to.deep.equal({
        title: ['Letters from the lighthouse'],
        creator: ['Okafor, Ngozi'],
        subject: ['Lighthouses'],
        date: ['1932'],
        type: ['Text'],
        identifier: ['urn:colophon:dc-0001', 'https://example.org/letters'],
        language: ['en'],
      });
      expect(rec.sourceId).to.equal('urn:colophon:dc-0001');
      expect(rec.record).to.equal(dcToOaiDcXml(rec.dc));
    });

    it('reads simple DC (DC 1.1 and DCMI Terms children of any root), mapping refinements to their element', function () {
      const body = `<metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:x="urn:x">
        <dc:title>Field notes</dc:title><dcterms:alternative>Notes</dcterms:alternative><dcterms:issued>1999</dcterms:issued>
        <dcterms:abstract>Short.</dcterms:abstract><dcterms:isPartOf>Series A</dcterms:isPartOf><dcterms:spatial>Oslo</dcterms:spatial>
        <dcterms:license>CC0</dcterms:license><dcterms:audience>Pupils</dcterms:audience><x:other>?</x:other></metadata>`;
      const rec = parseRecord('text/xml', Buffer.from(body));
      expect(rec.dc).to.deep.equal({
        title: ['Field notes', 'Notes'],
        description: ['Short.'],
        date: ['1999'],
        relation: ['Series A'],
        coverage: ['Oslo'],
        rights: ['CC0'],
      });
      expect(rec.warnings).to.deep.equal(['ignored element(s) that are not Dublin Core: dcterms:audience, x:other']);
    });

    it('reads DSpace dublin_core.xml, qualified elements under their element', function () {
      const rec = parseRecord('application/xml', fixture('record.saf.xml'));
      expect(rec.dc).to.deep.equal({
        title: ['Survey of coastal birds', 'Coastal birds'],
        description: ['Counts from twelve stations.'],
        contributor: ['Haddad, Leila'],
        date: ['2004-06'],
        identifier: ['http://hdl.handle.net/0000/1'],
      });
      expect(rec.warnings).to.deep.equal(['ignored element(s) that are not Dublin Core: dc.embargo.terms']);
      expect(fault(() => parseRecord('application/xml', Buffer.from('<dublin_core schema="local"><dcvalue element="x">y</dcvalue></dublin_core>'))).fault).to.equal('not-a-record');
    });

    it('takes the oai_dc records out of a wrapper such as an OAI-PMH response', function () {
      const oai = `<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>${['A', 'B']
        .map((t) => `<record><metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${t}</dc:title></oai_dc:dc></metadata></record>`)
        .join('')}</ListRecords></OAI-PMH>`;
      const recs = parseRecords('application/xml', Buffer.from(oai));
      expect(recs.map((r) => r.displayTitle)).to.deep.equal(['A', 'B']);
      expect(recs[0]?.warnings).to.deep.equal(['oai_dc record taken from inside <OAI-PMH>']);
    });

    it('refuses XML that holds no record', function () {
      const e = fault(() => parseRecords('application/xml', Buffer.from('<html><body/></html>')));
      expect(e.fault).to.equal('not-a-record');
      expect(e.where).to.deep.equal({ line: 1, column: 1 });
    });
  });

  describe('Dublin Core JSON', function () {
    const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

    it('reads an object of DC elements (strings or arrays of strings) and stores it as oai_dc', function () {
      const rec = parseRecord('application/json; charset=utf-8', fixture('record.dc.json'));
      expect(rec.dc).to.deep.equal({
        title: ['Notebook of tide tables'],
        creator: ['Mensah, Kofi'],
        description: ['Handwritten, 40 leaves.', 'Bound in oilcloth.'],
        date: ['1911'],
        identifier: ['urn:colophon:json-0001'],
        rights: ['Public domain'],
      });
      expect(rec.record).to.equal(dcToOaiDcXml(rec.dc));
      expect(rec.record).to.contain('<dc:title>Notebook of tide tables</dc:title>');
    });

    it('reads an array of records', function () {
      expect(parseRecords('application/json', json([{ title: 'a' }, { title: ['b', 'c'] }])).map((r) => r.dc.title)).to.deep.equal([['a'], ['b', 'c']]);
    });

    it('refuses unknown keys, values that are not strings, a record without title, and broken JSON', function () {
      const e1 = fault(() => parseRecords('application/json', json({ title: 'x', author: 'y', isbn: '1' })));
      expect(e1.fault).to.equal('dc-json-invalid');
      expect(e1.message).to.contain('unknown key(s) "author", "isbn"');
      const e2 = fault(() => parseRecords('application/json', json({ title: 'x', date: 1999 })));
      expect(e2.fault).to.equal('dc-json-invalid');
      expect(e2.message).to.contain('"date" must be a string or an array of strings, found number');
      expect(fault(() => parseRecords('application/json', json({ title: ['x', null] }))).message).to.contain('"title[1]" must be a string');
      expect(fault(() => parseRecords('application/json', json([{ title: 'x' }, { title: ' ' }]))).where).to.deep.equal({ record: 2 });
      expect(fault(() => parseRecords('application/json', json({ creator: 'x' }))).fault).to.equal('dc-title-missing');
      expect(fault(() => parseRecords('application/json', json('title'))).fault).to.equal('dc-json-invalid');
      expect(fault(() => parseRecords('application/json', json([]))).fault).to.equal('no-records');
      const broken = fault(() => parseRecords('application/json', Buffer.from('{\n  "title": "x",\n}')));
      expect(broken.fault).to.equal('dc-json-invalid');
      expect(broken.where?.line).to.equal(3);
      expect(fault(() => parseRecords('application/json; charset=latin1', json({ title: 'x' }))).fault).to.equal('unsupported-charset');
    });

    it('removes characters XML cannot carry, with a warning', function () {
      const rec = parseRecord('application/json', json({ title: 'Bell\u0007 book', subject: ['\ud800lone'] }));
      expect(rec.dc).to.deep.equal({ title: ['Bell book'], subject: ['lone'] });
      expect(rec.warnings).to.deep.equal(['removed 2 character(s) not allowed in XML 1.0 (U+0007, U+D800) from title, subject']);
    });
  });

  describe('the shared corpus (../shared/data/dc)', function () {
    const files = sharedFiles('dc');
    before(function () {
      skipUnless(this, files, NO_SHARED);
    });

    const titles: Record<string, string> = {
      'dspace-saf-dublin_core.xml': 'A Tale of Two Cities',
      'dspace-saf-metadata_dcterms.xml': 'A Tale of Two Cities',
      'mets-mods-sbb-SBB0000F29300010000.xml': 'Der Herold',
      'mods-marc4j-summerland-modsCollection.xml': 'Summerland',
      'mods-stanford-hp566jq8781.xml':
        'Cambridge, Corpus Christi College, MS 367: Miscellaneous Compilation including Old English Material and Historical and Philosophical Works',
      'mods-stanford-shpc1.xml': 'Arboretum, road with oaks',
      'oai_dc-erasmus-hdl1765-315.xml': 'De vrouwenbeweging online. Een onderzoek naar het gebruik van Internet door vrouwenorganisaties in Nederland .',
      'oai_dc-mit-dspace-1721.1-140694.xml': 'Untitled',
      'oai_dc-mit-dspace-1721.1-140699.xml': 'The Waves, 1984, Reel 1 of 1',
      'oai_dc-mit-dspace-1721.1-140717.xml': 'Doubles',
    };

    it('parses every file, by its own media type and as application/xml, with its title', function () {
      expect((files ?? []).map((f) => f.name).sort()).to.deep.equal(Object.keys(titles).sort());
      for (const f of files ?? []) {
        const own = f.name.startsWith('mets') ? 'application/mets+xml' : f.name.startsWith('mods') ? 'application/mods+xml' : 'application/xml';
        const body = readFileSync(f.path);
        const rec = parseRecord(own, body);
        expect(rec.displayTitle, f.name).to.equal(titles[f.name]);
        expect(rec.format, f.name).to.equal(own === 'application/xml' ? 'dc' : 'mods');
        expect(parseRecord('application/xml', body).dc, f.name).to.deep.equal(rec.dc);
      }
    });

    it('takes identifiers as given: MODS recordIdentifier, first dc:identifier', function () {
      const get = (name: string): string | null => {
        const f = (files ?? []).find((x) => x.name === name);
        return f ? parseRecord('application/xml', readFileSync(f.path)).sourceId : null;
      };
      expect(get('mets-mods-sbb-SBB0000F29300010000.xml')).to.equal('PPN767137728');
      expect(get('mods-marc4j-summerland-modsCollection.xml')).to.equal('12883376');
      expect(get('oai_dc-mit-dspace-1721.1-140699.xml')).to.equal('https://hdl.handle.net/1721.1/140699');
    });
  });
});
