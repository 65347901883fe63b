import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { verifyPassword } from '../../../core/auth/passwords';
import { User } from '../../../core/db/entities/user.entity';
import { readBody } from '../../../core/http/body';
import { applyCors } from '../../../core/http/cors';
import type { PluginContext } from '../../../core/plugin/types';
import type { StorageRegistry } from '../../../core/storage';
import type { Requester } from '../../inventory/services/access-profile-service';
import { AccessTokens, bearerToken } from './access-tokens';
import { authConfigOf, firstText, languageMap, ORIGIN_PATTERN, type IiifAuthConfig, type IiifAuthSettings, type LanguageMap } from './auth-config';
import { IiifAuthErrors } from './auth-errors';
import { loadAuthKey } from './auth-key';
import { closingPage, loginPage, messagePage, pageHeaders, tokenMessagePage } from './auth-pages';
import { sendStoredFile } from './content-delivery';
import { deniedStatus, degradedAllowed, degradedSize, FileAccess, isOpenProfile, type AccessDecision, type FileEntry } from './file-access';
import { cookieHeader, cookieValue, IiifSessions } from './iiif-sessions';
import { LoginLimiter } from './login-limiter';
import { AUTH2_CONTEXT, AUTH_PATHS, probeServiceDescription, type AuthLabels } from './probe-service-description';
import { Mac } from './sealed-claims';

/** Where the plugin keeps its IiifAuth (IiifAuth.create puts it there; the routes read it). */
export const AUTH_STATE_KEY = 'iiif-auth';

/** What IiifAuth needs of the running server. */
export interface IiifAuthDeps {
  ds: DataSource;
  /** Absolute URL under the public base URL. */
  url: (path: string) => string;
  repositoryName: string;
  storage: StorageRegistry;
  /** Connector of representations that name none (the inventory's defaultStorage). */
  defaultStorage: string;
  logger?: Logger;
  /** For tests: the clock. */
  now?: () => number;
}

/** AuthAccessTokenError2 profiles (§4.5). */
export type TokenErrorProfile = 'invalidRequest' | 'invalidOrigin' | 'missingAspect' | 'invalidAspect' | 'expiredAspect' | 'unavailable';

/** What an image request may get (see IiifAuth.imageAccess). */
export interface ImageAccess {
  found: boolean;
  /** Serve this request: allowed outright, or as part of the degraded version. */
  serve: boolean;
  degraded: boolean;
  /** 200, or the status to answer when not served (401, 403, 404). */
  status: 200 | 401 | 403 | 404;
  /** Cache-Control for the response: public for open content, private otherwise. */
  cacheControl: string;
  decision: AccessDecision;
}

const PRE_COOKIE = '_pre';
const FORM_LIMIT = 16 * 1024;

