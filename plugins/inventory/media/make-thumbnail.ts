import { mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { checkSize, DEFAULT_THUMBNAIL_SIZE, formatIcon, type Thumbnail } from './format-icon';
import { readJpeg2000Header } from './jpeg2000-header';
import { MediaError } from './media-error';
import { essence, mediaKind } from './media-kind';
import { DEFAULT_MAX_INPUT_PIXELS, DEFAULT_TIMEOUT_MS, runTool, toolSaid, ToolMissingError, type MediaToolsOptions } from './media-tools';
import { durationOf, ffprobe, isUnsupportedBySharp, sharpInput, videoStream, type FfprobeResult } from './probe-media';
import { readTiffDirectories, tiffLevelFor } from './tiff-directories';

export type ThumbnailOptions = MediaToolsOptions & {
  /** Longest side of the thumbnail, px (default 300). Smaller images are not enlarged. */
  size?: number;
};

/** Where in a video the frame is taken, as a fraction of its duration (past fade-ins and titles). */
const FRAME_AT = 0.1;
/** A frame whose every channel varies less than this (0–255) is taken for blank and another is tried. */
const BLANK_STDEV = 2;

/**
 * A thumbnail of a local file of a known (sniffed) type, bounded by `size` on its longest side:
 * the image itself, a PDF's first page, a video frame, an audio waveform, or else a format
 * icon (also when the tool needed is missing). Temporary files are always removed; tools are
 * killed on abort or timeout. Throws MediaError ('media-corrupt', 'media-too-large', ...).
 */
export async function makeThumbnail(path: string, mimeType: string, opts: ThumbnailOptions = {}): Promise<Thumbnail> {
  const size = checkSize(opts.size ?? DEFAULT_THUMBNAIL_SIZE);
  const abs = resolve(path);
  await stat(abs); // a missing file is the caller's ENOENT, not a media fault
  opts.signal?.throwIfAborted();
  const mime = essence(mimeType);
  const icon = (): Promise<Thumbnail> => formatIcon(mime, size);

  try {
    let thumb: Thumbnail | null;
    switch (mediaKind(mime)) {
      case 'image':
      case 'svg':
        thumb = await imageThumbnail(abs, mime, size, opts);
        break;
      case 'jpeg2000':
        thumb = await withTempDir(opts, (dir) => jpeg2000Thumbnail(abs, mime, size, opts, dir));
        break;
      case 'pdf':
        thumb = await withTempDir(opts, (dir) => pdfThumbnail(abs, size, opts, dir));
        break;
      case 'video':
        thumb = await withTempDir(opts, (dir) => videoThumbnail(abs, mime, size, opts, dir));
        break;
      case 'audio':
        thumb = await withTempDir(opts, (dir) => audioThumbnail(abs, size, opts, dir));
        break;
      case 'other':
        thumb = null;
        break;
    }
    opts.signal?.throwIfAborted();
    return thumb ?? (await icon());
  } catch (err) {
    if (err instanceof ToolMissingError) return icon();
    throw err;
  }
}

/** Run `fn` with a fresh temporary directory that is removed afterwards, whatever happens. */
async function withTempDir<T>(opts: MediaToolsOptions, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'colophon-media-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** True when the file exists and is not empty (tools sometimes exit 0 without writing). */
async function wrote(file: string): Promise<boolean> {
  try {
    return (await stat(file)).size > 0;
  } catch {
    return false;
  }
}

/**
 * Resize with sharp: EXIF orientation applied, converted to 8-bit sRGB (CMYK, 16-bit, grey),
 * PNG when there is transparency, JPEG otherwise; `limitInputPixels` guards against bombs.
 * Null when sharp does not know the format.
 */
async function imageThumbnail(
  input: string,
  mime: string,
  size: number,
  opts: MediaToolsOptions,
  source: Thumbnail['source'] = 'image',
  page = 0,
): Promise<Thumbnail | null> {
  const limit = opts.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  try {
    if (mime === 'image/tiff' && page === 0) page = await pyramidLevel(input, size);
    const pipeline = sharp(await sharpInput(input, mime), { limitInputPixels: limit, page, failOn: 'error' });
    const { hasAlpha } = await pipeline.metadata();
    pipeline
      // libvips stops a decode that runs past the same budget as an external tool gets.
      .timeout({ seconds: Math.max(1, Math.ceil((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)) })
      .rotate()
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb');
    const { data, info } = await (hasAlpha ? pipeline.png() : pipeline.jpeg({ quality: 82 })).toBuffer({
      resolveWithObject: true,
    });
    return { data, mimeType: hasAlpha ? 'image/png' : 'image/jpeg', width: info.width, height: info.height, source };
  } catch (err) {
    if (err instanceof MediaError) throw err;
    const message = (err as Error).message;
    if (/pixel limit/i.test(message)) {
      throw new MediaError('media-too-large', `${mime}: more than ${limit} pixels (${message})`, err);
    }
    if (isUnsupportedBySharp(err)) return null;
    if (/^timeout: \d+% complete/.test(message)) {
      throw new MediaError('media-timeout', `${mime}: sharp ran longer than ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`, err);
    }
    throw new MediaError('media-corrupt', `${mime}: sharp could not decode it: ${message}`, err);
  }
}

/** The page (IFD) to decode for a TIFF: a reduced-resolution level when it is a pyramid. */
async function pyramidLevel(abs: string, size: number): Promise<number> {
  try {
    return tiffLevelFor(await readTiffDirectories(abs), size);
  } catch {
    return 0; // let sharp read (and judge) the file from its first directory
  }
}

async function jpeg2000Thumbnail(abs: string, mime: string, size: number, opts: MediaToolsOptions, dir: string): Promise<Thumbnail | null> {
  const h = await readJpeg2000Header(abs, mime);
  // Decode only the resolution level just above `size`: each discarded level halves both sides.
  let reduce = 0;
  const longest = Math.max(h.width, h.height);
  while (reduce < (h.decompositionLevels ?? 0) && Math.ceil(longest / 2 ** (reduce + 1)) >= size) reduce++;
  const limit = opts.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  const pixels = Math.ceil(h.width / 2 ** reduce) * Math.ceil(h.height / 2 ** reduce);
  if (pixels > limit) throw new MediaError('media-too-large', `${mime}: ${h.width}x${h.height} is more than ${limit} pixels`);
  // opj_decompress picks its decoder by file name extension, which a stored object may lack.
  const input = join(dir, h.container === 'jp2' ? 'input.jp2' : 'input.j2k');
  await symlink(abs, input);
  const output = join(dir, 'decoded.png');
  const run = await runTool('opj_decompress', ['-i', input, '-o', output, '-r', String(reduce)], opts, 1024 * 1024);
  if (run.code !== 0 || !(await wrote(output))) {
    throw new MediaError('media-corrupt', `${mime}: opj_decompress: ${toolSaid(run)}`);
  }
  return imageThumbnail(output, 'image/png', size, opts);
}

async function pdfThumbnail(abs: string, size: number, opts: MediaToolsOptions, dir: string): Promise<Thumbnail | null> {
  const base = join(dir, 'page');
  const args = ['-f', '1', '-l', '1', '-cropbox', '-scale-to', String(size), '-jpeg', '-jpegopt', 'quality=85', '-singlefile'];
  const run = await runTool('pdftoppm', [...args, abs, base], opts, 1024 * 1024);
  if (run.code !== 0) {
    if (/incorrect password/i.test(run.stderr)) return null; // encrypted: an icon says "PDF" at least
    throw new MediaError('media-corrupt', `application/pdf: pdftoppm: ${toolSaid(run)}`);
  }
  const output = `${base}.jpg`;
  if (!(await wrote(output))) throw new MediaError('media-corrupt', `application/pdf: pdftoppm rendered nothing: ${toolSaid(run)}`);
  const data = await readFile(output);
  const { width, height } = await sharp(data).metadata();
  if (!width || !height) throw new MediaError('media-tool-failed', 'pdftoppm wrote an unreadable JPEG');
  return { data, mimeType: 'image/jpeg', width, height, source: 'pdf' };
}

async function videoThumbnail(abs: string, mime: string, size: number, opts: MediaToolsOptions, dir: string): Promise<Thumbnail | null> {
  let probe: FfprobeResult | undefined;
  try {
    probe = await ffprobe(abs, mime, opts);
  } catch (err) {
    if (!(err instanceof ToolMissingError)) throw err;
    // Without ffprobe: no duration, so the frame comes from the start.
  }
  if (probe && !videoStream(probe)) return audioThumbnail(abs, size, opts, dir); // e.g. audio-only WebM
  const duration = probe ? durationOf(probe) : null;
  const tries = duration ? [duration * FRAME_AT, duration * 0.5, 0] : [0];
  let fallback: Thumbnail | null = null;
  for (const [i, at] of tries.entries()) {
    const output = join(dir, `frame-${i}.png`);
    const run = await runTool(
      'ffmpeg',
      [
        ...['-nostdin', '-hide_banner', '-v', 'error', '-ss', at.toFixed(3), '-i', abs, '-map', '0:v:0'],
        // thumbnail: the most representative of a few frames; scale: square pixels for sharp.
        ...['-vf', 'thumbnail=n=12,scale=trunc(iw*sar):ih,setsar=1', '-frames:v', '1', '-an', '-sn', '-dn'],
        ...['-c:v', 'png', '-f', 'image2', '-y', output],
      ],
      opts,
      1024 * 1024,
    );
    if (run.code !== 0) throw new MediaError('media-corrupt', `${mime}: ffmpeg: ${toolSaid(run)}`);
    if (!(await wrote(output))) continue; // seeking past the last frame writes nothing; try earlier
    const thumb = await imageThumbnail(output, 'image/png', size, opts, 'video');
    if (!thumb) continue;
    fallback ??= thumb;
    const { channels } = await sharp(thumb.data).stats();
    if (channels.some((c) => c.stdev >= BLANK_STDEV)) return thumb;
  }
  return fallback; // every frame tried was blank (or none could be read): show one, or an icon
}

/** A waveform (ffmpeg showwavespic) on a light background; null (→ icon) when ffmpeg draws none. */
async function audioThumbnail(abs: string, size: number, opts: MediaToolsOptions, dir: string): Promise<Thumbnail | null> {
  const width = size;
  const height = Math.max(1, Math.round(size / 2));
  const output = join(dir, 'wave.png');
  const filter = `aformat=channel_layouts=mono,showwavespic=s=${width}x${height}:colors=0x4a3a8c:scale=sqrt`;
  const run = await runTool(
    'ffmpeg',
    ['-nostdin', '-hide_banner', '-v', 'error', '-i', abs, '-filter_complex', filter, '-frames:v', '1', '-c:v', 'png', '-f', 'image2', '-y', output],
    opts,
    1024 * 1024,
  );
  // "or, failing that, an icon": a file ffmpeg cannot draw (no audio stream, undecodable) gets one.
  if (run.code !== 0 || !(await wrote(output))) return null;
  const { data, info } = await sharp(output)
    .flatten({ background: '#f3f1ec' })
    .png()
    .toBuffer({ resolveWithObject: true });
  return { data, mimeType: 'image/png', width: info.width, height: info.height, source: 'audio' };
}
