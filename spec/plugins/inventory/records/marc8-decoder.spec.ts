import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { Marc8Decoder } from '../../../../plugins/inventory/records/marc8/marc8-decoder';
import tables from '../../../../plugins/inventory/records/marc8/marc8-tables.json';
import { hasTool, skipUnless } from './records-spec-support';

const ESC = 0x1b;
/** Bytes from ASCII strings and numbers. */
const bytes = (...parts: (string | number)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p, 'latin1'))));

function decode(...parts: (string | number)[]): { text: string; warning: string | null } {
  const d = new Marc8Decoder();
  const b = bytes(...parts);
  const text = d.decodeField(b, 0, b.length, '245');
  return { text, warning: d.warning() };
}

describe('inventory records: MARC-8 decoder', function () {
  it('moves ANSEL combining diacritics after their base letter, keeping their order', function () {
    expect(decode('Caf', 0xe2, 'e').text).to.equal('Cafe\u0301');
    // acute then dot below, both before "e": both follow it, in the same order
    expect(decode(0xe2, 0xf2, 'e').text).to.equal('e\u0301\u0323');
    // a diacritic before a space is a spacing mark: it stays with the space
    expect(decode('a ', 0xe8, ' b').text).to.equal('a  \u0308b');
  });

  it('maps ANSEL spacing characters, including the 2004 additions (eszett, euro)', function () {
    expect(decode(0xa1, 0xb1, 0xc3, 0xc7, 0xc8, 0xae).text).to.equal('Łł©ß€ʼ');
  });

  it('writes the two-part ligature and double tilde as one combining double diacritic', function () {
    // MARC-8 "d EB i EC a": the first half goes on "i" as U+0361, the second half is dropped
    expect(decode('d', 0xeb, 'i', 0xec, 'a').text).to.equal('di\u0361a');
    expect(decode('n', 0xfa, 'g', 0xfb, 'o').text).to.equal('ng\u0360o');
    // a second half with no first half keeps LoC's half mark, so nothing is lost
    expect(decode(0xec, 'a').text).to.equal('a\ufe21');
  });

  it('switches to Cyrillic, Greek, Hebrew and Arabic with escape sequences and back', function () {
    expect(decode(ESC, '(N', 'mOSKWA', ESC, '(B', ' 2013').text).to.equal('Москва 2013');
    expect(decode(ESC, '(S', 'abd', ESC, '(B').text).to.equal('αβγ');
    expect(decode(ESC, '(2', '`ab', ESC, '(B').text).to.equal('אבג');
    expect(decode(ESC, '(3', 'GH', ESC, '(B').text).to.equal('اب');
    // Extended Cyrillic designated as G1 (ESC ) Q): high bytes
    expect(decode(ESC, ')Q', 0xc0, ESC, ')!E').text).to.equal('ґ');
  });

  it('reads subscripts, superscripts and Greek symbols (technique 1 escapes)', function () {
    expect(decode('H', ESC, 'b2', ESC, 's', 'O').text).to.equal('H₂O');
    expect(decode('x', ESC, 'p2', ESC, 's').text).to.equal('x²');
    expect(decode(ESC, 'gabc', ESC, 's', 'd').text).to.equal('αβγd');
  });

  it('reads EACC (three bytes a character) with single-byte spaces between', function () {
    expect(decode(ESC, '$1', 0x21, 0x30, 0x21, ' ', 0x21, 0x30, 0x22, ESC, '(B').text).to.equal('一 丁');
    // characters outside the Basic Multilingual Plane
    expect(decode(ESC, '$1', 0x21, 0x75, 0x59, ESC, '(B').text).to.equal('\u{212c4}');
  });

  it('keeps character sets across subfield delimiters but reads each subfield code as ASCII', function () {
    const { text } = decode(0x1f, 'a', ESC, '(N', 'mOSKWA', 0x1f, 'b', 'KSMO', ESC, '(B');
    expect(text.split('\u001f')).to.deep.equal(['', 'aМосква', 'bксмо']);
  });

  it('expands numeric character references, attaching preceding diacritics to them', function () {
    expect(decode('&#x03B1;').text).to.equal('α');
    expect(decode(0xe2, '&#x03B1;').text).to.equal('α\u0301');
    expect(decode('AT&T &#xZZ;').text).to.equal('AT&T &#xZZ;');
  });

  it('replaces codes with no mapping by U+FFFD and reports them', function () {
    const { text, warning } = decode('a', 0xa0, 'b', 0xff);
    expect(text).to.equal('a\ufffdb\ufffd');
    expect(warning).to.match(/2 undecodable character\(s\) replaced by U\+FFFD in 245/);
  });

  it('reads bytes the designated G0 set leaves undefined as ASCII (a missing ESC ( B), with a warning', function () {
    const { text, warning } = decode(ESC, '(S', 'a :');
    expect(text).to.equal('α :');
    expect(warning).to.match(/read as ASCII in 245 \(an escape back to ASCII is probably missing\)/);
  });

  it('reports an unknown escape sequence instead of failing', function () {
    const { text, warning } = decode('a', ESC, 'Zb');
    expect(text).to.equal('aZb');
    expect(warning).to.match(/unknown escape sequence ESC 5A 62/);
  });

  it('has complete code tables (EACC with every LoC character, ANSEL, and the other sets)', function () {
    const count = (set: keyof typeof tables.sets): number => tables.sets[set].entries.split(' ').length;
    expect(count('1')).to.be.at.least(15700);
    expect(count('E')).to.equal(65);
    expect(count('N')).to.equal(94);
    expect(count('Q')).to.equal(42);
    expect(count('S')).to.equal(73);
    expect(count('2')).to.equal(78);
    expect(count('3')).to.equal(83);
    expect(count('4')).to.equal(90);
    expect(tables.c1).to.equal('88=98 89=9C 8D=200D 8E=200C');
  });

  it('decodes every table entry as yaz-iconv (Index Data) does', function () {
    skipUnless(this, hasTool('yaz-iconv'), 'yaz-iconv is not installed (Debian package yaz), from which the table was generated');
    // One probe per entry of the non-EACC sets and every 50th EACC entry, each followed by an
    // ASCII base letter (combining marks need one), all in one yaz run.
    const probes: Buffer[] = [];
    for (const [final, set] of Object.entries(tables.sets)) {
      const entries = set.entries.split(' ').filter((_, i) => final !== '1' || i % 50 === 0);
      for (const e of entries) {
        const key = e.slice(0, e.indexOf('='));
        if (final === 'E' && (key === '6C' || key === '7B')) continue; // second halves: see generate-marc8-tables.ts
        const code = parseInt(key, 16);
        const g1 = 'EQ4'.includes(final);
        const designate = final === '1' ? [ESC, 0x24, 0x31] : 'gbp'.includes(final) ? [ESC, final.charCodeAt(0)] : [ESC, g1 ? 0x29 : 0x28, final.charCodeAt(0)];
        const codeBytes = final === '1' ? [code >> 16, (code >> 8) & 0xff, code & 0xff] : [(g1 ? 0x80 : 0) | code];
        probes.push(Buffer.from([ESC, 0x28, 0x42, ESC, 0x29, 0x21, 0x45, ...designate, ...codeBytes, ESC, 0x28, 0x42, ESC, 0x29, 0x21, 0x45, 0x61]));
      }
    }
    const out = execFileSync('yaz-iconv', ['-f', 'marc8', '-t', 'utf8'], { input: Buffer.concat(probes.flatMap((p) => [p, Buffer.from('#%#')])) })
      .toString('utf8')
      .split('#%#');
    // YAZ may emit a combining mark before or after the base when escapes sit between them, so compare the characters, not their order.
    const chars = (s: string): string => [...s.normalize('NFD')].sort().join('');
    const d = new Marc8Decoder();
    const mismatches = probes.filter((p, i) => chars(d.decodeField(p, 0, p.length, 'x')) !== chars(out[i] ?? ''));
    expect(probes.length).to.be.greaterThan(800);
    expect(mismatches.map((m) => m.toString('hex'))).to.deep.equal([]);
  });
});
