import { ClaimSealer } from './sealed-claims';

/** What an access token carries. */
export interface TokenClaims {
  /** User id (absent for an anonymous token of the `external` pattern). */
  u?: string;
  g: string[];
  /** Signed in (a session stood behind the token). */
  a: boolean;
  /** The viewer origin the token was issued to. */
  o: string;
  e: number;
}

/** A verified access token. */
export interface AccessGrant {
  userId: string | null;
  groups: string[];
  authenticated: boolean;
  origin: string;
  expiresAt: Date;
}

/**
 * Access tokens of the token service (Authorization Flow 2.0 §4): stateless, sealed with their
 * own subkey (so a cookie value is never a valid token, §4.4 warning), bound to the origin of the
 * viewer they were posted to. The probe accepts them; content and images never do (those go by
 * the cookie), so a leaked token tells at most whether its user may see something.
 */
export class AccessTokens {
  private readonly sealer: ClaimSealer<TokenClaims>;

  constructor(
    master: Buffer,
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sealer = new ClaimSealer<TokenClaims>(master, 'access-token');
  }

  /** A token for a viewer origin; expiresIn is what the AuthAccessToken2 message declares. */
  issue(grant: { userId: string | null; groups: string[]; authenticated: boolean }, origin: string): { accessToken: string; expiresIn: number } {
    const e = Math.floor(this.now() / 1000) + this.ttlSeconds;
    const claims: TokenClaims = { g: [...grant.groups], a: grant.authenticated, o: origin, e };
    if (grant.userId) claims.u = grant.userId;
    return { accessToken: this.sealer.seal(claims), expiresIn: this.ttlSeconds };
  }

  /**
   * The grant of a presented token, or null when it is malformed, forged, expired, or (when the
   * request names its origin) was issued to another origin.
   */
  verify(token: string | undefined, requestOrigin?: string): AccessGrant | null {
    const opened = this.sealer.open(token, this.now());
    if (opened.status !== 'ok') return null;
    const c = opened.claims;
    if (!Array.isArray(c.g) || typeof c.a !== 'boolean' || typeof c.o !== 'string') return null;
    if (requestOrigin && requestOrigin !== c.o) return null;
    return { userId: c.u ?? null, groups: c.g.map(String), authenticated: c.a, origin: c.o, expiresAt: new Date(c.e * 1000) };
  }
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
