import { createHash } from 'node:crypto';
import type Koa from 'koa';

/** A strong ETag for a body or any string that identifies a representation's version. */
export function etagOf(content: string | Buffer): string {
  return `"${createHash('sha1').update(content).digest('base64url')}"`;
}

/**
 * Conditional GET (RFC 9110 §13): set ETag and Last-Modified, and answer 304 when the client's
 * copy is current. If-None-Match wins over If-Modified-Since. Returns true when it answered 304,
 * so the handler can skip building the body.
 */
export function conditionalGet(ctx: Koa.Context, validators: { etag?: string; lastModified?: Date }): boolean {
  const { etag, lastModified } = validators;
  if (etag) ctx.set('ETag', etag);
  // HTTP dates have whole seconds.
  const lm = lastModified ? new Date(Math.floor(lastModified.getTime() / 1000) * 1000) : undefined;
  if (lm) ctx.set('Last-Modified', lm.toUTCString());
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false;
  const inm = ctx.get('if-none-match');
  let fresh = false;
  if (inm && etag) {
    const weak = (t: string): string => t.trim().replace(/^W\//, '');
    fresh = inm.trim() === '*' || inm.split(',').some((t) => weak(t) === weak(etag));
  } else if (!inm && lm) {
    const ims = Date.parse(ctx.get('if-modified-since'));
    fresh = !Number.isNaN(ims) && lm.getTime() <= ims;
  }
  if (fresh) {
    ctx.status = 304;
    ctx.body = null;
  }
  return fresh;
}
