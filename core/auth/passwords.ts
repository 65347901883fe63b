import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters; N a power of two. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * 2^15, 8, 1: the OWASP password storage minimum for scrypt (32 MiB, tens of milliseconds), so
 * a stolen app_user table costs an attacker that much per guess and per user.
 */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = { N: 2 ** 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse parameters that would take more than this much memory (a corrupt or hostile hash). */
const MAX_MEMORY = 256 * 1024 ** 2;
const FORMAT = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,128})\$([A-Za-z0-9_-]{22,172})$/;

function derive(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  const opts: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r * params.p + 1024 ** 2 };
  return new Promise((resolve, reject) => {
    // NFC: the same password typed on different systems (composed or decomposed accents) matches.
    scrypt(password.normalize('NFC'), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function checkParams(p: ScryptParams): void {
  const pow2 = p.N > 1 && (p.N & (p.N - 1)) === 0;
  if (!pow2 || p.r < 1 || p.p < 1 || p.p > 16 || 128 * p.N * p.r * p.p > MAX_MEMORY) {
    throw new RangeError(`scrypt parameters out of range: N=${p.N} r=${p.r} p=${p.p}`);
  }
}

/** Hash a password as `scrypt$N$r$p$salt$hash` (salt and hash base64url), the format of User.passwordHash. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** The parts of a stored hash, or null when it is not in the scrypt$N$r$p$salt$hash format. */
export function parsePasswordHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const m = FORMAT.exec(stored);
  if (!m) return null;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  try {
    checkParams(params);
  } catch {
    return null;
  }
  return { params, salt: Buffer.from(m[4] ?? '', 'base64url'), key: Buffer.from(m[5] ?? '', 'base64url') };
}

let dummy: Promise<string> | undefined;

/**
 * Check a password against a stored hash in constant time. With no usable hash (unknown user,
 * a user without a local password, a malformed value) it still spends one scrypt run on a dummy
 * hash, so the answer time does not tell which usernames exist.
 */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parsed = stored ? parsePasswordHash(stored) : null;
  if (!parsed) {
    dummy ??= hashPassword('colophon-dummy-password');
    const d = parsePasswordHash(await dummy);
    if (d) await derive(password, d.salt, d.key.length, d.params);
    return false;
  }
  const got = await derive(password, parsed.salt, parsed.key.length, parsed.params);
  return got.length === parsed.key.length && timingSafeEqual(got, parsed.key);
}
