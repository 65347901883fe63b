import { expect } from 'chai';
import { descriptiveProperties as describeSource, navDateFromDc, normalizeRightsUri, toLanguageMap } from '../../../../plugins/iiif-presentation/builders';
import { bookSource, oddSource } from './presentation-fixtures';

describe('iiif-presentation builders: descriptive properties', function () {
  it('navDate: the first value with a four-digit year, month and day from ISO dates, 00:00:00Z', function () {
    const cases: [string[], string | null][] = [
      [['1905'], '1905-01-01T00:00:00Z'],
      [['[1905?]'], '1905-01-01T00:00:00Z'],
      [['c1905'], '1905-01-01T00:00:00Z'],
      [['1905-1910'], '1905-01-01T00:00:00Z'],
      [['1905/1910'], '1905-01-01T00:00:00Z'],
      [['1916-07-01'], '1916-07-01T00:00:00Z'],
      [['2011-05'], '2011-05-01T00:00:00Z'],
      [['1905-13-40'], '1905-01-01T00:00:00Z'],
      [['1900-02-29'], '1900-02-01T00:00:00Z'],
      [['19--', 'Meiji 38', 'ca. 1890s'], '1890-01-01T00:00:00Z'],
      [['19--', 'undated'], null],
      [['12345'], null],
      [[], null],
    ];
    for (const [values, want] of cases) expect(navDateFromDc(values), values.join(' | ')).to.equal(want);
  });

  it('rights: CC and RightsStatements.org URIs in their canonical http form, anything else null', function () {
    expect(normalizeRightsUri('https://creativecommons.org/licenses/by/4.0')).to.equal('http://creativecommons.org/licenses/by/4.0/');
    expect(normalizeRightsUri('http://creativecommons.org/publicdomain/zero/1.0/')).to.equal('http://creativecommons.org/publicdomain/zero/1.0/');
    expect(normalizeRightsUri('https://rightsstatements.org/page/InC/1.0/?language=en')).to.equal('http://rightsstatements.org/vocab/InC/1.0/');
    expect(normalizeRightsUri('http://rightsstatements.org/vocab/NoC-NC/1.0/')).to.equal('http://rightsstatements.org/vocab/NoC-NC/1.0/');
    for (const v of ['https://example.org/terms', 'creativecommons.org/licenses/by/4.0/', 'http://creativecommons.org/about/', 'http://rightsstatements.org/vocab/', '', null]) {
      expect(normalizeRightsUri(v), String(v)).to.equal(null);
    }
  });

  it('describe: label in the title language, prose in it only when the title has one language', function () {
    const d = describeSource(bookSource());
    expect(d.language).to.equal('de');
    expect(d.label).to.deep.equal({ de: ['Die Gartenlaube : illustrirtes Familienblatt'] });
    expect(d.summary).to.deep.equal({ de: ['Jahrgang 1905, Heft 1–3, mit Holzstichen.'] });
    const odd = describeSource(oddSource());
    expect(odd.language).to.equal('ja');
    expect(odd.summary && Object.keys(odd.summary)).to.deep.equal(['none']);
    // an explicit language wins for everything
    const src = oddSource();
    src.title.language = 'ru';
    expect(describeSource(src).summary && Object.keys(describeSource(src).summary ?? {})).to.deep.equal(['ru']);
  });

  it('describe: falls back to the representation label, and keeps the license URI as given for 2.1', function () {
    const src = oddSource();
    src.representation.label = 'Scans of the 1906 edition';
    const d = describeSource(src);
    expect(d.label).to.deep.equal({ none: ['Scans of the 1906 edition'] });
    expect(d.rights).to.equal(null);
    expect(d.license).to.equal('https://example.org/our-own-terms');
  });

  it('toLanguageMap: a string is "none"; empty language entries are dropped', function () {
    expect(toLanguageMap('x')).to.deep.equal({ none: ['x'] });
    expect(toLanguageMap({ en: ['a'], de: [] })).to.deep.equal({ en: ['a'] });
  });
});
