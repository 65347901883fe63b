import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import type Koa from 'koa';
import { CoreErrors } from '../../../core/errors';
import { VIEWER_INIT_SCRIPT } from './viewer-init-script';

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Route prefix of the viewer's static assets; the page is told `assetsBase = core.url(ASSETS_PREFIX)`. */
export const ASSETS_PREFIX = '/assets';

/**
 * Route paths of the viewer assets (GET; @koa/router answers HEAD on GET routes). The version
 * segment is Mirador's version, or a hash of the init script, so the URLs can be cached for a year
 * as immutable: a new Mirador or a changed script gets a new URL. Handlers read the version from
 * ctx.path, not ctx.params, so they work behind any router.
 */
export const VIEWER_ASSET_PATHS = {
  miradorScript: `${ASSETS_PREFIX}/mirador/:version/mirador.min.js`,
  miradorSourceMap: `${ASSETS_PREFIX}/mirador/:version/mirador.min.js.map`,
  viewerInit: `${ASSETS_PREFIX}/viewer/:version/init.js`,
} as const;

/** The installed Mirador package: its version and the files of its UMD build. */
export interface MiradorPackage {
  version: string;
  root: string;
  script: string;
  sourceMap: string;
}

let mirador: MiradorPackage | undefined;

/**
 * Find the installed Mirador. Its package.json is not in the package's `exports`, so
 * `require.resolve('mirador/package.json')` throws ERR_PACKAGE_PATH_NOT_EXPORTED; the `require`
 * condition of its main entry resolves to dist/mirador.min.js, and the package root is above it.
 */
