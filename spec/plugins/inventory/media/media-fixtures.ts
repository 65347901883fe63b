// Helpers of the media specs: where ../shared/data is, which tools are here, fixtures the specs
// make themselves (so the suite means something without ../shared), independent measurements.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { Thumbnail } from '../../../../plugins/inventory/media';
import { SHARED_DATA } from '../../../helpers/shared-data';

export { SHARED_DATA };
export const haveSharedData = existsSync(join(SHARED_DATA, 'images')) && existsSync(join(SHARED_DATA, 'docs'));

let toldShared = false;
/** Skip the test (saying why, once) when ../shared/data is absent, as in a user's clone. */
export function needSharedData(ctx: Mocha.Context): void {
  if (haveSharedData) return;
  if (!toldShared) console.log(`    (skipping shared-data media tests: ${SHARED_DATA} not found)`);
  toldShared = true;
  ctx.skip();
}

/** Absolute path of a file under ../shared/data. */
export function shared(rel: string): string {
  return join(SHARED_DATA, rel);
}

/** Files of a ../shared/data folder whose names match. */
export function sharedFiles(folder: string, pattern: RegExp): string[] {
  return readdirSync(shared(folder))
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => `${folder}/${f}`);
}

const commandCache = new Map<string, boolean>();
/** Whether a command can be started (exit status does not matter). */
export function hasCommand(name: string): boolean {
  let known = commandCache.get(name);
  if (known === undefined) {
    const r = spawnSync(name, ['-h'], { stdio: 'ignore', timeout: 10_000 });
    known = !(r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT');
    commandCache.set(name, known);
  }
  return known;
}

/**
 * Skip unless the commands exist. On CI (.ci/run installs poppler-utils, ffmpeg and
 * libopenjp2-tools) a missing one fails instead, so a broken install step cannot pass silently.
 */
export function needCommands(ctx: Mocha.Context, ...names: string[]): void {
  const missing = names.filter((n) => !hasCommand(n));
  if (missing.length === 0) return;
  const why = `needs ${missing.join(', ')} (Debian: poppler-utils, ffmpeg, libopenjp2-tools)`;
  if (process.env.CI) throw new Error(`${why}; on CI these must be installed`);
  console.log(`    (skipping: ${why})`);
  ctx.skip();
}

// ---------------------------------------------------------------- independent measurements

/** Stored (not orientation-corrected) width and height of an image or video, by ffprobe. */
export function ffprobeSize(file: string): [number, number] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', file]);
  const s = (JSON.parse(out.toString()) as { streams: Array<{ width: number; height: number }> }).streams[0];
  return [s.width, s.height];
}

/** Duration in seconds by ffprobe. */
export function ffprobeDuration(file: string): number {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  return Number(out.toString().trim());
}

