import type Koa from 'koa';
import { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import { applyCors } from '../../../core/http/cors';
import { conditionalGet } from '../../../core/http/conditional';
import type { PluginContext, Registrar } from '../../../core/plugin/types';
import { buildCollection2, buildCollection3, buildManifest2, buildManifest3, manifestDisposition, type PresentationVersion } from '../builders';
import type { IiifPresentationConfig } from '../config';
import { chooseEncoding, sendViewerPage, VIEWER_ASSET_ROUTES, type ViewerKind } from '../viewer';
import { ASSETS_PREFIX } from '../viewer/viewer-assets';
import type { ChangeDiscovery } from '../services/change-discovery-service';
import { collectionSource, titleCollectionSource, topCollectionSource } from '../services/collection-loader';
import type { DocumentStore, ServedDocument } from '../services/document-store';
import { loadManifestSource, profileOf, publishedRepresentation, restricts, urlsOf } from '../services/manifest-loader';

type P = PluginContext<IiifPresentationConfig>;

const store = (p: P): DocumentStore => p.state.get('store') as DocumentStore;
const discovery = (p: P): ChangeDiscovery => p.state.get('discovery') as ChangeDiscovery;

/** A IIIF request error: a status and a short text, with CORS (viewers read errors cross-origin). */
class PresentationError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function cors(ctx: Koa.Context): boolean {
  return applyCors(ctx, { origins: ['*'], methods: ['GET', 'HEAD', 'OPTIONS'], allowHeaders: ['Authorization', 'Accept', 'If-None-Match'], exposeHeaders: ['ETag', 'Link', 'Content-Type'] });
}

const PROFILE: Record<PresentationVersion, string> = {
  3: 'http://iiif.io/api/presentation/3/context.json',
  2: 'http://iiif.io/api/presentation/2/context.json',
};

/** Send a stored document: JSON-LD with its profile, ETag, compression as accepted. */
async function send(ctx: Koa.Context, p: P, doc: ServedDocument, mediaType: string): Promise<void> {
  ctx.set('Cache-Control', `public, max-age=${p.config.maxAge}`);
  ctx.vary('Accept-Encoding');
  if (conditionalGet(ctx, { etag: doc.etag, lastModified: doc.builtAt })) return;
  ctx.type = mediaType;
  const enc = doc.body.length > 1024 ? chooseEncoding(ctx.get('accept-encoding'), ['br', 'gzip']) : 'identity';
  if (enc === 'identity') {
    ctx.body = doc.body;
    return;
  }
  ctx.set('Content-Encoding', enc);
  ctx.body = await store(p).compressed(doc, enc);
}

function ldType(v: PresentationVersion): string {
  return `application/ld+json;profile="${PROFILE[v]}"`;
}

async function manifest(ctx: Koa.Context, p: P, v: PresentationVersion): Promise<void> {
  cors(ctx);
  const repId = String(ctx.params.id);
  // Remote representations redirect without building anything (their manifest lives elsewhere).
  const found = await publishedRepresentation(p, repId);
  if (!found) throw new PresentationError(404, `No published representation ${repId}`);
  if (found.rep.remote) {
    if (!found.rep.remoteManifestUrl) throw new PresentationError(404, 'This representation is held remotely and publishes no IIIF manifest');
    ctx.status = 303;
    ctx.redirect(found.rep.remoteManifestUrl);
    return;
  }
  let missing: string | null = null;
  const doc = await store(p)
    .get({
      key: `manifest/${v}/${repId}`,
      kind: 'manifest',
      titleId: found.title.id,
      build: async () => {
        const src = await loadManifestSource(p, repId);
        if (!src) throw new PresentationError(404, `No published representation ${repId}`);
        const d = manifestDisposition(src);
        if (d.kind !== 'local') {
          missing = d.kind === 'none' ? d.reason : 'remote';
          throw new PresentationError(404, `No manifest: ${missing}`);
        }
        return v === 3 ? buildManifest3(src) : buildManifest2(src);
      },
    });
  await send(ctx, p, doc, ldType(v));
}

function pageParam(ctx: Koa.Context): number | null {
  const raw = ctx.query.page;
  if (raw === undefined) return null;
  const n = typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1) throw new PresentationError(400, 'page must be a positive integer');
  return n;
}

async function collection(ctx: Koa.Context, p: P, v: PresentationVersion, which: 'top' | 'collection' | 'title'): Promise<void> {
  cors(ctx);
  const id = String(ctx.params.id ?? 'top');
  const page = which === 'collection' ? pageParam(ctx) : null;
  const key = `${which}/${v}/${id}${page ? `/${page}` : ''}`;
  const doc = await store(p).get({
    key,
    kind: which === 'title' ? 'title-collection' : which === 'top' ? 'top' : 'collection',
    titleId: which === 'title' ? id : null,
    build: async () => {
      const src =
        which === 'top' ? await topCollectionSource(p, v) : which === 'title' ? await titleCollectionSource(p, v, id) : await collectionSource(p, v, id);
      if (!src) throw new PresentationError(404, `No published ${which === 'title' ? 'title' : 'collection'} ${id}`);
      const paging = { pageSize: p.config.collectionPageSize, page, pageId: (n: number) => `${src.id}?page=${n}` };
      return v === 3 ? buildCollection3(src, paging) : buildCollection2(src, paging);
    },
  });
  await send(ctx, p, doc, ldType(v));
}

