import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { readJpeg2000Header } from './jpeg2000-header';
import { MediaError } from './media-error';
import { essence, mediaKind } from './media-kind';
import { runTool, toolSaid, ToolMissingError, type MediaToolsOptions } from './media-tools';
import { readTiffDirectories, tiffPageCount } from './tiff-directories';

/** Technical metadata of a file; null where it does not apply or could not be found out. */
export interface MediaInfo {
  /** Pixels as displayed (after EXIF/TIFF orientation or video rotation); PDF: points of page 1. */
  width: number | null;
  height: number | null;
  /** Seconds (audio, video). */
  duration: number | null;
  /** Paged formats only: PDF pages; TIFF pages, not counting reduced-resolution levels. */
  pageCount: number | null;
  /** Why something is null that could have been known (a missing tool, an encrypted PDF). */
  warnings: string[];
}

/** Largest SVG read into memory for sharp (SVG is rendered from a buffer, see makeThumbnail). */
export const MAX_SVG_BYTES = 32 * 1024 * 1024;

/**
 * Technical metadata of a local file of a known (sniffed) type, from headers only where the
 * format allows. A missing tool gives nulls and a warning; content its decoder rejects throws
 * MediaError 'media-corrupt' naming the type and what the decoder said.
 */
export async function probeMedia(path: string, mimeType: string, opts: MediaToolsOptions = {}): Promise<MediaInfo> {
  const abs = resolve(path); // absolute, so a name starting with '-' is never taken for an option
  await stat(abs); // a missing file is the caller's ENOENT, not a media fault
  opts.signal?.throwIfAborted();
  const info: MediaInfo = { width: null, height: null, duration: null, pageCount: null, warnings: [] };
  const mime = essence(mimeType);
  switch (mediaKind(mime)) {
    case 'jpeg2000': {
      // sharp's prebuilt libvips has no JPEG 2000 loader; the codestream header has the size.
      const h = await readJpeg2000Header(abs, mime);
      info.width = h.width;
      info.height = h.height;
      break;
    }
    case 'svg':
    case 'image':
      await probeImage(abs, mime, info);
      break;
    case 'pdf':
      await probePdf(abs, info, opts);
      break;
    case 'audio':
    case 'video':
      await probeAudioVideo(abs, mime, info, opts);
      break;
    case 'other':
      break;
  }
  return info;
}

/** True for sharp's "I do not know this format" (as opposed to "this file is broken"). */
export function isUnsupportedBySharp(err: unknown): boolean {
  return err instanceof Error && /unsupported image format/i.test(err.message);
}

/** Input for sharp: SVG as a buffer (no base path, so librsvg cannot pull in other local files). */
export async function sharpInput(abs: string, mime: string): Promise<string | Buffer> {
  if (mime !== 'image/svg+xml') return abs;
  const { size } = await stat(abs);
  if (size > MAX_SVG_BYTES) throw new MediaError('media-too-large', `image/svg+xml: ${size} bytes is more than ${MAX_SVG_BYTES}`);
  return readFile(abs);
}

async function probeImage(abs: string, mime: string, info: MediaInfo): Promise<void> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(await sharpInput(abs, mime)).metadata();
  } catch (err) {
    if (isUnsupportedBySharp(err)) {
      info.warnings.push(`${mime}: sharp cannot read this format; size unknown`);
      return;
    }
    throw new MediaError('media-corrupt', `${mime}: sharp could not read the header: ${(err as Error).message}`, err);
  }
  if (meta.width === undefined || meta.height === undefined) {
    info.warnings.push(`${mime}: the header gives no size`);
    return;
  }
  // Orientations 5–8 (EXIF/TIFF tag 274) turn the image by 90°: displayed width is stored height.
  const turned = (meta.orientation ?? 1) >= 5;
  info.width = turned ? meta.height : meta.width;
  info.height = turned ? meta.width : meta.height;
  if (meta.format === 'tiff') {
    try {
      info.pageCount = tiffPageCount(await readTiffDirectories(abs));
    } catch (err) {
      // libvips read the file, so only our IFD walk disagrees: fall back to its directory count.
      info.pageCount = meta.pages ?? 1;
      info.warnings.push(`${mime}: could not walk the TIFF directories (${(err as Error).message}); page count may include reduced-resolution levels`);
    }
  }
}