/** Image size of a JPEG 2000 file by opj_dump ("x0=.., y0=.." / "x1=.., y1=.." of the image info). */
export function opjDumpSize(file: string): [number, number] {
  const out = execFileSync('opj_dump', ['-i', file], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const x0 = /x0=(\d+), y0=(\d+)/.exec(out);
  const x1 = /x1=(\d+), y1=(\d+)/.exec(out);
  if (!x0 || !x1) throw new Error(`opj_dump printed no image size for ${file}`);
  return [Number(x1[1]) - Number(x0[1]), Number(x1[2]) - Number(x0[2])];
}

/** Page count and page-1 size (points) by pdfinfo. */
export function pdfinfoOf(file: string): { pages: number; width: number; height: number } {
  const out = execFileSync('pdfinfo', ['-f', '1', '-l', '1', file]).toString();
  const pages = /^Pages:\s+(\d+)/m.exec(out);
  const size = /^Page\s+1 size:\s+([\d.]+) x ([\d.]+)/m.exec(out);
  if (!pages || !size) throw new Error(`pdfinfo printed no page count or size for ${file}`);
  return { pages: Number(pages[1]), width: Number(size[1]), height: Number(size[2]) };
}

/** First `n` bytes of a file. */
export function headOf(file: string, n: number): Buffer {
  return readFileSync(file).subarray(0, n);
}

// ---------------------------------------------------------------- checks

/** Largest per-channel standard deviation (0–255): about 0 for a blank image. */
export async function maxStdev(data: Buffer): Promise<number> {
  const { channels } = await sharp(data).stats();
  return Math.max(...channels.slice(0, 3).map((c) => c.stdev));
}

/**
 * Decode a thumbnail with sharp and check it: the format it claims, the size it claims, within
 * `size` and not empty, not blank, the expected source and (optionally) aspect ratio.
 */
export async function expectThumbnail(
  t: Thumbnail,
  want: { size: number; source: Thumbnail['source']; ratio?: number; minStdev?: number },
): Promise<void> {
  const meta = await sharp(t.data).metadata();
  expect(meta.format, 'decoded format').to.equal(t.mimeType === 'image/png' ? 'png' : 'jpeg');
  expect([meta.width, meta.height], 'decoded size = reported size').to.deep.equal([t.width, t.height]);
  expect(Math.max(t.width, t.height)).to.be.at.most(want.size).and.above(0);
  expect(Math.min(t.width, t.height)).to.be.above(0);
  expect(t.source).to.equal(want.source);
  expect(await maxStdev(t.data), 'pixel standard deviation (blank image?)').to.be.above(want.minStdev ?? 8);
  if (want.ratio !== undefined) {
    // ±1 px of rounding on the short side
    const tolerance = Math.max(0.02, 1.5 / Math.min(t.width, t.height));
    expect(Math.abs(t.width / t.height / want.ratio - 1), `aspect ${t.width}x${t.height} vs ${want.ratio}`).to.be.below(tolerance);
  }
}

/** Mean of each channel over a region of an image (from decoded pixels: sharp's stats() ignores extract). */
export async function regionMean(data: Buffer, left: number, top: number, width: number, height: number): Promise<number[]> {
  const { data: px, info } = await sharp(data).extract({ left, top, width, height }).raw().toBuffer({ resolveWithObject: true });
  const sums = new Array<number>(info.channels).fill(0);
  for (let i = 0; i < px.length; i++) sums[i % info.channels] += px[i];
  return sums.map((s) => s / (px.length / info.channels));
}

// ---------------------------------------------------------------- fixtures the specs make

export interface MediaFixtures {
  dir: string;
  /** 320×200 RGB pattern: red grows left→right, green top→bottom, a blue checkerboard. */
  jpeg: string;
  /** The same pixels stored with EXIF Orientation 6 (display rotated 90° clockwise). */
  jpegRot6: string;
  /** 320×200 16-bit RGBA PNG with a transparent half. */
  png16Alpha: string;
  /** CMYK JPEG. */
  cmykJpeg: string;
  /** Tiled pyramidal TIFF (4 levels, first IFD past the first 4 KiB). */
  pyramidTiff: string;
  /** Two-page TIFF: page 1 red gradient, page 2 green gradient. */
  twoPageTiff: string;
  /** Hand-written PDF: page 1 400×200 pt with coloured boxes, page 2 200×300 pt. */
  pdf: string;
  /** Same, but page 1 carries /Rotate 90. */
  pdfRotated: string;
  /** A JPEG cut to its first 120 bytes (inside the header). */
  truncatedJpeg: string;
  /** "%PDF-1.4" followed by nothing a PDF reader can use. */
  corruptPdf: string;
  /** A JP2 signature box followed by garbage. */
  corruptJp2: string;
  /** PNG whose header claims 60000×60000 pixels (a decompression bomb), with a tiny IDAT. */
  pngBomb: string;
  /** MARC 21 record in ISO 2709 (two fields). */
  marc: string;
  /** With opj_compress: JP2 and raw codestream of the 320×200 pattern, else null. */
  jp2: string | null;
  j2k: string | null;
  /** With ffmpeg: 5 s MPEG-4 video whose first second is black, 320×240. */
  mp4: string | null;
  /** With ffmpeg: the first 2 KiB of the MP4 (moov box missing). */
  truncatedMp4: string | null;
  /** With ffmpeg: 2 s 440 Hz MP3 and 1.5 s WAV. */
  mp3: string | null;
  wav: string | null;
}

/** The 320×200 test pattern as raw RGB. */
export function patternRaw(width = 320, height = 200): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = Math.round((x * 255) / (width - 1));
      raw[i + 1] = Math.round((y * 255) / (height - 1));
      raw[i + 2] = ((x >> 4) + (y >> 4)) % 2 ? 200 : 40;
    }
  }
  return raw;
}

