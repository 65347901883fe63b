import { expect } from 'chai';
import { bcp47FromDcLanguage, dcLanguages, titleLanguage } from '../../../../plugins/iiif-presentation/builders';

describe('iiif-presentation builders: dc-language', function () {
  it('maps ISO 639-2 bibliographic and terminologic codes to the ISO 639-1 tag BCP 47 uses', function () {
    const cases: [string, string][] = [['ger', 'de'], ['deu', 'de'], ['eng', 'en'], ['fre', 'fr'], ['fra', 'fr'], ['chi', 'zh'], ['zho', 'zh'], ['gre', 'el'], ['wel', 'cy'], ['rum', 'ro'], ['heb', 'he'], ['jpn', 'ja'], ['gle', 'ga']];
    for (const [code, tag] of cases) expect(bcp47FromDcLanguage(code), code).to.equal(tag);
  });

  it('keeps three-letter codes without a two-letter form, two-letter codes and simple tags', function () {
    expect(bcp47FromDcLanguage('grc')).to.equal('grc');
    expect(bcp47FromDcLanguage('EN')).to.equal('en');
    expect(bcp47FromDcLanguage(' de-AT ')).to.equal('de-AT');
    expect(bcp47FromDcLanguage('ger-Latn')).to.equal('de-Latn');
  });

  it('gives null for no single language, free text, unknown two-letter codes and tags with digits', function () {
    for (const v of ['und', 'mul', 'zxx', 'mis', 'qaa', 'English', 'Deutsch und Latein', '', 'xx', 'es-419', 'de_DE']) {
      expect(bcp47FromDcLanguage(v), v).to.equal(null);
    }
  });

  it('titleLanguage: the first value that maps, else "none"; dcLanguages: distinct tags in order', function () {
    expect(titleLanguage({ language: ['und', 'lat', 'ger'] })).to.equal('la');
    expect(titleLanguage({ language: ['English'] })).to.equal('none');
    expect(titleLanguage({})).to.equal('none');
    expect(dcLanguages({ language: ['ger', 'deu', 'de', 'eng', 'mul'] })).to.deep.equal(['de', 'en']);
  });
});
