import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  isControlField,
  parseRecords,
  readIso2709,
  readIso2709Records,
  readMarcXml,
  type RecordError,
  type MarcDataField,
  type MarcRecord,
} from '../../../../plugins/inventory/records';
import { hasTool, iso2709, NO_SHARED, sf, sharedData, sharedFiles, skipUnless, fault } from './records-spec-support';

const ESC = 0x1b;
const MARC8 = '00000nam  2200000   4500'; // leader/09 blank: MARC-8
const UTF8 = '00000nam a2200000   4500';

/** A MARC-8 record built byte by byte: an ANSEL acute before its letter, a Cyrillic 880 field. */
function marc8Record(): Buffer {
  return iso2709(MARC8, [
    ['001', 'colophon-m8-1'],
    ['008', '240101s1999    fr            000 0 fre d'],
    ['100', Buffer.concat([Buffer.from('1 '), sf('a', 'Beno', 0xe3, 'it, Ren', 0xe2, 'e,'), sf('d', '1920-')])],
    ['245', Buffer.concat([Buffer.from('10'), sf('6', '880-01'), sf('a', 'Caf', 0xe2, 'e society /'), sf('c', 'Ren', 0xe2, 'e Beno', 0xe8, 'it.')])],
    ['880', Buffer.concat([Buffer.from('10'), sf('6', '245-01/(N'), sf('a', ESC, '(N', 'mOSKWA', ESC, '(B', ' /')])],
  ]);
}

function utf8Record(fields: [string, string][] = []): Buffer {
  return iso2709(UTF8, [
    ['001', 'colophon-u8-1'],
    ['245', Buffer.from('10\x1faZürich im Winter /\x1fcÉmile Roux.', 'utf8')],
    ...fields.map(([tag, v]): [string, Buffer] => [tag, Buffer.from(v, 'utf8')]),
  ]);
}

const field = (rec: MarcRecord, tag: string): MarcDataField => {
  const f = rec.fields.find((x) => x.tag === tag);
  if (!f || isControlField(f)) throw new Error(`no data field ${tag}`);
  return f;
};
const sub = (rec: MarcRecord, tag: string, code: string): string | undefined => field(rec, tag).subfields.find((s) => s.code === code)?.value;

/** The built record with some bytes replaced. */
function patched(rec: Buffer, at: number, text: string): Buffer {
  const copy = Buffer.from(rec);
  copy.write(text, at, 'latin1');
  return copy;
}

