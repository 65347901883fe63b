import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What opening a sealed value found. */
export type Opened<T> = { status: 'ok'; claims: T } | { status: 'expired'; claims: T } | { status: 'invalid' };

/** Claims every sealed value carries: expiry in seconds since the epoch. */
export interface Expiring {
  e: number;
}

/** A subkey for one purpose: a value sealed for one purpose never opens for another. */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  return createHmac('sha256', master).update(`colophon:iiif-auth:${purpose}`).digest();
}

const VERSION = 'v1';

/**
 * Stateless sealed claims: AES-256-GCM over JSON, so any instance with the same key reads them
 * and nobody else can read or forge them. Sealing (not only signing) keeps the user id and
 * groups out of sight: the Authorization Flow spec (§4.4) wants access tokens opaque, and the
 * same holds for the cookie in a browser's storage.
 */
export class ClaimSealer<T extends Expiring> {
  private readonly key: Buffer;

  constructor(master: Buffer, readonly purpose: string) {
    this.key = deriveKey(master, purpose);
  }

  seal(claims: T): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${VERSION}:${this.purpose}`));
    const body = Buffer.concat([cipher.update(JSON.stringify(claims), 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** Open a sealed value; anything malformed, forged or sealed for another purpose is "invalid". */
  open(value: string | undefined | null, nowMs = Date.now()): Opened<T> {
    if (!value || value.length > 8192 || !value.startsWith(`${VERSION}.`)) return { status: 'invalid' };
    const raw = value.slice(VERSION.length + 1);
    if (!/^[A-Za-z0-9_-]+$/.test(raw)) return { status: 'invalid' };
    const buf = Buffer.from(raw, 'base64url');
    if (buf.length < 12 + 16 + 2) return { status: 'invalid' };
    let claims: T;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, buf.subarray(0, 12));
      decipher.setAAD(Buffer.from(`${VERSION}:${this.purpose}`));
      decipher.setAuthTag(buf.subarray(buf.length - 16));
      const text = Buffer.concat([decipher.update(buf.subarray(12, buf.length - 16)), decipher.final()]).toString('utf8');
      claims = JSON.parse(text) as T;
    } catch {
      return { status: 'invalid' };
    }
    if (!claims || typeof claims !== 'object' || typeof claims.e !== 'number') return { status: 'invalid' };
    if (claims.e * 1000 <= nowMs) return { status: 'expired', claims };
    return { status: 'ok', claims };
  }
}

/** HMAC of a value under a purpose's subkey (base64url), and its constant-time check. */
export class Mac {
  private readonly key: Buffer;

  constructor(master: Buffer, purpose: string) {
    this.key = deriveKey(master, purpose);
  }

  of(value: string): string {
    return createHmac('sha256', this.key).update(value).digest('base64url');
  }

  check(value: string, mac: string): boolean {
    const want = Buffer.from(this.of(value));
    const got = Buffer.from(mac);
    return got.length === want.length && timingSafeEqual(got, want);
  }
}
