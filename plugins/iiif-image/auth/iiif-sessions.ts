import type Koa from 'koa';
import type { Requester } from '../../inventory/services/access-profile-service';
import { ClaimSealer } from './sealed-claims';

/** What the session cookie carries (short keys: it travels with every tile request). */
export interface SessionClaims {
  /** User id, username, user groups. */
  u: string;
  n: string;
  g: string[];
  /** Viewer origins the user signed in from (or confirmed at the access service). */
  o: string[];
  /** Expiry, seconds since the epoch. */
  e: number;
}

/** A signed-in user, as the cookie says. */
export interface Session {
  userId: string;
  username: string;
  groups: string[];
  origins: string[];
  expiresAt: Date;
}

/** The cookie's state: none sent, a valid session, or one that is forged/garbled or expired. */
export type SessionRead = { status: 'none' } | { status: 'invalid' } | { status: 'expired' } | { status: 'ok'; session: Session };

export interface CookieOptions {
  name: string;
  ttlSeconds: number;
  /** Secure + SameSite=None (https base URL), else SameSite=Lax. */
  secure: boolean;
  /** Cookie path: the base URL's path + /iiif, where images, content and the auth services live. */
  path: string;
}

/** Most viewer origins one session remembers (the cookie stays small). */
const MAX_ORIGINS = 10;

/** A Set-Cookie value with the attributes the Authorization Flow needs. */
export function cookieHeader(name: string, value: string, opts: { path: string; secure: boolean; maxAge: number; sameSite?: 'None' | 'Lax' | 'Strict' }): string {
  // A viewer on another site loads images and the token service in a frame: third-party
  // requests carry the cookie only with SameSite=None, which browsers accept only when Secure.
  const same = opts.sameSite ?? (opts.secure ? 'None' : 'Lax');
  const parts = [`${name}=${value}`, `Path=${opts.path}`, `Max-Age=${Math.max(0, Math.floor(opts.maxAge))}`, 'HttpOnly', `SameSite=${same}`];
  if (opts.maxAge <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

/** A cookie's value from the request (no signature: our values are sealed). */
export function cookieValue(ctx: Koa.Context, name: string): string | undefined {
  const header = ctx.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/**
 * The IIIF session: a sealed cookie `{userId, username, groups, origins, exp}` set by the access
 * service after a local sign-in. It is stateless, so every instance with the same key accepts it,
 * and image and content requests decide access from it without touching the database.
 */
export class IiifSessions {
  private readonly sealer: ClaimSealer<SessionClaims>;

  constructor(
    master: Buffer,
    readonly cookie: CookieOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.sealer = new ClaimSealer<SessionClaims>(master, 'session');
  }

  /** What the request's cookie says; never throws. */
  read(ctx: Koa.Context): SessionRead {
    const value = cookieValue(ctx, this.cookie.name);
    if (!value) return { status: 'none' };
    const opened = this.sealer.open(value, this.now());
    if (opened.status !== 'ok') return { status: opened.status };
    const c = opened.claims;
    if (typeof c.u !== 'string' || typeof c.n !== 'string' || !Array.isArray(c.g) || !Array.isArray(c.o)) return { status: 'invalid' };
    return {
      status: 'ok',
      session: { userId: c.u, username: c.n, groups: c.g.map(String), origins: c.o.map(String), expiresAt: new Date(c.e * 1000) },
    };
  }

  /** The session, or null when there is none valid. */
  current(ctx: Koa.Context): Session | null {
    const r = this.read(ctx);
    return r.status === 'ok' ? r.session : null;
  }

  /** Set the cookie: a new session, or (with `expiresAt`) the same one with more origins. */
  issue(ctx: Koa.Context, user: { id: string; username: string; groups: string[] }, origins: string[], expiresAt?: Date): Session {
    const e = expiresAt ? Math.floor(expiresAt.getTime() / 1000) : Math.floor(this.now() / 1000) + this.cookie.ttlSeconds;
    const o = [...new Set(origins)].slice(-MAX_ORIGINS);
    const value = this.sealer.seal({ u: user.id, n: user.username, g: [...user.groups], o, e });
    ctx.append('Set-Cookie', cookieHeader(this.cookie.name, value, { path: this.cookie.path, secure: this.cookie.secure, maxAge: e - Math.floor(this.now() / 1000) }));
    return { userId: user.id, username: user.username, groups: [...user.groups], origins: o, expiresAt: new Date(e * 1000) };
  }

  /** Remove the cookie (logout, or a session whose user is gone). */
  clear(ctx: Koa.Context): void {
    ctx.append('Set-Cookie', cookieHeader(this.cookie.name, '', { path: this.cookie.path, secure: this.cookie.secure, maxAge: 0 }));
  }

  /** Who is asking, for access rules: the client address and, with a valid cookie, the user's groups. */
  async requesterOf(ctx: Koa.Context): Promise<Requester> {
    const s = this.current(ctx);
    return s ? { ip: ctx.ip, authenticated: true, userGroups: s.groups } : { ip: ctx.ip, authenticated: false, userGroups: [] };
  }
}