/** The :fileId route parameter (also when mounted by a router naming it :id). */
function fileParam(ctx: Koa.Context): string {
  const params = (ctx as { params?: Record<string, string | undefined> }).params;
  return String(params?.fileId ?? params?.id ?? '');
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** An origin as a browser sends it (scheme://host[:port]), or null. */
export function validOrigin(v: string | undefined | null): string | null {
  if (!v || v.length > 300 || !ORIGIN_PATTERN.test(v)) return null;
  try {
    const u = new URL(v);
    // Exactly an origin: no path, no default port spelled out; returned in its canonical form.
    return u.origin === v.toLowerCase() ? u.origin : null;
  } catch {
    return null;
  }
}

/**
 * IIIF Authorization Flow 2.0 over Colophon's access rights profiles: the `active` access
 * service (a local sign-in page), the token, probe and logout services, access decisions for
 * image and content requests, and the public content route. Route handlers are properties
 * taking the Koa context, for registerAuthRoutes or any router.
 */
export class IiifAuth {
  readonly config: IiifAuthConfig;
  readonly sessions: IiifSessions;
  readonly tokens: AccessTokens;
  readonly files: FileAccess;
  readonly labels: AuthLabels;
  private readonly limiter: LoginLimiter;
  private readonly csrf: Mac;
  private readonly ownOrigin: string;
  private readonly secure: boolean;
  private readonly authPath: string;

  constructor(settings: IiifAuthSettings, key: Buffer, private readonly deps: IiifAuthDeps) {
    const c = authConfigOf(settings);
    this.config = c;
    const now = deps.now ?? Date.now;
    const base = new URL(deps.url('/'));
    this.ownOrigin = base.origin;
    this.secure = base.protocol === 'https:';
    const iiifPath = new URL(deps.url('/iiif')).pathname;
    this.authPath = new URL(deps.url(AUTH_PATHS.access)).pathname;
    this.sessions = new IiifSessions(key, { name: c.cookieName, ttlSeconds: c.sessionTtl, secure: this.secure, path: iiifPath }, now);
    this.tokens = new AccessTokens(key, c.tokenTtl, now);
    this.files = new FileAccess(deps.ds, { ttlMs: c.lookupTtlMs, now });
    this.limiter = new LoginLimiter(c.loginAttemptsPerMinute, 60_000, 10_000, now);
    this.csrf = new Mac(key, 'csrf');
    const lang = c.language;
    const repo = deps.repositoryName;
    this.labels = {
      label: languageMap(c.label, `Sign in to ${repo}`, lang),
      heading: languageMap(c.heading, 'Please sign in', lang),
      note: languageMap(c.note, `${repo} requires that you sign in to see this content.`, lang),
      confirmLabel: languageMap(c.confirmLabel, 'Sign in', lang),
      logoutLabel: languageMap(c.logoutLabel, `Sign out of ${repo}`, lang),
    };
  }

  /** Build from a settings object and the core (loads or creates the key). */
  static async fromConfig(settings: IiifAuthSettings, deps: IiifAuthDeps & { signingKey?: string }): Promise<IiifAuth> {
    return new IiifAuth(settings, await loadAuthKey(deps.ds, deps.signingKey), deps);
  }

  /**
   * Build for a plugin whose config has an `auth` object, and keep it in the plugin's state under
   * AUTH_STATE_KEY, where registerAuthRoutes finds it.
   */
  static async create<C extends { auth: IiifAuthSettings }>(ctx: PluginContext<C>, opts: { defaultStorage?: string } = {}): Promise<IiifAuth> {
    const auth = await IiifAuth.fromConfig(ctx.config.auth, {
      ds: ctx.core.ds,
      url: (p) => ctx.core.url(p),
      repositoryName: ctx.core.config.repository.name,
      storage: ctx.core.storage,
      defaultStorage: opts.defaultStorage ?? inventoryDefaultStorage(ctx),
      logger: ctx.logger,
      signingKey: ctx.core.config.secrets.signingKey,
    });
    ctx.state.set(AUTH_STATE_KEY, auth);
    return auth;
  }

  // ---------------------------------------------------------------- decisions

  /** Who is asking an image or content request: the client address and the session cookie. */
  requesterOf(ctx: Koa.Context): Promise<Requester> {
    return this.sessions.requesterOf(ctx);
  }

  /** Who is asking the probe: a valid bearer token for this origin wins, else the cookie. */
  probeRequester(ctx: Koa.Context): Promise<Requester> {
    const grant = this.tokens.verify(bearerToken(ctx.get('authorization')), ctx.get('origin') || undefined);
    if (grant) return Promise.resolve({ ip: ctx.ip, authenticated: grant.authenticated, userGroups: grant.groups });
    return this.sessions.requesterOf(ctx);
  }

  /**
   * Access for one image request of the Image API. `request` is the plan's region and size in
   * full-image pixels and `full` the image's size (both needed for the degraded version; without
   * them a denied requester gets nothing).
   */
  async imageAccess(
    ctx: Koa.Context,
    fileId: string,
    request?: { region: { x?: number; y?: number; w: number; h: number }; size: { w: number; h: number } },
    full?: { width: number; height: number },
  ): Promise<ImageAccess> {
    const who = await this.requesterOf(ctx);
    const decision = await this.files.decide(fileId, who);
    if (!decision.found) return { found: false, serve: false, degraded: false, status: 404, cacheControl: 'no-store', decision };
    const open = isOpenProfile(decision.profile);
    const cacheControl = open ? 'public, max-age=86400' : 'private, max-age=0, must-revalidate';
    if (decision.allowed) return { found: true, serve: true, degraded: false, status: 200, cacheControl, decision };
    const f = decision.entry?.file;
    const dims = full ?? (f?.width && f.height ? { width: f.width, height: f.height } : null);
    if (request && dims && degradedAllowed(this.config.degradedMaxSize, dims, request.region, request.size)) {
      return { found: true, serve: true, degraded: true, status: 200, cacheControl, decision };
    }
    return { found: true, serve: false, degraded: false, status: deniedStatus(decision.profile, who, this.config.loginEnabled), cacheControl: 'no-store', decision };
  }

  /** The AuthProbeService2 of a file for info.json and manifests (the profile adds errorHeading/errorNote). */
  probeService(fileId: string, profile?: { deniedNote: string | null } | null): Record<string, unknown> {
    const note = profile?.deniedNote ? { [this.config.language]: [profile.deniedNote] } : null;
    return probeServiceDescription(fileId, this.deps.url, this.labels, {
      loginEnabled: this.config.loginEnabled,
      ...(note ? { errorHeading: this.deniedHeading(), errorNote: note } : {}),
    });
  }

  private deniedHeading(): LanguageMap {
    return languageMap(this.config.deniedHeading, 'Access restricted', this.config.language);
  }

  private deniedNote(entry: FileEntry | null): LanguageMap {
    const own = entry?.profile?.deniedNote;
    if (own) return { [this.config.language]: [own] };
    return languageMap(this.config.deniedNote, 'You do not have access to this content.', this.config.language);
  }

  // ---------------------------------------------------------------- probe (§5)

  /** GET {base}/iiif/auth/v2/probe/:fileId: an AuthProbeResult2, always HTTP 200, CORS for any origin. */
  readonly probe = async (ctx: Koa.Context): Promise<void> => {
    if (this.cors(ctx, ['Authorization', 'Accept'])) return;
    const fileId = fileParam(ctx);
    const who = await this.probeRequester(ctx);
    const decision = await this.files.decide(fileId, who);
    const body: Record<string, unknown> = { '@context': AUTH2_CONTEXT, type: 'AuthProbeResult2' };
    if (!decision.found) {
      body.status = 404;
      body.heading = languageMap(undefined, 'Not found', this.config.language);
      body.note = languageMap(undefined, 'There is no published content with this identifier.', this.config.language);
    } else if (decision.allowed) {
      body.status = 200;
    } else {
      body.status = deniedStatus(decision.profile, who, this.config.loginEnabled);
      const sub = this.substitute(decision.entry);
      if (sub) body.substitute = [sub];
      body.heading = this.deniedHeading();
      body.note = this.deniedNote(decision.entry);
    }
    // The answer depends on the token and the cookie: never from a shared cache.
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.body = body;
  };

  /**
   * The degraded image a denied user may see (§5.2 substitute): the whole image scaled to fit
   * degradedMaxSize, as an exact Image API 3.0 size the image route accepts for denied users
   * (degradedAllowed). Only for images of known size, only when the setting is on.
   */
  private substitute(entry: FileEntry | null): Record<string, unknown> | null {
    const max = this.config.degradedMaxSize;
    const f = entry?.file;
    if (!(max > 0) || !f || !f.mimeType.startsWith('image/') || !f.width || !f.height) return null;
    const d = degradedSize(max, { width: f.width, height: f.height });
    return {
      id: this.deps.url(`/iiif/3/${encodeURIComponent(f.id)}/full/${d.w},${d.h}/0/default.jpg`),
      type: 'Image',
      format: 'image/jpeg',
      width: d.w,
      height: d.h,
      label: languageMap(this.config.substituteLabel, 'Reduced-size image', this.config.language),
    };
  }

  // ---------------------------------------------------------------- access service (§3, active)

  /** GET and POST {base}/iiif/auth/v2/access: the sign-in page; on success a page that closes itself. */
  readonly access = async (ctx: Koa.Context): Promise<void> => {
    const lang = this.config.language;
    const nonce = pageHeaders(ctx, { frameable: false });
    if (!this.config.loginEnabled) {
      ctx.status = 404;
      ctx.body = messagePage({ lang, title: 'Sign-in not offered', message: `${this.deps.repositoryName} does not offer a sign-in here.` });
      return;
    }
    if (ctx.method === 'POST') return this.login(ctx, nonce);
    const origin = validOrigin(single(ctx.query.origin));
    const session = this.sessions.read(ctx);
    if (session.status === 'ok') {
      // Signed in already: remember this viewer's origin for the token service, and close.
      const s = session.session;
      if (origin && !s.origins.includes(origin)) {
        this.sessions.issue(ctx, { id: s.userId, username: s.username, groups: s.groups }, [...s.origins, origin], s.expiresAt);
      }
      ctx.status = 200;
      ctx.body = closingPage({ lang, nonce, title: 'Signed in', message: `You are signed in to ${this.deps.repositoryName} as ${s.username}. You can close this window.` });
      return;
    }
    ctx.status = 200;
    ctx.body = this.form(ctx, origin);
  };

  /** The sign-in form with a fresh pre-session (cookie nonce) and its CSRF token. */
  private form(ctx: Koa.Context, origin: string | null, extra: { username?: string; error?: string } = {}): string {
    const pre = randomBytes(18).toString('base64url');
    ctx.append('Set-Cookie', cookieHeader(this.config.cookieName + PRE_COOKIE, pre, { path: this.authPath, secure: this.secure, maxAge: 3600, sameSite: 'Lax' }));
    const lang = this.config.language;
    return loginPage({
      lang,
      repositoryName: this.deps.repositoryName,
      heading: firstText(this.labels.heading ?? this.labels.label, lang),
      note: firstText(this.labels.note ?? this.labels.label, lang),
      confirmLabel: firstText(this.labels.confirmLabel ?? { [lang]: ['Sign in'] }, lang),
      csrf: this.csrf.of(pre),
      origin,
      ...extra,
    });
  }

  private async login(ctx: Koa.Context, nonce: string): Promise<void> {
    const lang = this.config.language;
    const type = ctx.request.type;
    let fields: URLSearchParams;
    if (type !== 'application/x-www-form-urlencoded') {
      ctx.status = 415;
      ctx.body = this.form(ctx, validOrigin(single(ctx.query.origin)), { error: 'The sign-in form must be sent as a web form.' });
      return;
    }
    try {
      fields = new URLSearchParams((await readBody(ctx, FORM_LIMIT)).toString('utf8'));
    } catch {
      ctx.status = 413;
      ctx.body = this.form(ctx, validOrigin(single(ctx.query.origin)), { error: 'The form was too large.' });
      return;
    }
    const origin = validOrigin(fields.get('origin') ?? single(ctx.query.origin));
    const username = (fields.get('username') ?? '').trim().slice(0, 255);
    const password = (fields.get('password') ?? '').slice(0, 1024);
    // The CSRF token must match this browser's pre-session: another site cannot sign a user in
    // (into the attacker's account) with a form of its own.
    const pre = cookieValue(ctx, this.config.cookieName + PRE_COOKIE);
    if (!pre || !this.csrf.check(pre, fields.get('csrf') ?? '')) {
      ctx.status = 403;
      ctx.body = this.form(ctx, origin, { username, error: 'This form has expired or did not come from this page. Please try again.' });
      return;
    }
    if (!username || !password) {
      ctx.status = 400;
      ctx.body = this.form(ctx, origin, { username, error: 'Enter your username and password.' });
      return;
    }
    const wait = this.limiter.retryAfter(ctx.ip, username);
    if (wait > 0) {
      ctx.status = 429;
      ctx.set('Retry-After', String(wait));
      ctx.body = messagePage({ lang, title: 'Too many attempts', message: `Too many failed sign-ins. Please wait ${wait} seconds and try again.` });
      return;
    }
    const user = await this.deps.ds.getRepository(User).findOneBy({ username });
    // Inactive and password-less users still cost one scrypt run: timing does not tell them apart.
    const ok = await verifyPassword(password, user?.active ? user.passwordHash : null);
    if (!ok || !user) {
      this.limiter.fail(ctx.ip, username);
      this.deps.logger?.info({ username, ip: ctx.ip }, 'iiif sign-in failed');
      ctx.status = 401;
      ctx.body = this.form(ctx, origin, { username, error: 'Unknown username or wrong password.' });
      return;
    }
    this.limiter.succeed(ctx.ip, username);
    this.sessions.issue(ctx, { id: user.id, username: user.username, groups: user.groups }, origin ? [origin] : []);
    ctx.append('Set-Cookie', cookieHeader(this.config.cookieName + PRE_COOKIE, '', { path: this.authPath, secure: this.secure, maxAge: 0, sameSite: 'Lax' }));
    ctx.status = 200;
    ctx.body = closingPage({ lang, nonce, title: 'Signed in', message: `You are signed in to ${this.deps.repositoryName}. You can close this window.` });
  }

  // ---------------------------------------------------------------- token service (§4)

  /** GET {base}/iiif/auth/v2/token?messageId&origin: an HTML page posting the token or an error to the viewer. */
  readonly token = async (ctx: Koa.Context): Promise<void> => {
    const nonce = pageHeaders(ctx, { frameable: true });
    // §4.3: always 200, or the frame's page (and its message) may never reach the viewer.
    ctx.status = 200;
    const origin = validOrigin(single(ctx.query.origin));
    if (!origin) {
      // No postMessage without a target origin: "*" would hand the token to any embedding page.
      ctx.body = messagePage({ lang: 'en', title: 'Invalid request', message: 'The origin parameter must be the origin of the viewer page, like https://viewer.example.org.' });
      return;
    }
    const messageId = single(ctx.query.messageId);
    const post = (message: Record<string, unknown>): void => {
      ctx.body = tokenMessagePage({ nonce, message: { '@context': AUTH2_CONTEXT, ...message, messageId: messageId ?? '' }, targetOrigin: origin });
    };
    const error = (profile: TokenErrorProfile, heading: string, note: string): void => {
      const lang = this.config.language;
      post({ type: 'AuthAccessTokenError2', profile, heading: { [lang]: [heading] }, note: { [lang]: [note] } });
    };
    if (!messageId || messageId.length > 512) return error('invalidRequest', 'Invalid request', 'The messageId parameter is missing or too long.');
    const allowed = this.config.allowedOrigins;
    if (allowed.length && !allowed.includes(origin) && origin !== this.ownOrigin) {
      return error('invalidOrigin', 'Viewer not allowed', `${this.deps.repositoryName} does not serve access tokens to viewers at ${origin}.`);
    }
    if (!this.config.loginEnabled) {
      // `external` pattern: the authorizing aspect is the client's address, judged by the probe.
      post({ type: 'AuthAccessToken2', ...this.tokens.issue({ userId: null, groups: [], authenticated: false }, origin) });
      return;
    }
    const read = this.sessions.read(ctx);
    if (read.status === 'none') return error('missingAspect', 'Not signed in', `Sign in to ${this.deps.repositoryName} to see this content.`);
    if (read.status !== 'ok') {
      this.sessions.clear(ctx);
      return read.status === 'expired'
        ? error('expiredAspect', 'Session expired', 'Your session has expired. Please sign in again.')
        : error('invalidAspect', 'Invalid session', 'Your session is not valid. Please sign in again.');
    }
    const s = read.session;
    if (this.config.originBinding && origin !== this.ownOrigin && !s.origins.includes(origin)) {
      return error('invalidOrigin', 'Confirm this viewer', `Sign in to ${this.deps.repositoryName} from this viewer to let it show you restricted content.`);
    }
    // Tokens are rare: check the account still stands and take its current groups.
    const user = await this.deps.ds.getRepository(User).findOneBy({ id: s.userId });
    if (!user || !user.active || !user.passwordHash) {
      this.sessions.clear(ctx);
      return error('invalidAspect', 'Invalid session', 'Your account cannot sign in any more.');
    }
    if (JSON.stringify(user.groups) !== JSON.stringify(s.groups)) {
      this.sessions.issue(ctx, { id: user.id, username: user.username, groups: user.groups }, s.origins, s.expiresAt);
    }
    post({ type: 'AuthAccessToken2', ...this.tokens.issue({ userId: user.id, groups: user.groups, authenticated: true }, origin) });
  };

  // ---------------------------------------------------------------- logout (§6)

  /** GET {base}/iiif/auth/v2/logout: clears the session cookie. */
  readonly logout = (ctx: Koa.Context): void => {
    pageHeaders(ctx, { frameable: false });
    const had = this.sessions.read(ctx).status !== 'none';
    this.sessions.clear(ctx);
    ctx.status = 200;
    ctx.body = messagePage({
      lang: this.config.language,
      title: 'Signed out',
      message: had ? `You are signed out of ${this.deps.repositoryName}.` : `You were not signed in to ${this.deps.repositoryName}.`,
    });
  };

  // ---------------------------------------------------------------- content delivery

  /** GET/HEAD {base}/iiif/content/:fileId: the stored file, access-checked by the cookie, with ranges. */
  readonly content = async (ctx: Koa.Context): Promise<void> => {
    if (this.cors(ctx, ['Range', 'If-None-Match', 'If-Range'])) return;
    const fileId = fileParam(ctx);
    const who = await this.requesterOf(ctx);
    const decision = await this.files.decide(fileId, who);
    const entry = decision.entry;
    if (!decision.found || !entry) throw IiifAuthErrors.NOT_FOUND(`No published file ${fileId}`);
    const open = isOpenProfile(decision.profile);
    if (!open) ctx.vary('Cookie');
    if (!decision.allowed) {
      ctx.set('Cache-Control', 'no-store');
      const note = entry.profile?.deniedNote ?? 'Access to this content is restricted';
      throw deniedStatus(decision.profile, who, this.config.loginEnabled) === 401 ? IiifAuthErrors.SIGN_IN_REQUIRED(note) : IiifAuthErrors.FORBIDDEN(note);
    }
    const connectorId = entry.representation.storageConnectorId ?? this.deps.defaultStorage;
    const connector = this.deps.storage.get(connectorId);
    if (!connector) throw IiifAuthErrors.STORAGE_UNAVAILABLE(`No storage connector "${connectorId}"`);
    await sendStoredFile(ctx, entry.file, connector, { cacheControl: open ? 'public, max-age=3600' : 'private, no-cache' });
  };

  /** CORS for any origin without credentials (viewers on any site); true when it answered a preflight. */
  private cors(ctx: Koa.Context, allowHeaders: string[]): boolean {
    return applyCors(ctx, {
      origins: ['*'],
      methods: ['GET', 'HEAD', 'OPTIONS'],
      allowHeaders,
      exposeHeaders: ['Content-Length', 'Content-Range', 'Accept-Ranges', 'ETag', 'Content-Disposition'],
    });
  }
}

/** The inventory's defaultStorage setting when that plugin is on, else "local". */
function inventoryDefaultStorage(ctx: PluginContext<unknown>): string {
  try {
    const config = ctx.core.host.get('inventory').config as { defaultStorage?: unknown } | null;
    return typeof config?.defaultStorage === 'string' ? config.defaultStorage : 'local';
  } catch {
    return 'local';
  }
}
