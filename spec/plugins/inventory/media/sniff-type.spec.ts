import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SNIFF_BYTES, sniffType } from '../../../../plugins/inventory/media';
import { fixture, headOf, makeFixtures, needSharedData, shared, sharedFiles, type MediaFixtures } from './media-fixtures';

describe('inventory media: sniffType', function () {
  let fx: MediaFixtures;

  before(async function () {
    this.timeout(60_000);
    fx = await makeFixtures(await mkdtemp(join(tmpdir(), 'colophon-sniff-spec-')));
  });

  after(async function () {
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });

  const sniffFile = (file: string, name = basename(file)): ReturnType<typeof sniffType> =>
    sniffType(headOf(file, SNIFF_BYTES), name);

  describe('binary signatures (project fixtures)', function () {
    it('reads JPEG, PNG, TIFF, PDF and MARC from their first bytes', async function () {
      expect(await sniffFile(fx.jpeg)).to.deep.equal({ mimeType: 'image/jpeg', extension: 'jpg', by: 'signature' });
      expect((await sniffFile(fx.png16Alpha)).mimeType).to.equal('image/png');
      expect((await sniffFile(fx.twoPageTiff)).mimeType).to.equal('image/tiff');
      expect(await sniffFile(fx.pdf)).to.deep.equal({ mimeType: 'application/pdf', extension: 'pdf', by: 'signature' });
      expect(await sniffFile(fx.marc)).to.deep.equal({ mimeType: 'application/marc', extension: 'mrc', by: 'signature' });
    });

    it('knows a TIFF whose first directory lies beyond the sniffed head', async function () {
      const head = headOf(fx.pyramidTiff, SNIFF_BYTES);
      // Only meaningful if the fixture really puts its IFD past the head (libvips writes it last).
      expect(head.readUInt32LE(4), 'first IFD offset').to.be.at.least(SNIFF_BYTES);
      expect(await sniffType(head)).to.deep.equal({ mimeType: 'image/tiff', extension: 'tif', by: 'signature' });
    });

    it('never believes the file name over the content', async function () {
      expect((await sniffFile(fx.jpeg, 'table.csv')).mimeType).to.equal('image/jpeg');
      expect((await sniffFile(fx.pdf, 'photo.jpg')).mimeType).to.equal('application/pdf');
    });

    it('reads JPEG 2000 (JP2 box structure and a bare codestream)', async function () {
      expect((await sniffFile(fixture(this, fx.jp2, 'opj_compress'))).mimeType).to.equal('image/jp2');
      expect((await sniffFile(fixture(this, fx.j2k, 'opj_compress'))).mimeType).to.equal('image/j2c');
    });

    it('reads MP4, MP3 and WAV', async function () {
      expect((await sniffFile(fixture(this, fx.mp4, 'ffmpeg'))).mimeType).to.equal('video/mp4');
      expect((await sniffFile(fixture(this, fx.mp3, 'ffmpeg'))).mimeType).to.equal('audio/mpeg');
      expect((await sniffFile(fixture(this, fx.wav, 'ffmpeg'))).mimeType).to.match(/^audio\/(wav|x-wav|vnd\.wave)$/);
    });
  });

  describe('text content', function () {
    const cases: Array<[string, string | Buffer, string | undefined, string]> = [
      ['XML with a declaration', '<?xml version="1.0" encoding="UTF-8"?>\n<root><a>1</a></root>\n', undefined, 'application/xml'],
      ['MARCXML without a declaration', '<collection xmlns="http://www.loc.gov/MARC21/slim"><record/></collection>', undefined, 'application/xml'],
      [
        'SVG behind a declaration, comment and DOCTYPE with an internal subset',
        '<?xml version="1.0"?>\n<!-- drawn by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd" [ <!ENTITY a "<b>"> ]>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        undefined,
        'image/svg+xml',
      ],
      ['bare SVG root', '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect/></svg>', undefined, 'image/svg+xml'],
      ['prefixed SVG root', '<s:svg xmlns:s="http://www.w3.org/2000/svg"><s:rect/></s:svg>', undefined, 'image/svg+xml'],
      ['"svg" root in another namespace', '<svg xmlns="urn:example:not-svg"><x/></svg>', undefined, 'application/xml'],
      ['XHTML', '<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', undefined, 'application/xhtml+xml'],
      ['HTML', '<!DOCTYPE html>\n<html lang="en"><head><title>x</title></head></html>', undefined, 'text/html'],
      ['a JSON object', '{ "id": 1, "title": "Ulysses", "tags": ["a", "b"] }\n', undefined, 'application/json'],
      ['a JSON array', '[{"id": 1}, {"id": 2}]', undefined, 'application/json'],
      ['JSON-LD by the name hint', '{"@context": "http://schema.org/", "@type": "Book"}', 'book.jsonld', 'application/ld+json'],
      ['text that starts like JSON', '[1] Introduction\nThis chapter...\n', undefined, 'text/plain'],
      ['a brace that is not JSON', '{ not json at all }\n', undefined, 'text/plain'],
      ['CSV by content', 'id,title,year\n1,"Ulysses, a novel",1922\n2,Dubliners,1914\n', undefined, 'text/csv'],
      ['TSV by content', 'id\ttitle\n1\tUlysses\n2\tDubliners\n', undefined, 'text/tab-separated-values'],
      ['plain text named .csv', 'a single column\nof values\n', 'list.csv', 'text/csv'],
      ['plain text named .txt', 'Call me Ishmael.', 'moby.txt', 'text/plain'],
      ['plain text without a name', 'Call me Ishmael.', undefined, 'text/plain'],
      ['XML named .csv (the name is only a hint among text types)', '<?xml version="1.0"?><r/>', 'data.csv', 'application/xml'],
      ['Markdown by the name hint', '# Title\n\nSome *text*.\n', 'README.md', 'text/markdown'],
      ['"<b>" markup that is no document', '<b>bold</b> claims, then prose\nand more prose\n', undefined, 'text/plain'],
      [
        'UTF-16LE XML with a byte-order mark',
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<?xml version="1.0" encoding="UTF-16"?><r/>', 'utf16le')]),
        undefined,
        'application/xml',
      ],
      ['XML with a stray control character', '<?xml version="1.0"?>\n<r a="\x01"/>', undefined, 'application/xml'],
    ];
    for (const [what, content, name, mime] of cases) {
      it(`${what} → ${mime}`, async function () {
        const got = await sniffType(Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), name);
        expect(got.mimeType).to.equal(mime);
        expect(got.by).to.equal('text');
      });
    }

    it('keeps JSON that the sniffed head cuts short', async function () {
      const json = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ id: i, title: `Title ${i}` })));
      const head = Buffer.from(json).subarray(0, SNIFF_BYTES);
      expect(() => JSON.parse(head.toString()) as unknown).to.throw();
      expect((await sniffType(head)).mimeType).to.equal('application/json');
    });

    it('keeps text whose head ends in the middle of a UTF-8 character', async function () {
      const head = Buffer.from('é'.repeat(3000)).subarray(0, 4099); // 2-byte characters, odd cut
      expect(await sniffType(head)).to.deep.equal({ mimeType: 'text/plain', extension: 'txt', by: 'text' });
    });
  });

  it('loads the ESM-only file-type with a real dynamic import in the CommonJS build', function () {
    // Compiled specs live in dist/spec/..., so this is the emitted dist/plugins/.../sniff-type.js.
    const compiled = join(__dirname, '../../../../plugins/inventory/media/sniff-type.js');
    const source = readFileSync(compiled, 'utf8');
    expect(source).to.match(/\bimport\('file-type'\)/);
    expect(source).to.not.match(/require\(['"]file-type['"]\)/);
  });

  describe('nothing recognisable', function () {
    it('random bytes → application/octet-stream by fallback', async function () {
      expect(await sniffType(randomBytes(SNIFF_BYTES), 'notes.txt')).to.deep.equal({
        mimeType: 'application/octet-stream',
        extension: null,
        by: 'fallback',
      });
    });

    it('ASCII with NUL bytes or control characters is binary, whatever the name', async function () {
      expect((await sniffType(Buffer.from('hello\0world\0'), 'a.txt')).mimeType).to.equal('application/octet-stream');
      const controls = Buffer.from(Array.from({ length: 400 }, (_, i) => 1 + (i % 127)));
      expect((await sniffType(controls, 'a.csv')).mimeType).to.equal('application/octet-stream');
    });

    it('an empty file → application/octet-stream', async function () {
      expect((await sniffType(Buffer.alloc(0), 'empty.txt')).by).to.equal('fallback');
    });
  });

  describe('../shared/data', function () {
    beforeEach(function () {
      needSharedData(this);
    });

    // Expected by extension, except where the file's name lies (a raw codestream named .jp2).
    const byExtension: Record<string, string> = {
      jpg: 'image/jpeg',
      tif: 'image/tiff',
      png: 'image/png',
      gif: 'image/gif',
      jp2: 'image/jp2',
      jpx: 'image/jpx',
      pdf: 'application/pdf',
      mp4: 'video/mp4',
      webm: 'video/webm',
      mp3: 'audio/mpeg',
      ogg: 'audio/ogg',
      mrc: 'application/marc',
      xml: 'application/xml',
      csv: 'text/csv',
      tsv: 'text/tab-separated-values',
      zip: 'application/zip',
    };
    const exceptions: Record<string, string> = { 'images/edge-cases/node-iiif-relax-codestream.jp2': 'image/j2c' };

    it('gives the right type for every image, document and media file', async function () {
      const files = [...sharedFiles('images', /\./), ...sharedFiles('images/edge-cases', /\./), ...sharedFiles('docs', /\./)];
      expect(files.length).to.be.above(30);
      for (const rel of files) {
        const ext = rel.slice(rel.lastIndexOf('.') + 1);
        const want = exceptions[rel] ?? byExtension[ext];
        // Sniff without the name: the content alone must decide binary types.
        const got = await sniffType(headOf(shared(rel), SNIFF_BYTES));
        expect(got.mimeType, rel).to.equal(want);
        expect(got.by, rel).to.equal('signature');
      }
    });

    it('tells MARC, MARCXML, Dublin Core XML, CSV and TSV apart', async function () {
      const files = [
        ...sharedFiles('marc/binary', /\.mrc$/),
        ...sharedFiles('marc/xml', /\.xml$/),
        ...sharedFiles('dc', /\.xml$/),
        ...sharedFiles('csv/bulkrax', /\.csv$/),
        ...sharedFiles('csv/islandora-workbench', /\.(csv|tsv)$/),
      ];
      expect(files.length).to.be.above(60);
      for (const rel of files) {
        const got = await sniffType(headOf(shared(rel), SNIFF_BYTES), basename(rel));
        expect(got.mimeType, rel).to.equal(byExtension[rel.slice(rel.lastIndexOf('.') + 1)]);
      }
    });

    it('says text/plain for a file named .xml that holds no XML', async function () {
      expect((await sniffType(headOf(shared('oai/sickle-synthetic/ListRecordsBroken.xml'), SNIFF_BYTES), 'x.xml')).mimeType).to.equal(
        'text/plain',
      );
    });
  });
});
