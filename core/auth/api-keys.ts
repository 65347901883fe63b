import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { IsNull, type DataSource } from 'typeorm';
import { ApiKey } from '../db/entities/api-key.entity';
import { CoreErrors } from '../errors';
import { isRoleId, ROLE_IDS, type RoleId } from './roles';

const KEY_PATTERN = /^col_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/**
 * API keys are `col_<12 char prefix>_<256-bit secret>`. The secret is random with full entropy,
 * so a fast hash is enough (no password stretching); only the hash is stored.
 */
export class ApiKeyService {
  constructor(private readonly ds: DataSource) {}

  /** Create a key; the plain key is returned once and never stored. */
  async create(opts: { roles: string[]; name?: string; userId?: string | null; expiresAt?: Date | null }): Promise<{ key: string; record: ApiKey }> {
    if (opts.roles.length === 0) throw CoreErrors.VALIDATION('roles: at least one role is required');
    const bad = opts.roles.find((r) => !isRoleId(r));
    if (bad) throw CoreErrors.VALIDATION(`roles: unknown role "${bad}" (known: ${ROLE_IDS.join(', ')})`);
    const prefix = randomBytes(9).toString('base64url').replace(/[-_]/g, 'x').slice(0, 12);
    const secret = randomBytes(32).toString('base64url');
    const key = `col_${prefix}_${secret}`;
    const repo = this.ds.getRepository(ApiKey);
    const record = await repo.save(
      repo.create({
        prefix,
        keyHash: sha256(key),
        name: opts.name ?? '',
        roles: [...new Set(opts.roles)],
        userId: opts.userId ?? null,
        expiresAt: opts.expiresAt ?? null,
        revokedAt: null,
        lastUsedAt: null,
      }),
    );
    return { key, record };
  }

  list(): Promise<ApiKey[]> {
    return this.ds.getRepository(ApiKey).find({ order: { createdAt: 'ASC' } });
  }

  /** Revoke by id or prefix; revoking twice is harmless. */
  async revoke(idOrPrefix: string): Promise<ApiKey> {
    const repo = this.ds.getRepository(ApiKey);
    const rec = (await repo.findOneBy({ id: idOrPrefix })) ?? (await repo.findOneBy({ prefix: idOrPrefix }));
    if (!rec) throw CoreErrors.NOT_FOUND(`API key ${idOrPrefix} does not exist`);
    if (!rec.revokedAt) {
      rec.revokedAt = new Date();
      await repo.save(rec);
    }
    return rec;
  }

  /** Check a presented key; null when it is unknown, revoked or expired. */
  async verify(presented: string): Promise<{ record: ApiKey; roles: RoleId[] } | null> {
    const m = KEY_PATTERN.exec(presented);
    if (!m) return null;
    const rec = await this.ds.getRepository(ApiKey).findOneBy({ prefix: m[1], revokedAt: IsNull() });
    if (!rec) return null;
    const a = Buffer.from(rec.keyHash, 'hex');
    const b = Buffer.from(sha256(presented), 'hex');
    if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
    if (rec.expiresAt && rec.expiresAt.getTime() <= Date.now()) return null;
    return { record: rec, roles: rec.roles.filter(isRoleId) };
  }

  /** Record use at most once a minute per key, to keep reads cheap. */
  async touch(rec: ApiKey): Promise<void> {
    const now = Date.now();
    if (rec.lastUsedAt && now - rec.lastUsedAt.getTime() < 60_000) return;
    await this.ds.getRepository(ApiKey).update({ id: rec.id }, { lastUsedAt: new Date(now) });
  }
}

/** Public view of a key (never the hash). */
export function apiKeyView(k: ApiKey): Record<string, unknown> {
  return {
    id: k.id,
    prefix: k.prefix,
    name: k.name,
    roles: k.roles,
    userId: k.userId,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}