async function probePdf(abs: string, info: MediaInfo, opts: MediaToolsOptions): Promise<void> {
  let run;
  try {
    run = await runTool('pdfinfo', ['-f', '1', '-l', '1', abs], opts, 1024 * 1024);
  } catch (err) {
    if (err instanceof ToolMissingError) {
      info.warnings.push(`${err.message}; PDF page count and size unknown`);
      return;
    }
    throw err;
  }
  if (run.code !== 0) {
    if (/incorrect password/i.test(run.stderr)) {
      info.warnings.push('application/pdf: encrypted with a password; page count and size unknown');
      return;
    }
    throw new MediaError('media-corrupt', `application/pdf: pdfinfo: ${toolSaid(run)}`);
  }
  const out = run.stdout.toString('utf8');
  const pages = /^Pages:\s+(\d+)/m.exec(out);
  if (!pages) throw new MediaError('media-corrupt', 'application/pdf: pdfinfo reported no page count');
  info.pageCount = Number(pages[1]);
  const size = /^Page\s+1 size:\s+([\d.]+) x ([\d.]+)/m.exec(out) ?? /^Page size:\s+([\d.]+) x ([\d.]+)/m.exec(out);
  if (size) {
    const rot = Number(/^Page\s+1 rot:\s+(\d+)/m.exec(out)?.[1] ?? 0);
    const [w, h] = [Number(size[1]), Number(size[2])];
    const turned = rot % 180 === 90;
    info.width = turned ? h : w;
    info.height = turned ? w : h;
  }
}

/** The part of ffprobe's JSON this layer reads. */
export interface FfprobeResult {
  format?: { duration?: string; format_name?: string };
  streams?: Array<{
    codec_type?: string;
    width?: number;
    height?: number;
    duration?: string;
    sample_aspect_ratio?: string;
    disposition?: { attached_pic?: number };
    tags?: Record<string, string>;
    side_data_list?: Array<{ rotation?: number }>;
  }>;
}

/** Run ffprobe on a file. Throws ToolMissingError, or MediaError 'media-corrupt' when it rejects the file. */
export async function ffprobe(abs: string, mime: string, opts: MediaToolsOptions): Promise<FfprobeResult> {
  const run = await runTool('ffprobe', ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', abs], opts);
  if (run.code !== 0) throw new MediaError('media-corrupt', `${mime}: ffprobe: ${toolSaid(run)}`);
  try {
    return JSON.parse(run.stdout.toString('utf8')) as FfprobeResult;
  } catch (err) {
    throw new MediaError('media-tool-failed', `ffprobe printed no JSON: ${(err as Error).message}`, err);
  }
}

/** Seconds: the container's duration, else the longest stream's. */
export function durationOf(probe: FfprobeResult): number | null {
  const container = Number(probe.format?.duration);
  if (Number.isFinite(container) && container > 0) return container;
  const streams = (probe.streams ?? []).map((s) => Number(s.duration)).filter((d) => Number.isFinite(d) && d > 0);
  return streams.length ? Math.max(...streams) : null;
}

/** The first real video stream (not cover art attached to an audio file). */
export function videoStream(probe: FfprobeResult): NonNullable<FfprobeResult['streams']>[number] | undefined {
  return (probe.streams ?? []).find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
}

async function probeAudioVideo(abs: string, mime: string, info: MediaInfo, opts: MediaToolsOptions): Promise<void> {
  let probe: FfprobeResult;
  try {
    probe = await ffprobe(abs, mime, opts);
  } catch (err) {
    if (err instanceof ToolMissingError) {
      info.warnings.push(`${err.message}; duration unknown`);
      return;
    }
    throw err;
  }
  info.duration = durationOf(probe);
  if (info.duration === null) info.warnings.push(`${mime}: ffprobe reports no duration`);
  const video = mediaKind(mime) === 'video' ? videoStream(probe) : undefined;
  if (video?.width && video.height) {
    // Displayed size: stretch by a non-square sample aspect ratio, swap for a 90° rotation.
    let width = video.width;
    const sar = /^(\d+):(\d+)$/.exec(video.sample_aspect_ratio ?? '');
    if (sar && Number(sar[1]) > 0 && Number(sar[2]) > 0 && sar[1] !== sar[2]) {
      width = Math.round((width * Number(sar[1])) / Number(sar[2]));
    }
    const rotation = video.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation ?? Number(video.tags?.rotate ?? 0);
    const turned = Math.abs(rotation) % 180 === 90;
    info.width = turned ? video.height : width;
    info.height = turned ? width : video.height;
  }
}
