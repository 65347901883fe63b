import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Title } from '../../../../core/db/entities/title.entity';
import { ColophonError } from '../../../../core/errors';
import { parseRecords } from '../../../../plugins/inventory/records';
import { attr, childElements, NS, parseXml, serializeElement, textContent, type XmlElement } from '../../../../plugins/inventory/records/xml-tree';
import { ModsFormat } from '../../../../plugins/oai-pmh/formats';
import { hasSharedData, requireSharedData, sharedData } from '../../../helpers/shared-data';
import { schemasAvailable, schemasMissingReason, validateXml } from '../../../helpers/xml-schema';
import { contextFor, projectSamples, sharedSamples, titleFrom, type FormatSample } from './format-samples';

const M = NS.mods;
const kids = (e: XmlElement | undefined, local: string): XmlElement[] => (e ? childElements(e, M, local) : []);
const kid = (e: XmlElement | undefined, local: string): XmlElement | undefined => kids(e, local)[0];
const text = (e: XmlElement | undefined): string => (e ? textContent(e).trim() : '');
/** An element as [attributes..., child local name: text...] for compact comparisons. */
function shape(e: XmlElement): string[] {
  const attrs = e.attrs.map((a) => `@${a.local}=${a.value}`);
  const children = childElements(e);
  return children.length ? [...attrs, ...children.map((c) => `${c.local}: ${[...c.attrs.map((a) => `@${a.local}=${a.value}`), ...(childElements(c).length ? shape(c) : [text(c)])].join(' ')}`)] : [...attrs, text(e)];
}

