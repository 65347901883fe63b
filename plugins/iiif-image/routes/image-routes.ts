import { createHash } from 'node:crypto';
import type Koa from 'koa';
import { z } from 'zod';
import { ColophonError } from '../../../core/errors';
import { applyCors } from '../../../core/http/cors';
import { conditionalGet, etagOf } from '../../../core/http/conditional';
import type { PluginContext, Registrar } from '../../../core/plugin/types';
import { isOpenProfile } from '../auth/file-access';
import { AUTH2_CONTEXT } from '../auth/probe-service-description';
import type { IiifImageConfig } from '../config';
import { buildInfo, canonicalLinkHeader, infoMediaType, profileLinkHeader } from '../protocol/info-json';
import { parseImageRequest } from '../protocol/image-request';
import { FORMAT_MEDIA_TYPES, ImageApiError, type ApiVersion, type ImageFacts, type ImagePlan } from '../protocol/types';
import { fastTile, renderImage, type RenderSource } from '../render/render-image';
import type { ImageFile } from '../services/image-files';
import { iiifImage } from '../services/iiif-image-state';

type P = PluginContext<IiifImageConfig>;

/** CORS for every IIIF response, errors and preflight included (viewers run on other origins). */
export function iiifCors(ctx: Koa.Context): boolean {
  return applyCors(ctx, {
    origins: ['*'],
    methods: ['GET', 'HEAD', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Accept', 'Content-Type', 'If-None-Match', 'If-Modified-Since', 'Range'],
    exposeHeaders: ['Link', 'ETag', 'Last-Modified', 'Content-Length', 'Content-Type'],
  });
}

/** Image types the service serves (those a pyramid can be made from; j2c: a bare JPEG 2000 codestream). */
const SERVED = /^image\/(jpeg|png|tiff|jp2|jpx|j2c|webp|gif)$/;

/** The image's size as served: the pyramid's when made, else the stored (EXIF-rotated) size. */
function factsOf(file: ImageFile): ImageFacts | null {
  const d = file.derivative;
  if (d?.status === 'ready' && d.sourceSha256 === file.sha256 && d.width && d.height) return { width: d.width, height: d.height };
  if (file.width && file.height) return { width: file.width, height: file.height };
  return null;
}

async function imageFile(p: P, id: string): Promise<{ file: ImageFile; facts: ImageFacts }> {
  const file = await iiifImage(p).files.get(id);
  if (!file || !SERVED.test(file.mimeType)) throw new ImageApiError(404, `No image with identifier ${id}`);
  const facts = factsOf(file);
  if (!facts) throw new ImageApiError(file.derivative?.status === 'unsupported' ? 413 : 503, 'The size of this image is not known yet; try again shortly');
  return { file, facts };
}

/**
 * Does this profile restrict anyone (then content carries the Authorization Flow probe)? A
 * profile whose first rule allows everyone (the demo's "Open access") is open, as for the
 * cache headers of the auth services.
 */
function restricted(file: ImageFile): boolean {
  return !isOpenProfile(file.profile);
}

async function info(ctx: Koa.Context, p: P, v: ApiVersion): Promise<void> {
  iiifCors(ctx);
  const id = String(ctx.params.id);
  const { file, facts } = await imageFile(p, id);
  const state = iiifImage(p);
  const services = restricted(file) ? [state.auth.probeService(file.id, file.profile)] : [];
  const doc = buildInfo(v, {
    id: p.core.url(`/iiif/${v}/${encodeURIComponent(id)}`),
    width: facts.width,
    height: facts.height,
    tileSize: p.config.tileSize,
    limits: { maxWidth: p.config.maxWidth, maxHeight: p.config.maxHeight, maxArea: p.config.maxArea },
    services,
    rights: file.profile?.rightsUri ?? undefined,
  });
  // 3.0: the Authorization Flow context comes first when its services are embedded (Auth 2.0
  // §2.1). 2.1 has a single-string @context (2.1 §5.1; the validator checks it exactly), so
  // there each embedded service names its own context instead.
  const body = JSON.stringify(
    !services.length
      ? doc
      : v === 3
        ? { ...doc, '@context': [AUTH2_CONTEXT, doc['@context']] }
        : { ...doc, service: services.map((s) => ({ '@context': AUTH2_CONTEXT, ...s })) },
  );
  ctx.set('Link', profileLinkHeader(v));
  ctx.set('Cache-Control', restricted(file) ? 'public, max-age=300' : `public, max-age=${p.config.maxAge}`);
  ctx.vary('Accept');
  if (conditionalGet(ctx, { etag: etagOf(`${ctx.get('accept')}|${body}`), lastModified: file.updatedAt })) return;
  ctx.type = infoMediaType(v, ctx.get('accept'));
  ctx.body = body;
}

async function image(ctx: Koa.Context, p: P, v: ApiVersion): Promise<void> {
  iiifCors(ctx);
  const { id, region, size, rotation, qf } = ctx.params as Record<string, string>;
  const dot = (qf ?? '').lastIndexOf('.');
  if (dot <= 0) throw new ImageApiError(400, `"${qf ?? ''}" is not {quality}.{format}`);
  const { file, facts } = await imageFile(p, String(id));
  const plan = parseImageRequest(
    v,
    { region: String(region), size: String(size), rotation: String(rotation), quality: qf.slice(0, dot), format: qf.slice(dot + 1) },
    facts,
    { maxWidth: p.config.maxWidth, maxHeight: p.config.maxHeight, maxArea: p.config.maxArea },
  );
  const state = iiifImage(p);
  let cacheControl = `public, max-age=${p.config.maxAge}`;
  if (restricted(file)) {
    // The session cookie decides (browsers send it with tile requests); a denied requester may
    // still get the degraded version the probe offers as its substitute, and nothing beyond it.
    const access = await state.auth.imageAccess(ctx, file.id, plan, facts);
    if (!access.found) throw new ImageApiError(404, `No image with identifier ${file.id}`);
    if (!access.serve) {
      throw new ImageApiError(access.status === 200 ? 403 : access.status, access.status === 401 ? 'This image needs you to sign in' : 'You may not see this image');
    }
    cacheControl = access.cacheControl;
    ctx.vary('Cookie');
  }
  const base = p.core.url(`/iiif/${v}/${encodeURIComponent(file.id)}`);
  ctx.set('Link', `${canonicalLinkHeader(`${base}/${plan.canonical}`)}, ${profileLinkHeader(v)}`);
  ctx.set('Cache-Control', cacheControl);
  const etag = `"${file.sha256.slice(0, 16)}-${createHash('sha1').update(`${v}/${plan.canonical}`).digest('base64url')}"`;
  if (conditionalGet(ctx, { etag, lastModified: file.updatedAt })) return;
  ctx.type = FORMAT_MEDIA_TYPES[plan.format];
  // HEAD takes the GET path (koa sends the headers, Content-Length included, and no body), so
  // its headers are exactly a GET's; the rendering lands in the cache for the GET that follows.
  const memoKey = cacheKey(v, file, 'tile', plan);
  const memo = state.tiles.get(memoKey);
  if (memo) {
    ctx.body = memo;
    return;
  }
  const source = await sourceOf(p, file);
  if (source.kind === 'pyramid') {
    const raw = await fastTile(source, plan);
    if (raw) {
      state.tiles.set(memoKey, raw);
      ctx.body = raw;
      return;
    }
  }
  const render = (): Promise<{ body: Buffer; mediaType: string }> =>
    renderImage(source, plan, { maxInputPixels: p.config.maxInputPixels, quality: p.config.jpegQuality });
  const out = state.cache ? await state.cache.getOrRender(cacheKey(v, file, source.kind, plan), file.id, render) : await render();
  ctx.body = out.body;
}

function cacheKey(v: ApiVersion, file: ImageFile, kind: string, plan: ImagePlan): string {
  return `${v}/${file.id}/${file.sha256.slice(0, 16)}/${kind}/${plan.canonical}`;
}

/** Is the pyramid made from the file's current content? */
function pyramidReady(file: ImageFile): boolean {
  const d = file.derivative;
  return Boolean(d && d.status === 'ready' && d.sourceSha256 === file.sha256 && d.levels && d.tileSize);
}

/** Where pixels come from: the pyramid when made from the current content, else the original. */
async function sourceOf(p: P, file: ImageFile): Promise<RenderSource> {
  const state = iiifImage(p);
  const d = file.derivative;
  if (d && pyramidReady(file) && d.levels && d.width && d.height && d.tileSize) {
    const path = await state.derivatives.localPyramidOf({ fileId: file.id, sourceSha256: d.sourceSha256, connectorId: d.connectorId, storageKey: d.storageKey });
    return { kind: 'pyramid', path, info: { width: d.width, height: d.height, tileSize: d.tileSize, levels: d.levels } };
  }
  const connector = file.connectorId ? p.core.storage.get(file.connectorId) : undefined;
  if (!connector) throw new ImageApiError(503, 'The storage holding this image is not available');
  const path = await state.derivatives.localOriginal(connector, file.storageKey, file.id, file.sha256);
  const facts = factsOf(file);
  return { kind: 'original', path, mimeType: file.mimeType, width: facts?.width ?? 0, height: facts?.height ?? 0 };
}

/** Render IIIF Image errors as the spec wants: the status code, a short text body, CORS. */
export function renderImageError(err: unknown, ctx: Koa.Context): boolean {
  if (!/^\/iiif\/(2|3)\//.test(ctx.path)) return false;
  let status = 500;
  let message = 'The image could not be rendered';
  if (err instanceof ImageApiError) [status, message] = [err.status, err.message];
  else if (err instanceof ColophonError) [status, message] = [err.status, err.message];
  else if (err && typeof err === 'object' && 'status' in err && typeof err.status === 'number' && err.status >= 400 && err.status < 600) {
    status = err.status;
    message = err instanceof Error ? err.message : message;
  }
  if (status >= 500) ctx.app.emit('error', err, ctx);
  ctx.status = status;
  ctx.remove('ETag');
  ctx.remove('Last-Modified');
  ctx.remove('Link');
  ctx.set('Cache-Control', 'no-store');
  if (status === 503) ctx.set('Retry-After', '5');
  if (status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="iiif"');
  iiifCors(ctx);
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = `${message}\n`;
  return true;
}

const fileParam = z.object({ id: z.string() });

/** Mount the Image API 3.0 and 2.1 routes and the staff routes of the derivatives. */
export function registerImageRoutes(r: Registrar<IiifImageConfig>): void {
  for (const v of [3, 2] as const) {
    const prefix = `/iiif/${v}/:id`;
    r.route({
      method: 'GET',
      path: prefix,
      auth: 'public',
      summary: `IIIF Image ${v === 3 ? '3.0' : '2.1'} base URI: redirects to info.json`,
      handler: (ctx, p) => {
        iiifCors(ctx);
        ctx.status = 303;
        ctx.redirect(p.core.url(`/iiif/${v}/${encodeURIComponent(String(ctx.params.id))}/info.json`));
      },
    });
    r.route({ method: 'GET', path: `${prefix}/info.json`, auth: 'public', summary: `IIIF Image ${v === 3 ? '3.0' : '2.1'} image information`, handler: (ctx, p) => info(ctx, p, v) });
    r.route({
      method: 'GET',
      path: `${prefix}/:region/:size/:rotation/:qf`,
      auth: 'public',
      summary: `IIIF Image ${v === 3 ? '3.0' : '2.1'} image request`,
      handler: (ctx, p) => image(ctx, p, v),
    });
    // Anything else under the prefix (a segment missing or extra, an identifier with an
    // unescaped slash) names no image: 404 (what the validator's id_error_escapedslash wants)
    // from the IIIF error renderer, with CORS, instead of the staff API's problem+json.
    r.route({
      method: 'GET',
      path: `/iiif/${v}/*rest`,
      auth: 'public',
      summary: `IIIF Image ${v === 3 ? '3.0' : '2.1'}: malformed request`,
      handler: () => {
        throw new ImageApiError(404, `No image here: expected /iiif/${v}/{identifier}/{region}/{size}/{rotation}/{quality}.{format} or /iiif/${v}/{identifier}/info.json`);
      },
    });
    for (const path of [prefix, `${prefix}/info.json`, `${prefix}/:region/:size/:rotation/:qf`, `/iiif/${v}/*rest`]) {
      r.route({
        method: 'OPTIONS',
        path,
        auth: 'public',
        handler: (ctx) => {
          if (!iiifCors(ctx)) {
            ctx.set('Allow', 'GET, HEAD, OPTIONS');
            ctx.status = 204;
          }
        },
      });
    }
  }
  r.route({
    method: 'GET',
    path: '/api/v1/files/:id/iiif-derivative',
    auth: ['inventory:read'],
    summary: 'State of the pyramidal derivative of an image file',
    docs: { tags: ['IIIF'], errors: [404] },
    handler: async (ctx, p) => {
      const { id } = fileParam.parse(ctx.params);
      ctx.body = await iiifImage(p).derivatives.describe(id);
    },
  });
  r.route({
    method: 'POST',
    path: '/api/v1/files/:id/iiif-derivative',
    auth: ['inventory:write'],
    summary: 'Make the pyramidal derivative of an image file again, now',
    docs: { tags: ['IIIF'], errors: [404, 422] },
    handler: async (ctx, p) => {
      const { id } = fileParam.parse(ctx.params);
      ctx.body = await iiifImage(p).derivatives.rebuild(id);
    },
  });
  r.route({
    method: 'POST',
    path: '/api/v1/iiif-image/cache/clear',
    auth: ['system:admin'],
    summary: 'Empty the cache of rendered IIIF image responses (and the stored tiles kept in memory)',
    docs: { tags: ['IIIF'] },
    handler: async (ctx, p) => {
      const { cache, tiles } = iiifImage(p);
      tiles.forget();
      ctx.body = { removed: cache ? await cache.clear() : 0 };
    },
  });
  r.route({
    method: 'GET',
    path: '/api/v1/iiif-image/cache',
    auth: ['system:admin'],
    summary: 'Figures of the cache of rendered IIIF image responses',
    docs: { tags: ['IIIF'] },
    handler: (ctx, p) => {
      const cache = iiifImage(p).cache;
      ctx.body = cache ? cache.stats() : { enabled: false };
    },
  });
}
