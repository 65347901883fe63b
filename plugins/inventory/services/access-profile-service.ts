import { BlockList, isIP } from 'node:net';
import { IsNull, Not, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { AccessRightsProfile, type AccessRule } from '../../../core/db/entities/access-rights-profile.entity';
import { Representation } from '../../../core/db/entities/representation.entity';
import type { UnitOfWork } from '../../../core/db/unit-of-work';
import type { CoreServices } from '../../../core/plugin/types';
import { InventoryErrors } from '../errors';

/** "192.0.2.0/24", "2001:db8::/32" or a single address. */
function parseCidr(range: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', bits, ...rest] = range.split('/');
  if (rest.length) return null;
  const v = isIP(address);
  if (!v) return null;
  const max = v === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return null;
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

export const accessRule = z.strictObject({
  effect: z.enum(['allow', 'deny']),
  userGroup: z.string().min(1).max(64).optional(),
  ipRange: z.string().refine((s) => parseCidr(s) !== null, 'an IPv4 or IPv6 address or CIDR range, e.g. 192.0.2.0/24').optional(),
  authenticated: z.boolean().optional(),
});

const rightsUri = z
  .string()
  .url()
  .refine(
    (u) => /^https?:\/\/(creativecommons\.org\/(licenses|publicdomain)\/|rightsstatements\.org\/vocab\/)/.test(u),
    'a Creative Commons or RightsStatements.org URI (IIIF Presentation 3 `rights`)',
  );

export const profileCreate = z.strictObject({
  name: z.string().trim().min(1).max(255),
  rules: z.array(accessRule).max(200).default([]),
  copyrightStatement: z.string().max(20000).nullish(),
  rightsUri: rightsUri.nullish(),
  deniedNote: z.string().max(20000).nullish(),
  isDefault: z.boolean().optional(),
});
export const profileUpdate = profileCreate.partial().extend({ rules: z.array(accessRule).max(200).optional() });

/** Who is asking, for evaluating access rules. */
export interface Requester {
  ip?: string;
  userGroups?: string[];
  authenticated: boolean;
}

/**
 * Decide access as Alma's access rights policies do: rules are tried in order and the first one
 * whose conditions all hold decides. A profile without rules is open; when rules exist and none
 * matches, access is denied.
 */
export function evaluateAccess(profile: Pick<AccessRightsProfile, 'rules'> | null, who: Requester): { allowed: boolean; rule: number | null } {
  const rules = profile?.rules ?? [];
  if (!rules.length) return { allowed: true, rule: null };
  for (const [i, r] of rules.entries()) {
    if (r.authenticated !== undefined && r.authenticated !== who.authenticated) continue;
    if (r.userGroup !== undefined && !(who.userGroups ?? []).includes(r.userGroup)) continue;
    if (r.ipRange !== undefined && !ipInRange(who.ip, r.ipRange)) continue;
    return { allowed: r.effect === 'allow', rule: i };
  }
  return { allowed: false, rule: null };
}

function ipInRange(ip: string | undefined, range: string): boolean {
  const cidr = parseCidr(range);
  if (!ip || !cidr) return false;
  const addr = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const fam = isIP(addr) === 4 ? 'ipv4' : isIP(addr) === 6 ? 'ipv6' : null;
  if (!fam || fam !== cidr.family) return false;
  const list = new BlockList();
  list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return list.check(addr, fam);
}

/** Access rights profiles: CRUD, exactly one default, and the titles whose dissemination they shape. */
export class AccessProfileService {
  constructor(private readonly core: CoreServices) {}

  list(): Promise<AccessRightsProfile[]> {
    return this.core.ds.getRepository(AccessRightsProfile).find({ order: { name: 'ASC' } });
  }

  async get(id: string): Promise<AccessRightsProfile> {
    return load(this.core.ds.manager, id);
  }

  /** The profile that applies to a representation (its own, else the default; null when there is none). */
  async effective(rep: Pick<Representation, 'accessRightsProfileId'>): Promise<AccessRightsProfile | null> {
    const repo = this.core.ds.getRepository(AccessRightsProfile);
    if (rep.accessRightsProfileId) return repo.findOneBy({ id: rep.accessRightsProfileId });
    return repo.findOneBy({ isDefault: true });
  }

  create(input: z.infer<typeof profileCreate>, actor?: string): Promise<AccessRightsProfile> {
    return this.core.unitOfWork(async (uow) => {
      const data = await uow.filter('access-profile.create', input);
      const m = uow.manager;
      if (await m.findOneBy(AccessRightsProfile, { name: data.name })) throw InventoryErrors.PROFILE_NAME_TAKEN(`A profile named "${data.name}" exists`);
      const p = m.create(AccessRightsProfile, {
        name: data.name,
        rules: data.rules as AccessRule[],
        copyrightStatement: data.copyrightStatement ?? null,
        rightsUri: data.rightsUri ?? null,
        deniedNote: data.deniedNote ?? null,
        isDefault: false,
      });
      await m.save(p);
      await uow.record('access-rights-profile', p.id, 'create');
      if (data.isDefault) await this.makeDefault(uow, p);
      return p;
    }, { actor });
  }

  update(id: string, input: z.infer<typeof profileUpdate>, actor?: string): Promise<AccessRightsProfile> {
    return this.core.unitOfWork(async (uow) => {
      const data = await uow.filter('access-profile.update', { id, ...input });
      const m = uow.manager;
      const p = await load(m, id);
      if (data.name !== undefined && data.name !== p.name) {
        if (await m.findOneBy(AccessRightsProfile, { name: data.name })) throw InventoryErrors.PROFILE_NAME_TAKEN(`A profile named "${data.name}" exists`);
        p.name = data.name;
      }
      if (data.rules !== undefined) p.rules = data.rules as AccessRule[];
      if (data.copyrightStatement !== undefined) p.copyrightStatement = data.copyrightStatement ?? null;
      if (data.rightsUri !== undefined) p.rightsUri = data.rightsUri ?? null;
      if (data.deniedNote !== undefined) p.deniedNote = data.deniedNote ?? null;
      if (data.isDefault === false && p.isDefault) p.isDefault = false;
      await m.save(p);
      await uow.record('access-rights-profile', p.id, 'update');
      if (data.isDefault && !p.isDefault) await this.makeDefault(uow, p);
      else await this.touchUsers(uow, p);
      return p;
    }, { actor });
  }

  remove(id: string, actor?: string): Promise<void> {
    return this.core.unitOfWork(async (uow) => {
      const m = uow.manager;
      const p = await load(m, id);
      const users = await m.countBy(Representation, { accessRightsProfileId: id });
      if (users) throw InventoryErrors.PROFILE_IN_USE(`${users} representation(s) use profile "${p.name}"; assign them another first`, { extensions: { representations: users } });
      if (p.isDefault) await this.touchUsers(uow, p);
      await m.delete(AccessRightsProfile, { id });
      await uow.record('access-rights-profile', id, 'delete', { payload: { name: p.name } });
    }, { actor });
  }

  private async makeDefault(uow: UnitOfWork, p: AccessRightsProfile): Promise<void> {
    const m = uow.manager;
    const previous = await m.findBy(AccessRightsProfile, { isDefault: true, id: Not(p.id) });
    for (const old of previous) {
      await m.update(AccessRightsProfile, { id: old.id }, { isDefault: false });
      await uow.record('access-rights-profile', old.id, 'update', { payload: { isDefault: false } });
    }
    await m.update(AccessRightsProfile, { id: p.id }, { isDefault: true });
    p.isDefault = true;
    // Representations without a profile of their own now follow another default.
    await this.touchTitles(uow, { accessRightsProfileId: IsNull() });
    await this.touchUsers(uow, p);
  }

  /** Rights and statements of a profile are disseminated (IIIF rights, requiredStatement): touch its titles. */
  private async touchUsers(uow: UnitOfWork, p: AccessRightsProfile): Promise<void> {
    await this.touchTitles(uow, { accessRightsProfileId: p.id });
    if (p.isDefault) await this.touchTitles(uow, { accessRightsProfileId: IsNull() });
  }

  private async touchTitles(uow: UnitOfWork, where: Record<string, unknown>): Promise<void> {
    const reps = await uow.manager.find(Representation, { where, select: { titleId: true } });
    uow.touchTitles(...new Set(reps.map((r) => r.titleId)));
  }
}

async function load(m: EntityManager, id: string): Promise<AccessRightsProfile> {
  const p = await m.findOneBy(AccessRightsProfile, { id });
  if (!p) throw InventoryErrors.PROFILE_NOT_FOUND(`No access rights profile ${id}`);
  return p;
}

/** JSON view of a profile. */
export function profileView(p: AccessRightsProfile): Record<string, unknown> {
  return {
    id: p.id, name: p.name, rules: p.rules, copyrightStatement: p.copyrightStatement, rightsUri: p.rightsUri,
    deniedNote: p.deniedNote, isDefault: p.isDefault, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString(),
  };
}
