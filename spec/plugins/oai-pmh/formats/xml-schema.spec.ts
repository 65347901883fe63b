import { expect } from 'chai';
import { join } from 'node:path';
import { SCHEMAS_DIR, schemasAvailable, schemasMissingReason, validateXml } from '../../../helpers/xml-schema';

/** The spec helper the format specs rely on: it must report invalid documents, by number and name. */
describe('spec helper: validateXml (xmllint, offline)', function () {
  before(function () {
    if (!schemasAvailable()) {
      console.log(`      (skipped: ${schemasMissingReason()})`);
      this.skip();
    }
  });

  const dc = (body: string): string =>
    `<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n${body}\n</oai_dc:dc>`;

  it('accepts valid documents against wrapper.xsd by default', async function () {
    expect(await validateXml(dc('<dc:title>A</dc:title>'))).to.deep.equal({ ok: true, errors: [] });
  });

  it('validates MODS 3.7 with the shared wrapper.xsd (the default); other versions are refused', async function () {
    const mods = (version: string): string =>
      `<mods xmlns="http://www.loc.gov/mods/v3" version="${version}"><titleInfo><title>T</title></titleInfo><location><url usage="primary">https://x.example/</url></location></mods>`;
    expect((await validateXml(mods('3.7'))).ok).to.equal(true);
    expect((await validateXml(mods('3.9'))).errors[0]).to.match(/attribute 'version'/);
    expect((await validateXml(mods('3.8'), { schema: 'wrapper.xsd' })).errors[0]).to.match(/attribute 'version'/);
    expect((await validateXml(mods('3.8'), { schema: 'mods-3-8.xsd' })).ok).to.equal(true);
  });

  it('reports a schema violation with the document number, its name and the line', async function () {
    const r = await validateXml([dc('<dc:title>A</dc:title>'), dc('<dc:titel>B</dc:titel>')], { names: ['good', 'typo'] });
    expect(r.ok).to.equal(false);
    expect(r.errors[0]).to.match(/^doc 1 \(typo\): line 2: .*titel/);
    expect(r.errors.join('\n')).not.to.include('doc 0');
  });

  it('reports a document that is not well-formed', async function () {
    const r = await validateXml('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"><unclosed>');
    expect(r.ok).to.equal(false);
    expect(r.errors.join('\n')).to.match(/doc 0/);
  });

  it('checks every document of a large batch (several xmllint runs)', async function () {
    const docs = Array.from({ length: 1200 }, (_, i) => dc(`<dc:identifier>n${i}</dc:identifier>`));
    docs[1100] = dc('<dc:nope/>');
    const r = await validateXml(docs);
    expect(r.ok).to.equal(false);
    expect(r.errors.filter((e) => !e.endsWith('fails to validate'))).to.have.length(1);
    expect(r.errors[0]).to.match(/^doc 1100: /);
  });

  it('takes a schema by file name or absolute path, and refuses one that is not there', async function () {
    const marc = '<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000   4500</leader></record>';
    expect((await validateXml(marc, { schema: 'MARC21slim.xsd' })).ok).to.equal(true);
    expect((await validateXml(marc, { schema: join(SCHEMAS_DIR, 'MARC21slim.xsd') })).ok).to.equal(true);
    expect((await validateXml(marc.replace('4500', '45XX'), { schema: 'MARC21slim.xsd' })).ok).to.equal(false);
    let error: unknown;
    await validateXml(marc, { schema: 'no-such.xsd' }).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/no schema .*no-such\.xsd/);
  });
});