async function viewer(ctx: Koa.Context, p: P): Promise<void> {
  const repId = String(ctx.params.id);
  const found = await publishedRepresentation(p, repId);
  if (!found) throw new PresentationError(404, `No published representation ${repId}`);
  const { rep, title } = found;
  const u = urlsOf(p);
  const files = await p.core.ds.getRepository(DigitalFile).find({ where: { representationId: rep.id }, order: { sequence: 'ASC' } });
  const images = files.filter((f) => f.mimeType.startsWith('image/') && f.width && f.height);
  const pdf = files.find((f) => f.mimeType === 'application/pdf');
  const av = files.filter((f) => f.mimeType.startsWith('audio/') || f.mimeType.startsWith('video/'));
  let kind: ViewerKind = 'download';
  if (rep.remote) kind = 'remote';
  else if (images.length) kind = 'images';
  else if (pdf) kind = 'pdf';
  else if (av.length) kind = 'av';
  const profile = await profileOf(p, rep);
  sendViewerPage(ctx, {
    representationId: rep.id,
    title: title.displayTitle || title.id,
    manifestUrl: rep.remote ? (rep.remoteManifestUrl ?? '') : u.manifest(3, rep.id),
    kind,
    landingUrl: u.landingPage(title.id),
    assetsBase: p.core.url(ASSETS_PREFIX),
    pdfUrl: pdf ? u.content(pdf.id) : undefined,
    media: av.map((f) => ({ url: u.content(f.id), mimeType: f.mimeType, kind: f.mimeType.startsWith('audio/') ? ('audio' as const) : ('video' as const), label: f.label || f.originalName || '' })),
    remoteUrl: rep.deliveryUrl ?? rep.remoteManifestUrl ?? undefined,
    downloads: files.map((f) => ({ url: u.content(f.id), label: f.label || f.originalName || f.id, mimeType: f.mimeType, sizeBytes: f.size })),
    pageCount: images.length,
    repositoryName: p.core.config.repository.name,
    ...(restricts(profile) && profile?.deniedNote ? { deniedNote: profile.deniedNote } : {}),
  });
}

/** IIIF errors: a status code and text, with CORS; the viewer page's errors stay problem+json. */
export function renderPresentationError(err: unknown, ctx: Koa.Context): boolean {
  if (!(err instanceof PresentationError) && !(err instanceof Error && 'status' in err && (err as { code?: unknown }).code === 'iiif-presentation.page-not-found')) return false;
  const status = err instanceof PresentationError ? err.status : 404;
  cors(ctx);
  ctx.status = status;
  ctx.remove('ETag');
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = `${err.message}\n`;
  return true;
}

/** Mount manifests, collections, Change Discovery, the viewer page and its assets. */
export function registerPresentationRoutes(r: Registrar<IiifPresentationConfig>): void {
  const docs = [];
  for (const v of [3, 2] as const) {
    const label = v === 3 ? '3.0' : '2.1';
    docs.push(
      { path: `/iiif/presentation/${v}/:id/manifest`, summary: `IIIF Presentation ${label} manifest of a representation`, handler: (ctx: Koa.Context, p: P) => manifest(ctx, p, v) },
      { path: `/iiif/presentation/${v}/collection/top`, summary: `IIIF Presentation ${label} top collection`, handler: (ctx: Koa.Context, p: P) => collection(ctx, p, v, 'top') },
      { path: `/iiif/presentation/${v}/collection/:id`, summary: `IIIF Presentation ${label} collection (paged: ?page=N)`, handler: (ctx: Koa.Context, p: P) => collection(ctx, p, v, 'collection') },
      { path: `/iiif/presentation/${v}/title/:id/collection`, summary: `IIIF Presentation ${label} collection of a title's manifests`, handler: (ctx: Koa.Context, p: P) => collection(ctx, p, v, 'title') },
    );
  }
  docs.push(
    {
      path: '/iiif/discovery/activity/all-changes',
      summary: 'IIIF Change Discovery 1.0 OrderedCollection',
      handler: async (ctx: Koa.Context, p: P) => {
        cors(ctx);
        ctx.set('Cache-Control', 'public, max-age=60');
        ctx.type = 'application/ld+json;profile="http://iiif.io/api/discovery/1/context.json"';
        ctx.body = JSON.stringify(await discovery(p).collection());
      },
    },
    {
      path: '/iiif/discovery/activity/page/:n',
      summary: 'IIIF Change Discovery 1.0 page',
      handler: async (ctx: Koa.Context, p: P) => {
        cors(ctx);
        const raw = String(ctx.params.n);
        const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
        const page = Number.isInteger(n) ? await discovery(p).page(n) : null;
        if (!page) throw new PresentationError(404, `No page ${raw}`);
        ctx.set('Cache-Control', 'public, max-age=60');
        ctx.type = 'application/ld+json;profile="http://iiif.io/api/discovery/1/context.json"';
        ctx.body = JSON.stringify(page);
      },
    },
  );
  for (const d of docs) {
    r.route({ method: 'GET', path: d.path, auth: 'public', summary: d.summary, handler: d.handler });
    r.route({
      method: 'OPTIONS',
      path: d.path,
      auth: 'public',
      handler: (ctx) => {
        if (!cors(ctx)) ctx.status = 204;
      },
    });
  }
  r.route({ method: 'GET', path: '/view/:id', auth: 'public', summary: 'Viewer page of a representation (Mirador; PDF and audio/video players)', handler: viewer });
  for (const a of VIEWER_ASSET_ROUTES) r.route({ method: 'GET', path: a.path, auth: 'public', summary: a.summary, handler: a.handler });
}
