import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseRecord, parseRecords, RECORD_CONTENT_TYPES, RecordError } from '../../../../plugins/inventory/records';
import { fixturePath, iso2709, sf, fault } from './records-spec-support';

const marc = (title: string, id = '1'): Buffer =>
  iso2709('00000nam a2200000   4500', [
    ['001', id],
    ['245', Buffer.concat([Buffer.from('10'), sf('a', title)])],
  ]);

describe('inventory records: parseRecords / parseRecord', function () {
  it('accepts the record media types, case-insensitively and with parameters', function () {
    expect(RECORD_CONTENT_TYPES).to.deep.equal([
      'application/marc',
      'application/marcxml+xml',
      'application/mods+xml',
      'application/mets+xml',
      'application/xml',
      'text/xml',
      'application/json',
    ]);
    expect(parseRecord('Application/MARC; charset="utf-8"', marc('Dune /')).displayTitle).to.equal('Dune');
    expect(parseRecord('TEXT/XML', readFileSync(fixturePath('record.oai_dc.xml'))).format).to.equal('dc');
  });

  it('refuses other media types and empty bodies', function () {
    const e = fault(() => parseRecords('text/plain', marc('x')));
    expect(e.fault).to.equal('unsupported-content-type');
    expect(e.message).to.contain('application/marc, application/marcxml+xml');
    expect(fault(() => parseRecords('application/marc', Buffer.alloc(0))).fault).to.equal('empty-body');
    expect(fault(() => parseRecords('application/json', Buffer.from('\n \r\n'))).fault).to.equal('empty-body');
  });

  it('returns every record of a body; parseRecord takes exactly one', function () {
    const body = Buffer.concat([marc('One', 'a'), marc('Two', 'b'), marc('Three', 'c')]);
    expect(parseRecords('application/marc', body).map((r) => [r.sourceId, r.displayTitle])).to.deep.equal([
      ['a', 'One'],
      ['b', 'Two'],
      ['c', 'Three'],
    ]);
    const e = fault(() => parseRecord('application/marc', body));
    expect(e.fault).to.equal('multiple-records');
    expect(e.message).to.equal('the body holds 3 records but this request takes exactly one; POST /api/v1/titles/batch takes many');
  });

  it('recognises MARCXML, MODS and METS sent as application/xml, and says so', function () {
    const marcxml = parseRecord('application/xml', readFileSync(fixturePath('record.marcxml.xml')));
    expect(marcxml.format).to.equal('marc21');
    expect(marcxml.warnings).to.deep.equal(['the XML is MARCXML; read as such']);
    expect(parseRecord('application/xml', readFileSync(fixturePath('record.mods.xml'))).warnings).to.deep.equal(['the XML is MODS; read as such']);
    expect(parseRecord('text/xml', readFileSync(fixturePath('record.mets.xml'))).warnings[0]).to.equal('the XML is METS; read as such');
  });

  it('produces the stored forms: MARCXML record, one mods element, an oai_dc document (no XML declaration)', function () {
    const m = parseRecord('application/marcxml+xml', readFileSync(fixturePath('record.marcxml.xml')));
    expect(m.record.startsWith('<record xmlns="http://www.loc.gov/MARC21/slim">')).to.equal(true);
    expect(m.sourceId).to.equal('colophon-0001');
    const mods = parseRecord('application/mods+xml', readFileSync(fixturePath('record.mods.xml')));
    expect(mods.record.startsWith('<mods xmlns="http://www.loc.gov/mods/v3"')).to.equal(true);
    const dc = parseRecord('application/json', readFileSync(fixturePath('record.dc.json')));
    expect(dc.record.startsWith('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"')).to.equal(true);
  });

  it('never leaves the display title empty, nor longer than 1000 characters', function () {
    const untitled = parseRecord('application/marc', iso2709('00000nam a2200000   4500', [['001', 'x']]));
    expect(untitled.displayTitle).to.equal('[untitled]');
    expect(untitled.warnings).to.deep.equal(['the record has no title; listed as "[untitled]"']);
    const long = parseRecord('application/json', Buffer.from(JSON.stringify({ title: 'x'.repeat(1500) })));
    expect(long.displayTitle).to.have.length(1000);
    expect(long.displayTitle.endsWith('…')).to.equal(true);
    expect(long.dc.title?.[0]).to.have.length(1500);
  });

  it('uses 245 for the MARC display title even when a 246 comes first', function () {
    const rec = iso2709('00000nam a2200000   4500', [
      ['246', Buffer.concat([Buffer.from('1 '), sf('a', 'Variant')])],
      ['245', Buffer.concat([Buffer.from('10'), sf('a', 'Proper title :'), sf('b', 'a subtitle /'), sf('c', 'by someone.')])],
    ]);
    expect(parseRecord('application/marc', rec).displayTitle).to.equal('Proper title : a subtitle');
  });

  it('throws only RecordError for client mistakes, whatever the bytes', function () {
    const junk = [Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('{"title":'), Buffer.from('<a><b></a>'), Buffer.from('99999nam'), Buffer.from('<?xml version="1.0" encoding="x-unknown"?><a/>')];
    for (const type of RECORD_CONTENT_TYPES) {
      for (const body of junk) expect(() => parseRecords(type, body), `${type} ${body.toString('latin1')}`).to.throw(RecordError);
    }
  });
});