export function miradorPackage(): MiradorPackage {
  if (mirador) return mirador;
  let dir = dirname(require.resolve('mirador'));
  for (;;) {
    const pkgFile = join(dir, 'package.json');
    if (existsSync(pkgFile)) {
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mirador' && pkg.version) {
        mirador = {
          version: pkg.version,
          root: dir,
          script: join(dir, 'dist', 'mirador.min.js'),
          sourceMap: join(dir, 'dist', 'mirador.min.js.map'),
        };
        return mirador;
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the package.json of the installed mirador package');
    dir = up;
  }
}

/** The installed Mirador's version (the version segment of its asset URLs). */
export const miradorVersion = (): string => miradorPackage().version;

/** Version segment of the init script's URL: a hash of its content. */
export const viewerInitVersion: string = createHash('sha256').update(VIEWER_INIT_SCRIPT).digest('hex').slice(0, 16);

/** Absolute URLs of the assets a viewer page loads, under `assetsBase` (= core.url(ASSETS_PREFIX)). */
export function viewerAssetUrls(assetsBase: string): { miradorScript: string; viewerInit: string } {
  const base = assetsBase.replace(/\/+$/, '');
  return {
    miradorScript: `${base}/mirador/${encodeURIComponent(miradorVersion())}/mirador.min.js`,
    viewerInit: `${base}/viewer/${viewerInitVersion}/init.js`,
  };
}

interface Variant {
  body: Buffer;
  etag: string;
  encoding?: 'gzip' | 'br';
}

/**
 * A file held in memory with its gzip and brotli forms, made once on first use. Gzip is ready
 * with the first answer (tens of milliseconds); brotli at high quality takes seconds for the
 * Mirador bundle, so it is made on the thread pool in the background and clients get gzip until
 * it is there, rather than the first visitor waiting for it.
 */
export class PrecompressedAsset {
  private base?: Promise<{ identity: Variant; gzip: Variant }>;
  private brotli?: Variant;
  private brotliPending?: Promise<void>;

  constructor(
    private readonly load: () => Promise<Buffer>,
    readonly contentType: string,
    private readonly brotliQuality: number,
  ) {}

  /** The variants made so far (brotli once ready); starts the work on first call. */
  async variants(): Promise<{ identity: Variant; gzip: Variant; br?: Variant }> {
    this.base ??= this.prepare();
    let base;
    try {
      base = await this.base;
    } catch (err) {
      // Let a later request try again (e.g. a file restored after a failed deploy).
      this.base = undefined;
      throw err;
    }
    this.brotliPending ??= brotliAsync(base.identity.body, {
      params: {
        [zlibConstants.BROTLI_PARAM_QUALITY]: this.brotliQuality,
        [zlibConstants.BROTLI_PARAM_SIZE_HINT]: base.identity.body.length,
        [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT,
      },
    }).then(
      (body) => {
        this.brotli = { body, etag: withSuffix(base.identity.etag, 'br'), encoding: 'br' };
      },
      // Without brotli the asset is still served, gzipped.
      () => undefined,
    );
    return { ...base, br: this.brotli };
  }

  /** Wait until every variant, brotli included, is made. */
  async ready(): Promise<void> {
    await this.variants();
    await this.brotliPending;
  }

  private async prepare(): Promise<{ identity: Variant; gzip: Variant }> {
    const raw = await this.load();
    const etag = `"${createHash('sha256').update(raw).digest('base64url').slice(0, 27)}"`;
    const gz = await gzipAsync(raw, { level: 9 });
    return { identity: { body: raw, etag }, gzip: { body: gz, etag: withSuffix(etag, 'gz'), encoding: 'gzip' } };
  }
}

const withSuffix = (etag: string, suffix: string): string => `${etag.slice(0, -1)}-${suffix}"`;

// The map is four times the bundle and fetched only by developer tools: brotli at quality 9 takes
// a second or two there, quality 11 twenty.
const miradorScriptAsset = new PrecompressedAsset(() => readFile(miradorPackage().script), 'application/javascript; charset=utf-8', 11);
const miradorMapAsset = new PrecompressedAsset(() => readFile(miradorPackage().sourceMap), 'application/json; charset=utf-8', 9);
const viewerInitAsset = new PrecompressedAsset(() => Promise.resolve(Buffer.from(VIEWER_INIT_SCRIPT, 'utf8')), 'application/javascript; charset=utf-8', 11);

/** Make every variant of every viewer asset now (e.g. from a plugin's init, without awaiting it). */
export async function warmViewerAssets(): Promise<void> {
  await Promise.all([miradorScriptAsset.ready(), viewerInitAsset.ready()]);
}

/**
 * The coding to send (RFC 9110 §12.5.3): the highest q among those offered, ties going to the
 * smaller (br before gzip), since browsers list `gzip, deflate, br` with equal weight. Without
 * the header, or when nothing offered is acceptable, the body goes unencoded.
 */
export function chooseEncoding(header: string, offered: ('br' | 'gzip')[]): 'br' | 'gzip' | 'identity' {
  if (!header.trim()) return 'identity';
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qp ? Number(qp.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const weight = (coding: string): number => q.get(coding) ?? q.get('*') ?? 0;
  let best: 'br' | 'gzip' | 'identity' = 'identity';
  let bestQ = 0;
  for (const coding of offered) {
    const w = weight(coding);
    if (w > bestQ) {
      best = coding;
      bestQ = w;
    }
  }
  return best;
}

/** Answer GET/HEAD for one immutable asset, choosing the encoding the client accepts. */
async function sendAsset(ctx: Koa.Context, asset: PrecompressedAsset): Promise<void> {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw CoreErrors.METHOD_NOT_ALLOWED(`${ctx.method} is not allowed on ${ctx.path}`, { headers: { Allow: 'GET, HEAD' } });
  const v = await asset.variants();
  const chosen = chooseEncoding(ctx.get('Accept-Encoding'), v.br ? ['br', 'gzip'] : ['gzip']);
  const variant = chosen === 'br' && v.br ? v.br : chosen === 'gzip' ? v.gzip : v.identity;
  ctx.vary('Accept-Encoding');
  ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
  ctx.set('X-Content-Type-Options', 'nosniff');
  // Scripts are loaded by pages of other origins only if an operator embeds the viewer elsewhere.
  ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
  ctx.set('ETag', variant.etag);
  // Every variant holds the same bytes once decoded, so a client's copy in any encoding is current.
  const inm = ctx.get('If-None-Match');
  if (inm) {
    const held = inm.split(',').map((t) => t.trim().replace(/^W\//, ''));
    const ours = [v.identity.etag, v.gzip.etag, ...(v.br ? [v.br.etag] : [])];
    if (held.includes('*') || held.some((t) => ours.includes(t))) {
      ctx.status = 304;
      ctx.body = null;
      return;
    }
  }
  ctx.type = asset.contentType;
  if (variant.encoding) ctx.set('Content-Encoding', variant.encoding);
  ctx.body = variant.body;
}

function requireVersion(ctx: Koa.Context, pattern: RegExp, expected: string): void {
  const m = pattern.exec(ctx.path);
  if (!m || decodeURIComponent(m[1] ?? '') !== expected) {
    throw CoreErrors.NOT_FOUND(`No such viewer asset: ${ctx.path} (the current version is ${expected})`);
  }
}

/** GET/HEAD {base}/assets/mirador/{version}/mirador.min.js: the Mirador UMD bundle. */
export async function serveMiradorScript(ctx: Koa.Context): Promise<void> {
  requireVersion(ctx, /\/mirador\/([^/]+)\/mirador\.min\.js$/, miradorVersion());
  await sendAsset(ctx, miradorScriptAsset);
}

/** GET/HEAD {base}/assets/mirador/{version}/mirador.min.js.map: its source map, for developer tools. */
export async function serveMiradorSourceMap(ctx: Koa.Context): Promise<void> {
  requireVersion(ctx, /\/mirador\/([^/]+)\/mirador\.min\.js\.map$/, miradorVersion());
  await sendAsset(ctx, miradorMapAsset);
}

/** GET/HEAD {base}/assets/viewer/{hash}/init.js: the script that starts Mirador on a viewer page. */
export async function serveViewerInit(ctx: Koa.Context): Promise<void> {
  requireVersion(ctx, /\/viewer\/([^/]+)\/init\.js$/, viewerInitVersion);
  await sendAsset(ctx, viewerInitAsset);
}

/** The asset routes, ready for `r.route({ method: 'GET', auth: 'public', ...route })`. */
export const VIEWER_ASSET_ROUTES: { path: string; summary: string; handler: (ctx: Koa.Context) => Promise<void> }[] = [
  { path: VIEWER_ASSET_PATHS.miradorScript, summary: 'Mirador viewer bundle (immutable, versioned)', handler: serveMiradorScript },
  { path: VIEWER_ASSET_PATHS.miradorSourceMap, summary: 'Source map of the Mirador bundle', handler: serveMiradorSourceMap },
  { path: VIEWER_ASSET_PATHS.viewerInit, summary: 'Viewer page start-up script (immutable, versioned)', handler: serveViewerInit },
];
