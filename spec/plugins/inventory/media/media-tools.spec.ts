import { expect } from 'chai';
import sharp from 'sharp';
import { ColophonError } from '../../../../core/errors';
import { formatIcon, formatLabel, MediaError, mediaTools, MEDIA_TOOLS } from '../../../../plugins/inventory/media';
import { runTool, ToolMissingError } from '../../../../plugins/inventory/media/media-tools';
import { expectThumbnail, hasCommand, needCommands, processesMentioning, regionMean } from './media-fixtures';

const NO_TOOL = '/nonexistent/colophon-spec/tool';

describe('inventory media: tools, icons, errors', function () {
  describe('mediaTools', function () {
    it('reports each tool as runnable or not', async function () {
      const tools = await mediaTools();
      expect(Object.keys(tools).sort()).to.deep.equal([...MEDIA_TOOLS].sort());
      for (const t of MEDIA_TOOLS) expect(tools[t], t).to.equal(hasCommand(t));
    });

    it('honours executable overrides: a nonexistent path is not runnable', async function () {
      const tools = await mediaTools({ tools: { ffmpeg: NO_TOOL, pdfinfo: NO_TOOL } });
      expect(tools).to.include({ ffmpeg: false, pdfinfo: false });
      expect(tools.ffprobe).to.equal(hasCommand('ffprobe'));
    });
  });

  describe('runTool', function () {
    it('rejects with ToolMissingError for a nonexistent executable', async function () {
      let err: unknown;
      await runTool('ffmpeg', ['-version'], { tools: { ffmpeg: NO_TOOL } }).catch((e: unknown) => (err = e));
      expect(err).to.be.instanceOf(ToolMissingError);
      expect((err as ToolMissingError).message).to.match(/ffmpeg is not available .*ENOENT/);
    });

    it('returns the exit code and output without a shell', async function () {
      needCommands(this, 'ffprobe');
      const run = await runTool('ffprobe', ['-version']);
      expect(run.code).to.equal(0);
      expect(run.stdout.toString()).to.match(/^ffprobe version/);
      // An argument with shell syntax reaches the program verbatim.
      const odd = await runTool('ffprobe', ['-v', 'error', '/no/such/file; echo $HOME']);
      expect(odd.code).to.not.equal(0);
      expect(odd.stderr).to.include('/no/such/file; echo $HOME');
    });

    it('bounds stdout: a tool that never stops writing is killed → media-tool-failed', async function () {
      needCommands(this, 'yes');
      const marker = `colophon-spec-${process.pid}-yes`;
      let err: unknown;
      await runTool('ffprobe', [marker], { tools: { ffprobe: 'yes' } }, 64 * 1024).catch((e: unknown) => (err = e));
      expect(err).to.be.instanceOf(MediaError);
      expect((err as MediaError).fault).to.equal('media-tool-failed');
      expect((err as Error).message).to.match(/more than 65536 bytes/);
      expect(processesMentioning(marker)).to.deep.equal([]);
    });
  });

  describe('formatIcon', function () {
    it('labels formats by their short names', function () {
      expect(formatLabel('application/pdf')).to.equal('PDF');
      expect(formatLabel('audio/mpeg')).to.equal('MP3');
      expect(formatLabel('application/zip')).to.equal('ZIP');
      expect(formatLabel('Application/PDF; charset=binary')).to.equal('PDF');
      expect(formatLabel('video/mp4')).to.equal('MP4');
      expect(formatLabel('image/jp2')).to.equal('JP2');
      expect(formatLabel('application/vnd.ms-excel')).to.equal('EXCEL');
      expect(formatLabel('application/x-foo')).to.equal('FOO');
      expect(formatLabel('nonsense')).to.equal('FILE');
    });

    it('renders a square PNG with the label drawn in the band', async function () {
      const pdf = await formatIcon('application/pdf', 200);
      await expectThumbnail(pdf, { size: 200, source: 'icon', ratio: 1 });
      expect([pdf.width, pdf.height, pdf.mimeType]).to.deep.equal([200, 200, 'image/png']);
      // The band (y 50–74 of 100) is red for PDF, with white strokes of the label in it.
      const [r, g, b] = await regionMean(pdf.data, 40, 104, 120, 40);
      expect(r).to.be.above(g + 40);
      expect(r).to.be.above(b + 40);
      const { data, info } = await sharp(pdf.data).extract({ left: 40, top: 104, width: 120, height: 40 }).raw().toBuffer({ resolveWithObject: true });
      let white = 0;
      for (let i = 0; i < data.length; i += info.channels) if (data[i] > 230 && data[i + 1] > 230 && data[i + 2] > 230) white++;
      expect(white, 'label pixels').to.be.above(100);
    });

    it('draws different labels differently', async function () {
      const [a, b] = await Promise.all([formatIcon('audio/mpeg', 100), formatIcon('audio/ogg', 100)]);
      const [ra, rb] = await Promise.all([sharp(a.data).raw().toBuffer(), sharp(b.data).raw().toBuffer()]);
      let differ = 0;
      for (let i = 0; i < ra.length; i++) if (Math.abs(ra[i] - rb[i]) > 60) differ++;
      expect(differ).to.be.above(50);
    });

    it('rejects a silly size', async function () {
      let err: unknown;
      await formatIcon('application/pdf', 0).catch((e: unknown) => (err = e));
      expect((err as MediaError).fault).to.equal('media-bad-option');
    });
  });

  describe('MediaError', function () {
    it('is a ColophonError with a fault, a namespaced code and an HTTP status', function () {
      const e = new MediaError('media-too-large', 'image/png: too many pixels');
      expect(e).to.be.instanceOf(ColophonError).and.instanceOf(Error);
      expect(e).to.include({ fault: 'media-too-large', code: 'inventory.media-too-large', status: 413, name: 'MediaError' });
      expect(e.message).to.equal('image/png: too many pixels');
    });
  });
});
