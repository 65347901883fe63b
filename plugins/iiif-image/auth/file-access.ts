import type { DataSource } from 'typeorm';
import { AccessRightsProfile } from '../../../core/db/entities/access-rights-profile.entity';
import { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import type { Representation } from '../../../core/db/entities/representation.entity';
import { evaluateAccess, type Requester } from '../../inventory/services/access-profile-service';

/** A published file with what access decisions need. */
export interface FileEntry {
  file: DigitalFile;
  representation: Representation;
  /** The effective profile (the representation's, else the default); null: none, which is open. */
  profile: AccessRightsProfile | null;
}

/** The answer for one file and one requester. */
export interface AccessDecision {
  found: boolean;
  allowed: boolean;
  profile: AccessRightsProfile | null;
  entry: FileEntry | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Decides whether a requester may have a file. A file counts only while published: its
 * representation active and local, its title not suppressed; anything else is "not found", as
 * for the public. Image tile requests ask on every request, so the file → representation →
 * profile lookup is remembered for a few seconds (bounded; concurrent misses share one query);
 * the rules themselves are evaluated per request since they depend on the requester.
 */
export class FileAccess {
  private readonly cache = new Map<string, { at: number; value: Promise<FileEntry | null> }>();

  constructor(
    private readonly ds: DataSource,
    private readonly opts: { ttlMs?: number; maxEntries?: number; now?: () => number } = {},
  ) {}

  private get ttl(): number {
    return this.opts.ttlMs ?? 5000;
  }

  /** The published file, its representation and effective profile; null when unknown or unpublished. */
  lookup(fileId: string): Promise<FileEntry | null> {
    if (!UUID.test(fileId)) return Promise.resolve(null);
    const now = (this.opts.now ?? Date.now)();
    const hit = this.cache.get(fileId);
    if (hit && now - hit.at < this.ttl) return hit.value;
    const value = this.load(fileId);
    if (this.ttl > 0) {
      this.cache.delete(fileId);
      if (this.cache.size >= (this.opts.maxEntries ?? 10_000)) {
        // Oldest first (Map keeps insertion order); a miss re-inserts at the end.
        const oldest = this.cache.keys().next();
        if (!oldest.done) this.cache.delete(oldest.value);
      }
      const slot = { at: now, value };
      this.cache.set(fileId, slot);
      // A failed lookup is not remembered (unless a newer one took its place meanwhile).
      value.catch(() => {
        if (this.cache.get(fileId) === slot) this.cache.delete(fileId);
      });
    }
    return value;
  }

  /** Decide access to a file (the callback image and content routes and the probe share). */
  async decide(fileId: string, requester: Requester): Promise<AccessDecision> {
    const entry = await this.lookup(fileId);
    if (!entry) return { found: false, allowed: false, profile: null, entry: null };
    return { found: true, allowed: evaluateAccess(entry.profile, requester).allowed, profile: entry.profile, entry };
  }

  /** Forget remembered lookups (one file, or all after a profile or representation change). */
  invalidate(fileId?: string): void {
    if (fileId) this.cache.delete(fileId);
    else this.cache.clear();
  }

  private async load(fileId: string): Promise<FileEntry | null> {
    const file = await this.ds
      .getRepository(DigitalFile)
      .createQueryBuilder('f')
      .innerJoinAndSelect('f.representation', 'r')
      .innerJoin('r.title', 't')
      .addSelect(['t.id', 't.suppressed'])
      .where('f.id = :id', { id: fileId })
      .getOne();
    const rep = file?.representation;
    if (!file || !rep || !rep.active || rep.remote || !rep.title || rep.title.suppressed) return null;
    const profiles = this.ds.getRepository(AccessRightsProfile);
    const profile = rep.accessRightsProfileId
      ? await profiles.findOneBy({ id: rep.accessRightsProfileId })
      : await profiles.findOneBy({ isDefault: true });
    delete file.representation;
    return { file, representation: rep, profile };
  }
}

/** Does an IP condition hold for an address? (evaluateAccess as the one CIDR implementation.) */
function inRange(ip: string | undefined, range: string): boolean {
  return evaluateAccess({ rules: [{ effect: 'allow', ipRange: range }] }, { ip, authenticated: false }).allowed;
}

/**
 * Could signing in let this (anonymous) requester in? Walks the rules as a signed-in user at the
 * same address would meet them: a group rule may or may not apply (the user's groups are not
 * known yet), so a group allow means "maybe"; the first rule that applies to every signed-in
 * user decides.
 */
export function loginCouldHelp(profile: Pick<AccessRightsProfile, 'rules'> | null, ip: string | undefined): boolean {
  for (const r of profile?.rules ?? []) {
    if (r.authenticated === false) continue;
    if (r.ipRange !== undefined && !inRange(ip, r.ipRange)) continue;
    if (r.userGroup !== undefined) {
      if (r.effect === 'allow') return true;
      continue;
    }
    return r.effect === 'allow';
  }
  return false;
}

/**
 * The status a denied requester gets: 401 when signing in could change the answer (the viewer
 * then offers the login), else 403. A signed-in user still denied gets 403.
 */
export function deniedStatus(profile: Pick<AccessRightsProfile, 'rules'> | null, requester: Requester, loginEnabled: boolean): 401 | 403 {
  if (requester.authenticated || !loginEnabled) return 403;
  return loginCouldHelp(profile, requester.ip) ? 401 : 403;
}

/** Open to everyone (no rules, or a first rule allowing all): responses may be cached publicly. */
export function isOpenProfile(profile: Pick<AccessRightsProfile, 'rules'> | null): boolean {
  const first = profile?.rules[0];
  if (!first) return true;
  return first.effect === 'allow' && first.userGroup === undefined && first.ipRange === undefined && first.authenticated === undefined;
}

/** The size of the degraded version of a full image (what the substitute asks for). */
export function degradedSize(maxSize: number, full: { width: number; height: number }): { w: number; h: number } {
  const scale = Math.min(1, maxSize / full.width, maxSize / full.height);
  return { w: Math.max(1, Math.round(full.width * scale)), h: Math.max(1, Math.round(full.height * scale)) };
}

/**
 * May a denied requester have this image request as part of the degraded version? Only when the
 * output has no more detail than the whole image scaled to degradedSize() (the probe's
 * substitute), whatever the region: checking the output size alone would let small
 * full-resolution tiles (or single pixels) through. Requests for the whole image get one pixel
 * of slack for clients that compute the other side of "w," themselves.
 */
export function degradedAllowed(
  maxSize: number,
  full: { width: number; height: number },
  region: { x?: number; y?: number; w: number; h: number },
  size: { w: number; h: number },
): boolean {
  if (!(maxSize > 0) || full.width <= 0 || full.height <= 0 || size.w > maxSize || size.h > maxSize) return false;
  const d = degradedSize(maxSize, full);
  const whole = (region.x ?? 0) === 0 && (region.y ?? 0) === 0 && region.w === full.width && region.h === full.height;
  if (whole && size.w <= d.w + 1 && size.h <= d.h + 1) return true;
  // Output pixels per source pixel no more than the degraded image has: integers, no rounding.
  return size.w * full.width <= region.w * d.w && size.h * full.height <= region.h * d.h;
}
