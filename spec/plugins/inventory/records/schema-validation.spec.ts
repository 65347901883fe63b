import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseRecords, type ParsedRecord } from '../../../../plugins/inventory/records';
import { fixturePath, hasTool, NO_SHARED, sharedData, sharedFiles, skipUnless, validateWithSchema } from './records-spec-support';

/**
 * Every stored record validates against its official schema (../shared/schemas, offline through
 * its XML catalog): MARC21slim.xsd, MODS 3.8, and the OAI-PMH oai_dc schema.
 */
describe('inventory records: stored forms validate against their schemas', function () {
  before(function () {
    skipUnless(this, sharedData(), `${NO_SHARED} (it also holds the schemas)`);
    skipUnless(this, hasTool('xmllint'), 'xmllint is not installed (Debian package libxml2-utils)');
  });

  function validate(records: ParsedRecord[]): void {
    const marc = records.filter((r) => r.format === 'marc21').map((r) => r.record);
    const mods = records.filter((r) => r.format === 'mods').map((r) => r.record);
    const dc = records.filter((r) => r.format === 'dc').map((r) => r.record);
    if (marc.length) expect(validateWithSchema('MARC21slim.xsd', [`<collection xmlns="http://www.loc.gov/MARC21/slim">\n${marc.join('\n')}\n</collection>`])).to.equal('');
    if (mods.length) expect(validateWithSchema('mods-3-8.xsd', [`<modsCollection xmlns="http://www.loc.gov/mods/v3">\n${mods.join('\n')}\n</modsCollection>`])).to.equal('');
    if (dc.length) expect(validateWithSchema('oai_dc.xsd', dc)).to.equal('');
  }

  it('the project fixtures', function () {
    const records = [
      ...parseRecords('application/marcxml+xml', readFileSync(fixturePath('record.marcxml.xml'))),
      ...parseRecords('application/mods+xml', readFileSync(fixturePath('record.mods.xml'))),
      ...parseRecords('application/mets+xml', readFileSync(fixturePath('record.mets.xml'))),
      ...parseRecords('application/xml', readFileSync(fixturePath('record.oai_dc.xml'))),
      ...parseRecords('application/xml', readFileSync(fixturePath('record.saf.xml'))),
      ...parseRecords('application/json', readFileSync(fixturePath('record.dc.json'))),
    ];
    expect(records.map((r) => r.format)).to.deep.equal(['marc21', 'mods', 'mods', 'dc', 'dc', 'dc']);
    validate(records);
  });

  it('every record of ../shared/data/marc/binary, marc/xml and dc', function () {
    const all: ParsedRecord[] = [];
    for (const f of sharedFiles('marc/binary') ?? []) all.push(...parseRecords('application/marc', readFileSync(f.path)));
    for (const f of sharedFiles('marc/xml') ?? []) all.push(...parseRecords('application/marcxml+xml', readFileSync(f.path)));
    for (const f of sharedFiles('dc') ?? []) all.push(...parseRecords('application/xml', readFileSync(f.path)));
    expect(all.filter((r) => r.format === 'marc21').length).to.equal(561 + 91 + 383);
    validate(all);
  });
});