describe('ModsFormat', function () {
  const format = new ModsFormat();
  const render = (s: FormatSample): XmlElement => parseXml(format.render(s.title, contextFor(s.title)));
  const fixture = (name: string): FormatSample => {
    const s = projectSamples().find((x) => x.name === name);
    if (!s) throw new Error(`no sample ${name}`);
    return s;
  };

  describe('MARC titles (LoC MARC to MODS mapping)', function () {
    it('maps the LoC Sandburg record field by field (../shared/data/marc/xml/filemarc-sandburg.xml)', function () {
      requireSharedData(this);
      const [rec] = parseRecords('application/marcxml+xml', readFileSync(sharedData('marc/xml/filemarc-sandburg.xml')));
      if (!rec) throw new Error('no record');
      const mods = render({ name: 'sandburg', title: titleFrom(rec, 'sandburg') });
      expect(kids(mods, 'titleInfo').map(shape)).to.deep.equal([['title: Arithmetic']]);
      expect(kids(mods, 'name').map(shape)).to.deep.equal([
        ['@type=personal', '@usage=primary', 'namePart: Sandburg, Carl', 'namePart: @type=date 1878-1967'],
        ['@type=personal', 'namePart: Rand, Ted', 'role: roleTerm: @type=text @authority=marcrelator ill.'],
      ]);
      expect(kids(mods, 'typeOfResource').map(shape)).to.deep.equal([['text']]);
      expect(kids(mods, 'originInfo').map(shape)).to.deep.equal([[
        'place: placeTerm: @type=code @authority=marccountry cau',
        'place: placeTerm: @type=text San Diego',
        'publisher: Harcourt Brace Jovanovich',
        'dateIssued: @encoding=marc @keyDate=yes 1993',
        'dateIssued: c1993',
        'edition: 1st ed.',
        'issuance: monographic',
      ]]);
      expect(kids(mods, 'language').map(shape)).to.deep.equal([['languageTerm: @type=code @authority=iso639-2b eng']]);
      expect(kids(mods, 'physicalDescription').map(shape)).to.deep.equal([['extent: 1 v. (unpaged) : ill. (some col.) ; 26 cm.']]);
      expect(text(kid(mods, 'abstract'))).to.match(/^A poem about numbers and their characteristics\. .* Mylar cone\.$/);
      expect(kids(mods, 'note').map(shape)).to.deep.equal([
        ['@type=statement of responsibility', 'Carl Sandburg ; illustrated as an anamorphic adventure by Ted Rand.'],
        ['One Mylar sheet included in pocket.'],
      ]);
      expect(kids(mods, 'subject').map(shape)).to.deep.equal([
        ['@authority=lcsh', 'topic: Arithmetic', 'topic: Juvenile poetry'],
        ['@authority=lcsh', "topic: Children's poetry, American"],
        ['@authority=lcshac', 'topic: Arithmetic', 'topic: Poetry'],
        ['@authority=lcshac', 'topic: American poetry'],
        ['@authority=lcshac', 'topic: Visual perception'],
      ]);
      expect(kids(mods, 'classification').map(shape)).to.deep.equal([
        ['@authority=lcc', 'PS3537.A618 A88 1993'],
        ['@authority=ddc', '@edition=20', '811/.52'],
      ]);
      expect(kids(mods, 'identifier').map(shape)).to.deep.equal([['@type=lccn', '92005291'], ['@type=isbn', '0152038655']]);
      expect(kids(mods, 'recordInfo').map(shape)).to.deep.equal([[
        'recordContentSource: @authority=marcorg DLC',
        'recordCreationDate: @encoding=marc 920219',
        'recordChangeDate: @encoding=iso8601 19930521155141.9',
        'recordIdentifier: @source=DLC 92005291',
        'recordOrigin: Converted from MARCXML to MODS version 3.7 by Colophon (LoC MARC to MODS mapping)',
        'descriptionStandard: aacr',
      ]]);
    });

    it('maps the project MARC fixture: 880 pairs, 041, 6XX subdivisions, 773, 856, 506, 546', function () {
      const mods = render(fixture('record.marcxml.xml'));
      expect(kids(mods, 'titleInfo').map(shape)).to.deep.equal([
        ['@altRepGroup=02', 'title: Morskie rasskazy', 'subTitle: povesti i ocherki'],
        ['@type=translated', 'title: Sea stories'],
        ['@altRepGroup=02', '@script=Cyrl', 'title: Морские рассказы', 'subTitle: повести и очерки'],
      ]);
      expect(kids(mods, 'name').map(shape)).to.deep.equal([
        ['@type=personal', '@altRepGroup=01', '@usage=primary', 'namePart: Petrova, Anna', 'namePart: @type=date 1901-1980', 'role: roleTerm: @type=text @authority=marcrelator author'],
        ['@type=personal', 'namePart: Ivanov, Pëtr', 'role: roleTerm: @type=text @authority=marcrelator illustrator'],
        ['@type=personal', '@altRepGroup=01', '@script=Cyrl', 'namePart: Петрова, Анна', 'namePart: @type=date 1901-1980'],
      ]);
      expect(kids(mods, 'genre').map(shape)).to.deep.equal([['@authority=lcgft', 'Short stories']]);
      const origin = kid(mods, 'originInfo');
      expect(kids(origin, 'place').map(shape)).to.deep.equal([['placeTerm: @type=code @authority=marccountry ru'], ['placeTerm: @type=text Moskva']]);
      expect(kids(origin, 'publisher').map(text)).to.deep.equal(['Izd-vo "Mir"']);
      expect(kids(mods, 'language').map(shape)).to.deep.equal([
        ['languageTerm: @type=code @authority=iso639-2b rus'],
        ['@objectPart=translation', 'languageTerm: @type=code @authority=iso639-2b eng'],
        ['@objectPart=translation', 'languageTerm: @type=code @authority=iso639-2b fre'],
      ]);
      expect(kids(mods, 'subject').map(shape)).to.deep.equal([
        ['@authority=lcsh', 'topic: Sea stories, Russian', 'temporal: 20th century'],
        ['@authority=lcsh', 'geographic: Black Sea', 'genre: Fiction'],
      ]);
      expect(kids(mods, 'relatedItem').map(shape)).to.deep.equal([['@type=host', 'titleInfo: title: Biblioteka moria', 'identifier: XX-CoL 42']]);
      expect(kids(mods, 'identifier').map(shape)).to.deep.equal([['@type=isbn', '9780000000002'], ['@type=uri', 'https://example.org/colophon-0001.pdf']]);
      expect(kids(kid(mods, 'physicalDescription'), 'internetMediaType').map(text)).to.deep.equal(['application/pdf']);
      expect(kids(mods, 'note').map(shape)).to.deep.include(['@type=language', 'In Russian.']);
      expect(kids(mods, 'accessCondition').map(shape)).to.deep.equal([['@type=restriction on access', 'Open access.']]);
      expect(shape(kid(kid(mods, 'recordInfo'), 'recordIdentifier') as XmlElement)).to.deep.equal(['@source=XX-CoL', 'colophon-0001']);
    });

    it("adds the context's links after the record's own location, the first delivery URL as the primary one", function () {
      const s = fixture('record.marcxml.xml');
      const ctx = contextFor(s.title);
      const [local, remote] = ctx.links;
      expect(kids(render(s), 'location').map(shape)).to.deep.equal([
        ['url: https://example.org/colophon-0001.pdf'],
        [`url: @access=object in context @displayLabel=Landing page ${ctx.titleUrl}`],
        [
          `url: @usage=primary @access=object in context @displayLabel=Scans & OCR <master> ${local?.deliveryUrl}`,
          `url: @displayLabel=Scans & OCR <master> @note=IIIF manifest ${local?.manifestUrl}`,
          `url: @access=preview @displayLabel=Thumbnail ${local?.thumbnailUrl}`,
        ],
        [`url: @access=object in context @displayLabel=Copy at the "partner" library ${remote?.deliveryUrl}`],
      ]);
    });
  });

  describe('MODS titles', function () {
    /** The top-level elements of the output that the render did not add, serialized. */
    function ownElements(mods: XmlElement, s: FormatSample): string[] {
      const ctx = contextFor(s.title);
      const ours = new Set([ctx.titleUrl, ...ctx.links.flatMap((l) => [l.deliveryUrl, l.manifestUrl, l.thumbnailUrl])]);
      return childElements(mods)
        .filter((e) => !(e.local === 'location' && kids(e, 'url').some((u) => ours.has(text(u)))))
        .map((e) => serializeElement(e, M));
    }

    it('are the stored record, element for element, marked MODS 3.7 (fixtures and ../shared MODS/METS)', function () {
      const samples = [...projectSamples(), ...sharedSamples()].filter((s) => s.title.sourceFormat === 'mods');
      expect(samples.length).to.be.at.least(2);
      for (const s of samples) {
        const source = parseXml(s.title.sourceRecord);
        const mods = render(s);
        expect(ownElements(mods, s), s.name).to.deep.equal(childElements(source).map((e) => serializeElement(e, M)));
        expect(attr(mods, 'version'), s.name).to.equal('3.7');
        expect(mods.attrs.filter((a) => a.local !== 'version' && a.local !== 'schemaLocation'), s.name)
          .to.deep.equal(source.attrs.filter((a) => a.local !== 'version' && a.local !== 'schemaLocation'));
      }
    });

    it('keep the primary url the record names (usage="primary display"), so ours is not marked primary', function () {
      const mods = render(fixture('record.mods.xml'));
      const usages = kids(mods, 'location').flatMap((l) => kids(l, 'url')).map((u) => attr(u, 'usage')).filter(Boolean);
      expect(usages).to.deep.equal(['primary display']);
    });

    it('lose their urls into the repository when repositoryUrls names it, and then our delivery URL is primary', function () {
      const s = fixture('record.mods.xml');
      const mods = parseXml(ModsFormat.fromConfig({ repositoryUrls: ['https://example.org/view/'] }).render(s.title, contextFor(s.title)));
      const urls = kids(mods, 'location').flatMap((l) => kids(l, 'url'));
      expect(urls.map(text)).not.to.include('https://example.org/view/harbour-dawn');
      expect(urls.filter((u) => attr(u, 'usage')).map((u) => [attr(u, 'usage'), text(u)])).to.deep.equal([['primary', contextFor(s.title).links[0]?.deliveryUrl]]);
      expect(kids(mods, 'identifier').map(text)).to.deep.equal(['https://example.org/objects/harbour-dawn']);
    });

    it('throw a typed error naming the title when the stored MODS does not parse or is not <mods>', function () {
      const s = fixture('record.mods.xml');
      for (const [record, why] of [['<mods xmlns="http://www.loc.gov/mods/v3"><titleInfo>', /stored MODS cannot be read/], ['<record xmlns="http://www.loc.gov/MARC21/slim"/>', /is <record> in http:\/\/www.loc.gov\/MARC21\/slim, not a MODS <mods>/]] as const) {
        const broken = Object.assign(new Title(), s.title, { sourceRecord: record });
        expect(() => format.render(broken, contextFor(broken))).to.throw(ColophonError, why).with.property('code', 'oai-format.stored-record-unreadable');
      }
    });
  });

  describe('Dublin Core titles (LoC DC to MODS mapping)', function () {
    it('maps each element of the oai_dc fixture', function () {
      const s = fixture('record.oai_dc.xml');
      const mods = render(s);
      expect(childElements(mods).map((e) => e.local)).to.deep.equal([
        'titleInfo', 'name', 'typeOfResource', 'genre', 'originInfo', 'language', 'subject', 'identifier', 'identifier',
        'location', 'location', 'location', 'location', 'recordInfo',
      ]);
      expect(kids(mods, 'titleInfo').map(shape)).to.deep.equal([['title: Letters from the lighthouse']]);
      expect(kids(mods, 'name').map(shape)).to.deep.equal([['namePart: Okafor, Ngozi', 'role: roleTerm: @type=text creator']]);
      expect(kids(mods, 'typeOfResource').map(shape)).to.deep.equal([['text']]);
      expect(kids(mods, 'genre').map(shape)).to.deep.equal([['@authority=dct', 'text']]);
      expect(kids(mods, 'originInfo').map(shape)).to.deep.equal([['dateIssued: @encoding=w3cdtf @keyDate=yes 1932']]);
      expect(kids(mods, 'language').map(shape)).to.deep.equal([['languageTerm: @type=code @authority=rfc5646 en']]);
      expect(kids(mods, 'subject').map(shape)).to.deep.equal([['topic: Lighthouses']]);
      expect(kids(mods, 'identifier').map(shape)).to.deep.equal([['@type=urn', 'urn:colophon:dc-0001'], ['@type=uri', 'https://example.org/letters']]);
      expect(shape(kids(mods, 'location')[0] as XmlElement)).to.deep.equal(['url: https://example.org/letters']);
      expect(kids(mods, 'recordInfo').map(shape)).to.deep.equal([[
        `recordIdentifier: ${s.title.id}`,
        'recordOrigin: Converted from Dublin Core to MODS version 3.7 by Colophon (LoC simple DC to MODS mapping)',
      ]]);
    });

    it('maps names, dates, descriptions, coverage, rights, relations and formats', function () {
      const dc = {
        title: ['Survey'], contributor: ['Haddad, Leila'], description: ['Counts.'], coverage: ['1914-1918', 'Baltic Sea', '59° N, 18° E'],
        rights: ['CC BY 4.0'], source: ['Field notebooks'], relation: ['https://example.org/series/1', 'Coastal studies'],
        format: ['image/tiff', '24 leaves', 'paper'], type: ['Collection', 'Image', 'Map'], publisher: ['Bird Society'], date: ['2004-06', 'spring 2004'],
        identifier: ['doi:10.1000/182', '978-3-16-148410-0', 'hdl:1721.1/5'],
      };
      const s = { name: 'dc', title: titleFrom({ format: 'dc', record: '<unused/>', dc, displayTitle: 'Survey', sourceId: null, warnings: [] }, 'dc-rich') };
      const mods = render(s);
      expect(kids(mods, 'name').map(shape)).to.deep.equal([['namePart: Haddad, Leila']]);
      expect(kids(mods, 'typeOfResource').map(shape)).to.deep.equal([['@collection=yes', 'still image']]);
      expect(kids(mods, 'genre').map(shape)).to.deep.equal([['@authority=dct', 'collection'], ['@authority=dct', 'image'], ['Map']]);
      expect(kids(mods, 'originInfo').map(shape)).to.deep.equal([['publisher: Bird Society', 'dateIssued: @encoding=w3cdtf @keyDate=yes 2004-06', 'dateIssued: spring 2004']]);
      expect(kids(mods, 'physicalDescription').map(shape)).to.deep.equal([['internetMediaType: image/tiff', 'extent: 24 leaves', 'form: paper']]);
      expect(kids(mods, 'note').map(shape)).to.deep.equal([['Counts.']]);
      expect(kids(mods, 'subject').map(shape)).to.deep.equal([['temporal: 1914-1918'], ['geographic: Baltic Sea'], ['cartographics: coordinates: 59° N, 18° E']]);
      expect(kids(mods, 'relatedItem').map(shape)).to.deep.equal([
        ['@type=original', 'titleInfo: title: Field notebooks'],
        ['identifier: @type=uri https://example.org/series/1', 'location: url: https://example.org/series/1'],
        ['titleInfo: title: Coastal studies'],
      ]);
      expect(kids(mods, 'identifier').map((e) => attr(e, 'type'))).to.deep.equal(['doi', 'isbn', 'hdl']);
      expect(kids(mods, 'accessCondition').map(text)).to.deep.equal(['CC BY 4.0']);
    });
  });

  it('validates against mods-3-7.xsd and the shared OAI-PMH wrapper.xsd', async function () {
    if (!schemasAvailable()) {
      console.log(`      (schema check skipped: ${schemasMissingReason()})`);
      this.skip();
    }
    const samples = [...projectSamples(), ...(hasSharedData() ? sharedSamples().filter((s) => s.title.sourceFormat !== 'marc21').concat(sharedSamples().slice(0, 100)) : [])];
    const xml = samples.map((s) => format.render(s.title, contextFor(s.title)));
    const names = samples.map((s) => s.name);
    expect((await validateXml(xml, { schema: 'mods-3-7.xsd', names })).errors.slice(0, 10)).to.deep.equal([]);
    expect((await validateXml(xml, { schema: 'wrapper.xsd', names })).errors.slice(0, 10)).to.deep.equal([]);
  });
});