describe('inventory records: ISO 2709 reader', function () {
  describe('hand-built records', function () {
    it('decodes MARC-8 to NFC Unicode: ANSEL diacritics and a Cyrillic escape', function () {
      const [rec] = readIso2709(marc8Record());
      if (!rec) throw new Error('no record');
      expect(rec.leader[9]).to.equal('a');
      expect(sub(rec, '245', 'a')).to.equal('Café society /');
      expect(sub(rec, '245', 'a')).to.equal('Caf\u00e9 society /'); // precomposed: NFC
      expect(sub(rec, '245', 'c')).to.equal('René Benoït.');
      expect(sub(rec, '100', 'a')).to.equal('Benoît, René,'); // 0xE3: circumflex
      expect(sub(rec, '880', 'a')).to.equal('Москва /');
      expect(sub(rec, '880', '6')).to.equal('245-01/(N');
    });

    it('keeps the record length digits of the source in the leader', function () {
      const bytes = marc8Record();
      const [rec] = readIso2709(bytes);
      expect(rec?.leader.slice(0, 5)).to.equal(bytes.toString('latin1', 0, 5));
    });

    it('reads UTF-8 records (leader/09 "a")', function () {
      const [rec] = readIso2709(utf8Record());
      if (!rec) throw new Error('no record');
      expect(sub(rec, '245', 'a')).to.equal('Zürich im Winter /');
      expect(sub(rec, '245', 'c')).to.equal('Émile Roux.');
    });

    it('reads UTF-8 left with a blank leader/09 as UTF-8, with a warning', function () {
      const bytes = patched(utf8Record(), 9, ' ');
      const [read] = readIso2709Records(bytes);
      expect(read && sub(read.record, '245', 'a')).to.equal('Zürich im Winter /');
      expect(read?.warnings.join()).to.match(/leader\/09 is blank \(MARC-8\) but the record is valid UTF-8/);
    });

    it('takes the charset of the Content-Type over leader/09', function () {
      const cp1251 = iso2709(MARC8, [['245', Buffer.concat([Buffer.from('10'), sf('a', 0xcc, 0xee, 0xf1, 0xea, 0xe2, 0xe0)])]]);
      expect(sub(readIso2709(cp1251, { charset: 'windows-1251' })[0] as MarcRecord, '245', 'a')).to.equal('Москва');
      const latin1 = iso2709(MARC8, [['245', Buffer.concat([Buffer.from('10'), sf('a', 'Caf', 0xe9)])]]);
      expect(sub(readIso2709(latin1, { charset: 'ISO-8859-1' })[0] as MarcRecord, '245', 'a')).to.equal('Café');
      expect(sub(readIso2709(marc8Record(), { charset: 'marc-8' })[0] as MarcRecord, '245', 'a')).to.equal('Café society /');
      expect(fault(() => readIso2709(marc8Record(), { charset: 'x-klingon' })).fault).to.equal('unsupported-charset');
      expect(fault(() => readIso2709(marc8Record(), { charset: 'utf-16le' })).fault).to.equal('unsupported-charset');
    });

    it('reads a stream of records and tolerates a final line end (with a warning)', function () {
      const stream = Buffer.concat([marc8Record(), utf8Record(), Buffer.from('\r\n')]);
      const read = readIso2709Records(stream);
      expect(read).to.have.length(2);
      expect(read[1]?.warnings).to.include('ignored 2 line-end byte(s) after the last record');
    });

    it('removes characters XML cannot carry, with a warning', function () {
      const [read] = readIso2709Records(utf8Record([['500', '  \x1faNote\u0001 with a control\u0007 character.']]));
      expect(read && sub(read.record, '500', 'a')).to.equal('Note with a control character.');
      expect(read?.warnings.join()).to.match(/removed 2 character\(s\) not allowed in XML 1\.0 \(U\+0001, U\+0007\) from 500/);
    });

    it('repairs what MARCXML cannot carry: odd indicators, empty subfields, stray bytes before the first subfield', function () {
      const [read] = readIso2709Records(utf8Record([['650', '|0\x1faBirds\x1f\x1fxEurope.'], ['752', '  \\\x1faRussian Federation']]));
      if (!read) throw new Error('no record');
      const f650 = field(read.record, '650');
      expect([f650.ind1, f650.ind2]).to.deep.equal([' ', '0']);
      expect(f650.subfields).to.deep.equal([{ code: 'a', value: 'Birds' }, { code: 'x', value: 'Europe.' }]);
      expect(sub(read.record, '752', 'a')).to.equal('Russian Federation');
      const w = read.warnings.join('\n');
      expect(w).to.match(/field 650: indicator 1 "\|" is not allowed in MARCXML and was written as blank/);
      expect(w).to.match(/field 650: dropped a subfield that has no code/);
      expect(w).to.match(/field 752: ignored "\\\\" between the indicators and the first subfield/);
    });
  });

  describe('structural faults (each with its own code)', function () {
    const good = marc8Record();

    it('leader/00-04 not the record length -> marc-record-length', function () {
      const longer = String(good.length + 1).padStart(5, '0');
      const err = fault(() => readIso2709(patched(good, 0, longer)));
      expect(err.fault).to.equal('marc-record-length');
      expect(err.where).to.deep.equal({ record: 1, offset: 0 });
      expect(err.message).to.match(/^Record 1, byte offset 0: leader\/00-04 says the record is \d+ bytes, but its record terminator \(0x1D\)/);
      expect(fault(() => readIso2709(good.subarray(0, good.length - 1))).fault).to.equal('marc-record-length');
      expect(fault(() => readIso2709(good.subarray(0, 20))).fault).to.equal('marc-record-length');
    });

    it('leader/00-04 not digits -> marc-leader-invalid', function () {
      expect(fault(() => readIso2709(patched(good, 0, '01x34'))).fault).to.equal('marc-leader-invalid');
      expect(fault(() => readIso2709(Buffer.from('<record xmlns="http://www.loc.gov/MARC21/slim"/>'))).message).to.match(/application\/marcxml\+xml/);
    });

    it('a record longer than 99,999 bytes -> marc-record-too-long', function () {
      const big = iso2709(UTF8, [['500', Buffer.from('  \x1fa' + 'x'.repeat(100_000))]]);
      const digits = String(big.length % 100_000).padStart(5, '0'); // what a writer that overflows leaves
      const err = fault(() => readIso2709(patched(big, 0, digits)));
      expect(err.fault).to.equal('marc-record-too-long');
      expect(err.message).to.contain(`${big.length} bytes, more than the 99999`);
    });

    it('leader/10-11 not "22" and leader/20-23 not "4500" -> marc-leader-invalid naming the positions', function () {
      const e1 = fault(() => readIso2709(patched(good, 10, '  ')));
      expect(e1.fault).to.equal('marc-leader-invalid');
      expect(e1.message).to.contain('leader/10-11 (indicator count, subfield code length) must be "22", found "  "');
      const e2 = fault(() => readIso2709(patched(good, 20, '3500')));
      expect(e2.fault).to.equal('marc-leader-invalid');
      expect(e2.message).to.contain('leader/20-23 (entry map) must be "4500", found "3500"');
      // only the undefined position 23 and a blank 22 are tolerated
      const [read] = readIso2709Records(patched(good, 20, '45 0'));
      expect(read?.record.leader.slice(20)).to.equal('4500');
      expect(read?.warnings).to.include('leader/20-23 "45 0" written as "4500"');
    });

    it('leader/09 neither blank nor "a" and leader/06 blank -> marc-leader-invalid', function () {
      expect(fault(() => readIso2709(patched(good, 9, 'z'))).message).to.contain('leader/09 (character coding scheme) must be');
      const e = fault(() => readIso2709(patched(good, 6, ' ')));
      expect(e.fault).to.equal('marc-leader-invalid');
      expect(e.message).to.contain('leader/06 must be type of record');
    });

    it('a bad base address -> marc-base-address-invalid', function () {
      expect(fault(() => readIso2709(patched(good, 12, '00010'))).fault).to.equal('marc-base-address-invalid');
      expect(fault(() => readIso2709(patched(good, 12, '9999x'))).fault).to.equal('marc-base-address-invalid');
    });

    it('a malformed directory -> marc-directory-invalid', function () {
      const e = fault(() => readIso2709(patched(good, 24 + 12 + 3, '00x4')));
      expect(e.fault).to.equal('marc-directory-invalid');
      expect(e.message).to.contain('directory entry 2 (byte offset 36)');
      // the directory terminator moved: base address no longer follows it
      expect(fault(() => readIso2709(patched(good, 24 + 12 * 5, 'x'))).fault).to.equal('marc-directory-invalid');
    });

    it('a field not ending with 0x1E where the directory says -> marc-field-terminator', function () {
      const base = Number(good.toString('latin1', 12, 17));
      const firstFieldLength = Number(good.toString('latin1', 27, 31));
      const e = fault(() => readIso2709(patched(good, base + firstFieldLength - 1, 'X')));
      expect(e.fault).to.equal('marc-field-terminator');
      expect(e.message).to.contain(`field 001 (directory entry 1) should end with a field terminator (0x1E) at byte offset ${base + firstFieldLength - 1}, found 0x58`);
    });

    it('a data field without indicators -> marc-field-invalid', function () {
      expect(fault(() => readIso2709(iso2709(UTF8, [['245', Buffer.from('1')]]))).fault).to.equal('marc-field-invalid');
    });

    it('anything but records between or after them -> marc-trailing-data, naming the offset', function () {
      const first = marc8Record();
      const e = fault(() => readIso2709(Buffer.concat([first, Buffer.from('\n'), utf8Record()])));
      expect(e.fault).to.equal('marc-trailing-data');
      expect(e.where).to.deep.equal({ record: 2, offset: first.length });
      expect(fault(() => readIso2709(Buffer.concat([first, Buffer.from('junk')]))).fault).to.equal('marc-trailing-data');
    });

    it('invalid UTF-8 -> marc-invalid-utf8 naming record, tag and byte offset', function () {
      const bytes = utf8Record([['500', '  \x1faBad byte here: X.']]);
      const at = bytes.indexOf('X.');
      bytes[at] = 0xc0;
      const e = fault(() => readIso2709(Buffer.concat([marc8Record(), bytes])));
      expect(e.fault).to.equal('marc-invalid-utf8');
      const offset = marc8Record().length + at;
      expect(e.where).to.deep.equal({ record: 2, offset });
      expect(e.message).to.equal(`Record 2, byte offset ${offset}: field 500: byte 0xC0 at byte offset ${offset} is not valid UTF-8 (leader/09 "a" declares UTF-8)`);
    });

    it('reports a structural fault in a later record before a content problem in an earlier one', function () {
      const brokenContent = patched(marc8Record(), 6, ' '); // leader/06 blank: a content fault
      const brokenFrame = patched(utf8Record(), 10, '33');
      expect(fault(() => readIso2709(Buffer.concat([brokenContent, brokenFrame]))).where).to.deep.equal({ record: 2, offset: brokenContent.length });
    });
  });

  describe('the shared corpus (../shared/data/marc)', function () {
    const binary = sharedFiles('marc/binary');
    const read = (name: string): MarcRecord[] => {
      const root = sharedData();
      if (!root) throw new Error(NO_SHARED);
      return readIso2709(readFileSync(path.join(root, 'marc', 'binary', name)));
    };
    before(function () {
      skipUnless(this, binary, NO_SHARED);
    });

    it('parses every record of every file in marc/binary', function () {
      for (const file of binary ?? []) {
        const records = parseRecords('application/marc', readFileSync(file.path));
        expect(records.length, file.name).to.be.greaterThan(0);
        for (const r of records) {
          expect(r.format).to.equal('marc21');
          expect(r.record, file.name).to.match(/^<record xmlns="http:\/\/www\.loc\.gov\/MARC21\/slim">\n {2}<leader>.{9}a22.{8}4500<\/leader>/);
          expect(r.displayTitle, file.name).to.not.equal('');
        }
      }
      expect(read('marc4j-pride-and-prejudice-fixed.mrc')).to.have.length(383);
      expect(read('traject-test_data.utf8.mrc')).to.have.length(30);
      expect(read('pymarc-marc.mrc')).to.have.length(20);
    });

    it('decodes brkrtest_MARC8 to the same NFC text as its UTF-8 twin, field by field', function () {
      const marc8 = read('marc4j-brkrtest_MARC8.mrc');
      const utf8 = read('marc4j-brkrtest_UTF8.mrc');
      expect(marc8).to.have.length(8);
      marc8.forEach((rec, i) => {
        const twin = utf8[i];
        if (!twin) throw new Error(`no record ${i + 1} in the UTF-8 file`);
        expect(rec.fields.length).to.equal(twin.fields.length);
        rec.fields.forEach((f, k) => expect(f, `record ${i + 1} field ${k + 1} (${f.tag})`).to.deep.equal(twin.fields[k]));
      });
      // the ligature, sharp and flat of the breaker test, as the twin has them
      const all = JSON.stringify(marc8);
      expect(all).to.contain('di\u0361adi\u0361a');
      expect(all).to.contain('♯').and.to.contain('♭');
    });

    // Expected strings checked against yaz-marcdump -f marc8 -t utf8 (YAZ 5.34, Index Data).
    it('decodes MARC-8 Cyrillic, Hebrew and CJK 880 fields to their scripts', function () {
      const text = (rec: MarcRecord | undefined, link: string): string =>
        (rec?.fields.find((f) => !isControlField(f) && f.tag === '880' && f.subfields[0]?.value.startsWith(link)) as MarcDataField | undefined)?.subfields
          .slice(1)
          .map((s) => s.value)
          .join(' ') ?? '';
      const [cyr] = read('perl-marc-charset-cyrillic.mrc');
      expect(text(cyr, '245-02')).to.equal('Одлуке и решења Савезног уставног суда.');
      expect(text(cyr, '260-03')).to.equal('Београд : Савезни уставни суд,');
      const [heb] = read('perl-marc-charset-hebrew1.mrc');
      expect(text(heb, '246-01')).to.equal('גג  : בטאון איגוד כללי סופרים.');
      expect(text(heb, '260-02')).to.equal('תל־אביב : האיגוד, c1998-.');
      const [cjk] = read('perl-marc-charset-cjk1.mrc');
      expect(text(cjk, '245-02')).to.equal('金田一 京助 と アイヌ語 / 大友 幸男.');
      expect(text(cjk, '100-01')).to.equal('大正 十三造, 1924-');
      const [kor] = read('perl-marc-charset-cjk4.mrc');
      expect(text(kor, '245-01')).to.equal('四分律　／ ［역자　譯經　委員會].');
      const [vor] = read('marc4j-cyrillic_capital_e.mrc');
      expect(text(vor, '245-02')).to.equal('Вор, шпион и убийца / Юрий Буйда.');
    });

    it('reads pymarc-1251.mrc as Windows-1251 when the Content-Type says so', function () {
      const root = sharedData() ?? '';
      const [first] = parseRecords('application/marc; charset=windows-1251', readFileSync(path.join(root, 'marc/binary/pymarc-1251.mrc')));
      expect(first?.displayTitle).to.match(/^Основы гидравлического расчета инженерных сетей/);
      expect(first?.dc.creator).to.deep.equal(['Ильина, Татьяна Николаевна']);
    });

    it('reads UTF-8 data with a blank leader/09 like its correctly flagged twin', function () {
      const [flagged] = read('pymarc-utf8_with_leader_flag.mrc');
      const [unflagged] = read('pymarc-utf8_without_leader_flag.mrc');
      expect(unflagged).to.deep.equal(flagged);
    });

    it('decodes MARC-8 files as yaz-marcdump does, field by field', function () {
      skipUnless(this, hasTool('yaz-marcdump'), 'yaz-marcdump is not installed (Debian package yaz)');
      const root = sharedData() ?? '';
      const files = [
        'filemarc-sandburg.mrc', 'marc4j-brkrtest_MARC8.mrc', 'openlibrary-880_table_of_contents.mrc', 'openlibrary-ocm00400866.mrc',
        'openlibrary-warofrebellionco1473unit_meta.mrc', 'openlibrary-wwu_51323556.mrc', 'openlibrary-lesnoirsetlesrou0000garl_meta.mrc',
        'perl-marc-charset-cjk1.mrc', 'perl-marc-charset-cjk2.mrc', 'perl-marc-charset-cjk3.mrc', 'perl-marc-charset-cjk4.mrc',
        'perl-marc-charset-cyrillic.mrc', 'perl-marc-charset-hebrew1.mrc', 'perl-marc-charset-hebrew2.mrc', 'perl-marc-charset-hebrew3.mrc',
        'perl-marc-charset-hebrew4.mrc', 'pymarc-marc.mrc', 'pymarc-test.mrc',
      ];
      for (const name of files) {
        const file = path.join(root, 'marc', 'binary', name);
        const theirs = readMarcXml(execFileSync('yaz-marcdump', ['-f', 'marc8', '-t', 'utf8', '-o', 'marcxml', file]).toString('utf8'));
        const ours = readIso2709(readFileSync(file));
        expect(ours.length, name).to.equal(theirs.length);
        ours.forEach((rec, i) => expect(rec.fields, `${name} record ${i + 1}`).to.deep.equal(theirs[i]?.fields));
      }
    });
  });

  describe('the malformed corpus (../shared/data/marc/malformed)', function () {
    const expected: Record<string, string> = {
      'filemarc-music-newline-between-records.mrc': 'marc-trailing-data',
      'marc4j-bad_leaders_10_11.mrc': 'marc-leader-invalid',
      'marc4j-bad_oversize_field_bad_directory.mrc': 'marc-directory-invalid',
      'marc4j-bad_too_long_plus_2.mrc': 'marc-record-too-long',
      'marc4j-pride-and-prejudice-with-many-errors.mrc': 'marc-directory-invalid',
      'pymarc-bad_records.mrc': 'marc-base-address-invalid',
      'pymarc-utf8_invalid.mrc': 'marc-invalid-utf8',
      'traject-bad_utf_byte.utf8.mrc': 'marc-invalid-utf8',
      'marc4j-chabon-missing-subfield-code.xml': 'marcxml-subfield-code-missing',
      'rubymarc-three-records-second-bad.xml': 'xml-not-well-formed',
    };
    const files = sharedFiles('marc/malformed');
    before(function () {
      skipUnless(this, files, NO_SHARED);
    });

    it('refuses every file with the fault code that names what is wrong in it', function () {
      expect((files ?? []).map((f) => f.name).sort()).to.deep.equal(Object.keys(expected).sort());
      for (const file of files ?? []) {
        const type = file.name.endsWith('.xml') ? 'application/marcxml+xml' : 'application/marc';
        const err = fault(() => parseRecords(type, readFileSync(file.path)));
        expect(err.fault, file.name).to.equal(expected[file.name]);
        expect(err.where, file.name).to.not.equal(undefined);
      }
    });

    it('says where: the newline between records, the oversized record, the bad UTF-8 byte', function () {
      const get = (name: string): RecordError => {
        const f = (files ?? []).find((x) => x.name === name);
        if (!f) throw new Error(name);
        return fault(() => parseRecords(name.endsWith('.xml') ? 'application/marcxml+xml' : 'application/marc', readFileSync(f.path)));
      };
      expect(get('filemarc-music-newline-between-records.mrc').where).to.deep.equal({ record: 2, offset: 1145 });
      expect(get('marc4j-bad_too_long_plus_2.mrc').message).to.contain('123375 bytes');
      expect(get('traject-bad_utf_byte.utf8.mrc').message).to.contain('field 300: byte 0xC0 at byte offset 62');
      expect(get('pymarc-utf8_invalid.mrc').message).to.contain('field 260');
      expect(get('marc4j-bad_leaders_10_11.mrc').message).to.contain('leader/10-11');
      expect(get('marc4j-chabon-missing-subfield-code.xml').where).to.deep.equal({ record: 1, line: 8, column: 7 });
      expect(get('rubymarc-three-records-second-bad.xml').where).to.include({ line: 72 });
    });
  });
});
