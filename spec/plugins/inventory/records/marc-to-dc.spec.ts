import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { marcToDc, readIso2709, readMarcXml, type MarcRecord } from '../../../../plugins/inventory/records';
import { chopPunctuation } from '../../../../plugins/inventory/records/marc-to-dc';
import { fixturePath, NO_SHARED, sharedData, skipUnless } from './records-spec-support';

const leaderOnly = (leader: string): MarcRecord => ({ leader, fields: [] });

describe('inventory records: MARC -> Dublin Core crosswalk', function () {
  it('crosswalks the project sample field by field (LoC unqualified crosswalk)', function () {
    const [rec] = readMarcXml(readFileSync(fixturePath('record.marcxml.xml'), 'utf8'));
    if (!rec) throw new Error('no record');
    expect(marcToDc(rec)).to.deep.equal({
      // 245 $a $b (not $c), 246, and the 880 linked to 245
      title: ['Morskie rasskazy : povesti i ocherki', 'Sea stories', 'Морские рассказы : повести и очерки'],
      // 650 with its chronological subdivision
      subject: ['Sea stories, Russian--20th century'],
      // 5XX except 506 / 530 / 540 / 546, kept as written
      description: ["Café edition, with the author's notes."],
      // 260 $a $b
      publisher: ['Moskva : Izd-vo "Mir"'],
      // 100, 700 (relator terms left out) and the 880 linked to 100
      creator: ['Petrova, Anna, 1901-1980', 'Ivanov, Pëtr', 'Петрова, Анна, 1901-1980'],
      // 008/07-10 and 260 $c (the same year once)
      date: ['1957'],
      // leader/06 "a" and 655
      type: ['Text', 'Short stories'],
      // 856 $q
      format: ['application/pdf'],
      // 020 $a (ISBD " :" removed) and 856 $u
      identifier: ['9780000000002', 'https://example.org/colophon-0001.pdf'],
      // 008/35-37, 041 $a $h ("engfre" holds two codes), 546
      language: ['rus', 'eng', 'fre', 'In Russian.'],
      // 773 $t $o
      relation: ['Biblioteka moria XX-CoL 42'],
      // 651 with its form subdivision
      coverage: ['Black Sea--Fiction'],
      // 506
      rights: ['Open access.'],
    });
  });

  it('crosswalks the LoC sample record filemarc-sandburg.mrc field by field', function () {
    const root = sharedData();
    skipUnless(this, root, NO_SHARED);
    const [rec] = readIso2709(readFileSync(path.join(root ?? '', 'marc/binary/filemarc-sandburg.mrc')));
    if (!rec) throw new Error('no record');
    expect(marcToDc(rec)).to.deep.equal({
      title: ['Arithmetic'], // 245 $a "Arithmetic /" ($c is the statement of responsibility)
      subject: [
        'PS3537.A618', // 050 $a
        '811/.52', // 082 $a
        'Arithmetic--Juvenile poetry', // 650 _0 $a $x
        "Children's poetry, American", // 650 _0
        'Arithmetic--Poetry', // 650 _1 $a $x
        'American poetry', // 650 _1
        'Visual perception', // 650 _1
      ],
      description: [
        'One Mylar sheet included in pocket.', // 500
        "A poem about numbers and their characteristics. Features anamorphic, or distorted, drawings which can be restored to normal by viewing from a particular angle or by viewing the image's reflection in the provided Mylar cone.", // 520
      ],
      publisher: ['San Diego : Harcourt Brace Jovanovich'], // 260 $a $b
      creator: ['Sandburg, Carl, 1878-1967', 'Rand, Ted'], // 100 $a $d, 700 $a ($e ill. left out)
      date: ['1993', 'c1993'], // 008/07-10, 260 $c
      type: ['Text'], // leader/06 "a"
      identifier: ['0152038655'], // 020 $a "0152038655 :"
      language: ['eng'], // 008/35-37
    });
  });

  it('maps leader/06-07 to DCMI types (crosswalk appendix 2)', function () {
    const type = (leader: string): string[] | undefined => marcToDc(leaderOnly(leader)).type;
    expect(type('00000nam a2200000   4500')).to.deep.equal(['Text']);
    expect(type('00000ncm a2200000   4500')).to.deep.equal(['Text']);
    expect(type('00000nem a2200000   4500')).to.deep.equal(['Image']);
    expect(type('00000nkm a2200000   4500')).to.deep.equal(['Image']);
    expect(type('00000njm a2200000   4500')).to.deep.equal(['Sound']);
    expect(type('00000nmm a2200000   4500')).to.equal(undefined);
    expect(type('00000npc a2200000   4500')).to.deep.equal(['Collection']);
    expect(type('00000nkc a2200000   4500')).to.deep.equal(['Image', 'Collection']);
  });

  it('removes trailing ISBD punctuation but keeps abbreviations and initials', function () {
    expect(chopPunctuation('Arithmetic /')).to.equal('Arithmetic');
    expect(chopPunctuation('Morskie rasskazy :')).to.equal('Morskie rasskazy');
    expect(chopPunctuation('Sandburg, Carl, 1878-1967.')).to.equal('Sandburg, Carl, 1878-1967');
    expect(chopPunctuation('The legendary profile. --')).to.equal('The legendary profile');
    expect(chopPunctuation('Smith, J.')).to.equal('Smith, J.');
    expect(chopPunctuation('Acme Co.')).to.equal('Acme Co.');
    expect(chopPunctuation('Washington, D.C. :')).to.equal('Washington, D.C.');
    expect(chopPunctuation('And then...')).to.equal('And then...');
  });
});
