import type Koa from 'koa';
import type { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import { conditionalGet } from '../../../core/http/conditional';
import { parseRange } from '../../../core/http/range';
import { StorageNotFoundError, type StorageConnector } from '../../../core/storage';
import { IiifAuthErrors } from './auth-errors';

export { parseRange };


/**
 * Types a browser may show inline from this origin. Anything else (HTML, SVG, XML, scripts) is
 * sent as an attachment in a CSP sandbox: a deposited file must never run script on the origin of
 * the login page.
 */
const INLINE = /^(application\/pdf|audio\/[\w.+-]+|video\/[\w.+-]+|image\/(jpeg|png|gif|webp|tiff|jp2|jpx|avif|heic|bmp)|text\/plain)$/;

/**
 * Stream a stored file as the public content route answers (after the access check): ETag from
 * the sha256, conditional GET, one byte range (206/416), inline disposition for safe types.
 */
export async function sendStoredFile(
  ctx: Koa.Context,
  file: Pick<DigitalFile, 'id' | 'storageKey' | 'mimeType' | 'size' | 'sha256' | 'originalName' | 'updatedAt'>,
  connector: StorageConnector,
  opts: { cacheControl: string },
): Promise<void> {
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('Cache-Control', opts.cacheControl);
  ctx.set('X-Content-Type-Options', 'nosniff');
  const inline = INLINE.test(file.mimeType);
  const name = encodeURIComponent(file.originalName ?? file.id);
  ctx.set('Content-Disposition', `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${name}`);
  if (!inline) ctx.set('Content-Security-Policy', 'sandbox; default-src \'none\'');
  const etag = `"${file.sha256}"`;
  if (conditionalGet(ctx, { etag, lastModified: file.updatedAt })) return;
  // If-Range: a range of a different version would corrupt the client's copy; send it whole.
  const ifRange = ctx.get('if-range');
  const range = ifRange && ifRange !== etag ? null : parseRange(ctx.get('range'), file.size);
  if (range === 'unsatisfiable') {
    throw IiifAuthErrors.RANGE(`The file has ${file.size} bytes`, { headers: { 'Content-Range': `bytes */${file.size}` } });
  }
  if (ctx.method !== 'HEAD') {
    try {
      ctx.body = await connector.get(file.storageKey, range ? { range } : {});
    } catch (err) {
      if (err instanceof StorageNotFoundError) throw IiifAuthErrors.NOT_FOUND(`The stored object of file ${file.id} is missing`);
      throw err;
    }
  }
  ctx.type = file.mimeType;
  if (range) {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
    ctx.length = range.end - range.start + 1;
  } else {
    ctx.status = 200;
    ctx.length = file.size;
  }
}