/** A minimal PDF with one content stream per page; xref offsets computed here. */
export function minimalPdf(pages: Array<{ width: number; height: number; rotate?: number; content: string }>): Buffer {
  const objects: string[] = [];
  const kids = pages.map((_, i) => `${3 + i * 2} 0 R`).join(' ');
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`);
  for (const [i, p] of pages.entries()) {
    const rotate = p.rotate ? ` /Rotate ${p.rotate}` : '';
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${p.width} ${p.height}]${rotate} /Contents ${4 + i * 2} 0 R >>`);
    objects.push(`<< /Length ${Buffer.byteLength(p.content)} >>\nstream\n${p.content}\nendstream`);
  }
  let body = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  for (const [i, o] of objects.entries()) {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  }
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([len, typed, crc]);
}

/** A PNG that claims width×height (1-bit grey) but carries only a few rows of zeros. */
export function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, adaptive filter, no interlace
  const rows = Buffer.alloc(4 * (1 + Math.ceil(width / 8)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An ISO 2709 record with the given control and data fields (directory computed here). */
export function iso2709(fields: Array<[string, string]>): Buffer {
  const FT = '\x1e';
  const data = fields.map(([, v]) => Buffer.from(v + FT, 'utf8'));
  let dir = '';
  let at = 0;
  for (const [i, [tag]] of fields.entries()) {
    dir += tag + String(data[i].length).padStart(4, '0') + String(at).padStart(5, '0');
    at += data[i].length;
  }
  const base = 24 + dir.length + 1;
  const length = base + at + 1;
  const leader = `${String(length).padStart(5, '0')}nam a22${String(base).padStart(5, '0')} a 4500`;
  return Buffer.concat([Buffer.from(leader + dir + FT, 'latin1'), ...data, Buffer.from('\x1d', 'latin1')]);
}

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Write every project-owned fixture into `dir` (media needing absent tools become null). */
export async function makeFixtures(dir: string): Promise<MediaFixtures> {
  await mkdir(dir, { recursive: true });
  const p = (name: string): string => join(dir, name);
  const raw = patternRaw();
  const pattern = (): sharp.Sharp => sharp(raw, { raw: { width: 320, height: 200, channels: 3 } });

  await pattern().jpeg({ quality: 90 }).toFile(p('pattern.jpg'));
  await pattern().jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toFile(p('rot6.jpg'));
  await pattern().toColourspace('cmyk').jpeg().toFile(p('cmyk.jpg'));
  await pattern()
    .tiff({ pyramid: true, tile: true, tileWidth: 64, tileHeight: 64, compression: 'deflate' })
    .toFile(p('pyramid.tif'));
  const rgba = Buffer.alloc(320 * 200 * 4);
  for (let i = 0; i < 320 * 200; i++) {
    rgba.set([raw[i * 3], raw[i * 3 + 1], raw[i * 3 + 2], i % 320 < 160 ? 255 : 0], i * 4);
  }
  await sharp(rgba, { raw: { width: 320, height: 200, channels: 4 } }).toColourspace('rgb16').png().toFile(p('rgba16.png'));
  const twoPages = Buffer.alloc(320 * 400 * 3);
  for (let y = 0; y < 400; y++) {
    for (let x = 0; x < 320; x++) {
      const v = Math.round((x * 255) / 319);
      twoPages.set(y < 200 ? [v, 0, 40] : [0, v, 40], (y * 320 + x) * 3);
    }
  }
  await sharp(twoPages, { raw: { width: 320, height: 400, channels: 3, pageHeight: 200 } }).tiff().toFile(p('two-pages.tif'));

  const boxes = '0.1 0.3 0.8 rg 20 20 160 160 re f 0.9 0.2 0.1 rg 220 40 160 120 re f';
  const page2 = { width: 200, height: 300, content: '0 0.6 0.2 rg 20 20 100 100 re f' };
  await writeFile(p('two-pages.pdf'), minimalPdf([{ width: 400, height: 200, content: boxes }, page2]));
  await writeFile(p('rotated.pdf'), minimalPdf([{ width: 400, height: 200, rotate: 90, content: boxes }, page2]));

  await writeFile(p('truncated.jpg'), readFileSync(p('pattern.jpg')).subarray(0, 120));
  await writeFile(p('corrupt.pdf'), Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\nthis is not a PDF body at all\n', 'latin1'));
  await writeFile(
    p('corrupt.jp2'),
    Buffer.concat([Buffer.from('0000000c6a5020200d0a870a', 'hex'), Buffer.from('not a box structure, just garbage bytes')]),
  );
  await writeFile(p('bomb.png'), bombPng(60_000, 60_000));
  await writeFile(p('record.mrc'), iso2709([['001', 'colophon-1'], ['245', '10\x1faA title :\x1fbsubtitle.']]));

  const fx: MediaFixtures = {
    dir,
    jpeg: p('pattern.jpg'),
    jpegRot6: p('rot6.jpg'),
    png16Alpha: p('rgba16.png'),
    cmykJpeg: p('cmyk.jpg'),
    pyramidTiff: p('pyramid.tif'),
    twoPageTiff: p('two-pages.tif'),
    pdf: p('two-pages.pdf'),
    pdfRotated: p('rotated.pdf'),
    truncatedJpeg: p('truncated.jpg'),
    corruptPdf: p('corrupt.pdf'),
    corruptJp2: p('corrupt.jp2'),
    pngBomb: p('bomb.png'),
    marc: p('record.mrc'),
    jp2: null,
    j2k: null,
    mp4: null,
    truncatedMp4: null,
    mp3: null,
    wav: null,
  };

  if (hasCommand('opj_compress')) {
    // opj_compress reads PPM; 6 decomposition levels so the thumbnail path can reduce.
    await writeFile(p('pattern.ppm'), Buffer.concat([Buffer.from('P6\n320 200\n255\n'), raw]));
    run('opj_compress', ['-i', p('pattern.ppm'), '-o', p('pattern.jp2'), '-n', '6']);
    run('opj_compress', ['-i', p('pattern.ppm'), '-o', p('pattern.j2k'), '-n', '6']);
    fx.jp2 = p('pattern.jp2');
    fx.j2k = p('pattern.j2k');
  }
  if (hasCommand('ffmpeg')) {
    const ff = ['-nostdin', '-hide_banner', '-v', 'error', '-y'];
    run('ffmpeg', [
      ...ff,
      ...['-f', 'lavfi', '-i', 'color=c=black:s=320x240:r=25:d=1'],
      ...['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=4'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=5'],
      ...['-filter_complex', '[0:v][1:v]concat=n=2:v=1:a=0[v]', '-map', '[v]', '-map', '2:a'],
      ...['-c:v', 'mpeg4', '-q:v', '4', '-c:a', 'aac', '-shortest', p('black-start.mp4')],
    ]);
    await writeFile(p('truncated.mp4'), readFileSync(p('black-start.mp4')).subarray(0, 2048));
    run('ffmpeg', [...ff, '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'libmp3lame', '-b:a', '64k', p('tone.mp3')]);
    run('ffmpeg', [...ff, '-f', 'lavfi', '-i', 'sine=frequency=660:duration=1.5', '-c:a', 'pcm_s16le', p('tone.wav')]);
    fx.mp4 = p('black-start.mp4');
    fx.truncatedMp4 = p('truncated.mp4');
    fx.mp3 = p('tone.mp3');
    fx.wav = p('tone.wav');
  }
  return fx;
}

/** Fixture path, or skip (CI: fail) when the tool that makes it is missing. */
export function fixture(ctx: Mocha.Context, path: string | null, tool: string): string {
  if (path === null) needCommands(ctx, tool);
  if (path === null) throw new Error(`fixture needing ${tool} was not made`);
  return path;
}

/** Command lines of running processes that mention `needle` (Linux /proc). */
export function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle) && Number(pid) !== process.pid) found.push(`${pid}: ${cmd}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}
