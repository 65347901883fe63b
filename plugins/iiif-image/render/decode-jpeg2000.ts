import { mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJpeg2000Header, type Jpeg2000Header } from '../../inventory/media/jpeg2000-header';
import { MediaError } from '../../inventory/media/media-error';
import { runTool, toolSaid, ToolMissingError, type MediaToolsOptions } from '../../inventory/media/media-tools';
import { RenderError } from './render-error';

/** A rectangle in full-resolution pixels. */
export interface PixelArea {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Read the codestream header of a JPEG 2000 file; a malformed one is a RenderError 'corrupt'. */
export async function jpeg2000Header(abs: string, mime: string): Promise<Jpeg2000Header> {
  try {
    return await readJpeg2000Header(abs, mime);
  } catch (err) {
    if (err instanceof MediaError) throw new RenderError('corrupt', err.message, err);
    throw err;
  }
}

/** Run `fn` with a fresh temporary directory that is removed afterwards, whatever happens. */
export async function withTempDir<T>(opts: MediaToolsOptions, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'colophon-render-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Decode a JPEG 2000 file with opj_decompress into an uncompressed TIFF in `dir` (libvips in
 * sharp has no JPEG 2000 loader): `reduce` discards that many resolution levels (each halves
 * both sides) and `area` (full-resolution pixels) decodes only the code-blocks that cover it.
 * opj_decompress applies an embedded ICC profile (lcms2), keeps 16-bit samples and alpha.
 * Returns the path of the TIFF; throws RenderError ('decoder-failed' also when the tool is missing).
 */
export async function decodeJpeg2000(
  abs: string,
  header: Jpeg2000Header,
  dir: string,
  opts: MediaToolsOptions,
  want: { reduce: number; area?: PixelArea | null },
): Promise<string> {
  // opj_decompress picks its decoder by file name extension, which a stored object may lack.
  const input = join(dir, header.container === 'jp2' ? 'input.jp2' : 'input.j2k');
  await symlink(abs, input);
  const output = join(dir, `decoded-r${want.reduce}.tif`);
  const args = ['-i', input, '-o', output, '-r', String(want.reduce)];
  const a = want.area;
  if (a && (a.x > 0 || a.y > 0 || a.w < header.width || a.h < header.height)) {
    // -d takes full-resolution canvas coordinates x0,y0,x1,y1 (exclusive end), whatever -r says.
    args.push('-d', `${a.x},${a.y},${a.x + a.w},${a.y + a.h}`);
  }
  let run;
  try {
    run = await runTool('opj_decompress', args, opts, 1024 * 1024);
  } catch (err) {
    if (err instanceof ToolMissingError) throw new RenderError('decoder-failed', `JPEG 2000 needs opj_decompress (Debian: libopenjp2-tools): ${err.message}`, err);
    if (err instanceof MediaError) throw new RenderError(err.fault === 'media-timeout' ? 'timeout' : 'decoder-failed', err.message, err);
    throw err;
  }
  let size = 0;
  try {
    size = (await stat(output)).size;
  } catch {
    // tools sometimes exit 0 without writing: judged below
  }
  if (run.code !== 0 || size === 0) throw new RenderError('corrupt', `JPEG 2000: opj_decompress: ${toolSaid(run)}`);
  return output;
}
