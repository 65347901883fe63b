import { In, type EntityManager, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { z } from 'zod';
import { AccessRightsProfile } from '../../../core/db/entities/access-rights-profile.entity';
import { Collection } from '../../../core/db/entities/collection.entity';
import { Representation, USAGE_TYPES } from '../../../core/db/entities/representation.entity';
import { SOURCE_FORMATS, Title } from '../../../core/db/entities/title.entity';
import type { CoreServices } from '../../../core/plugin/types';
import type { InventoryConfig } from '../config';
import { InventoryErrors } from '../errors';
import type { CollectionService } from './collection-service';
import type { RepresentationService } from './representation-service';
import type { TitleWriter } from './title-writer';

const uuid = z.string().uuid();

export const bulkRequest = z
  .strictObject({
    target: z.enum(['titles', 'representations']),
    /** Items by id… */
    ids: z.array(uuid).min(1).optional(),
    /** …or by a filter. */
    filter: z
      .strictObject({
        collection: uuid.optional().describe('titles in this collection (or representations of them)'),
        q: z.string().min(1).max(500).optional().describe('title text contains'),
        suppressed: z.boolean().optional(),
        sourceFormat: z.enum(SOURCE_FORMATS).optional(),
        titleId: uuid.optional().describe('representations of this title'),
        usageType: z.enum(USAGE_TYPES).optional().describe('representations of this usage type'),
        active: z.boolean().optional().describe('representations with this active flag'),
        accessRightsProfileId: uuid.nullable().optional().describe('representations with this profile (null: none of their own)'),
      })
      .optional(),
    change: z
      .strictObject({
        accessRightsProfileId: uuid.nullable().optional().describe('assign (null: back to the default profile); on titles, to all their representations'),
        addToCollections: z.array(uuid).optional(),
        removeFromCollections: z.array(uuid).optional(),
        suppressed: z.boolean().optional(),
        active: z.boolean().optional().describe('on titles, applies to all their representations'),
      })
      .refine((c) => Object.values(c).some((v) => v !== undefined), 'name at least one change'),
  })
  .refine((b) => (b.ids ? 1 : 0) + (b.filter ? 1 : 0) === 1, 'give either ids or filter');
export type BulkRequest = z.infer<typeof bulkRequest>;

export interface BulkItem {
  id: string;
  status: 'changed' | 'unchanged' | 'not-found' | 'not-applied';
  changes?: string[];
  detail?: string;
}

const TITLE_ONLY = ['addToCollections', 'removeFromCollections', 'suppressed'] as const;

/**
 * One change applied to many titles or representations in a single transaction. The answer
 * lists every item; if any item cannot be changed, nothing is (the items say why).
 */
export class BulkService {
  constructor(
    private readonly core: CoreServices,
    private readonly config: InventoryConfig,
    private readonly titles: TitleWriter,
    private readonly reps: RepresentationService,
    private readonly collections: CollectionService,
  ) {}

  async apply(req: BulkRequest, actor?: string): Promise<{ target: string; matched: number; changed: number; unchanged: number; items: BulkItem[] }> {
    const c = req.change;
    if (req.target === 'representations') {
      const bad = TITLE_ONLY.filter((k) => c[k] !== undefined);
      if (bad.length) throw InventoryErrors.BULK_INVALID(`${bad.join(', ')} apply to titles, not representations`);
    }
    const failed: { items: BulkItem[] } = { items: [] };
    try {
      return await this.core.unitOfWork(async (uow) => {
        const m = uow.manager;
        if (c.accessRightsProfileId && !(await m.existsBy(AccessRightsProfile, { id: c.accessRightsProfileId }))) {
          throw InventoryErrors.PROFILE_NOT_FOUND(`No access rights profile ${c.accessRightsProfileId}`);
        }
        const colls = [...(c.addToCollections ?? []), ...(c.removeFromCollections ?? [])];
        if (colls.length) {
          const found = await m.findBy(Collection, { id: In(colls) });
          const missing = colls.filter((id) => !found.some((x) => x.id === id));
          if (missing.length) throw InventoryErrors.COLLECTION_NOT_FOUND(`No collection ${missing.join(', ')}`);
        }
        const ids = req.ids ?? (await this.select(m, req));
        if (ids.length > this.config.maxBulkItems) {
          throw InventoryErrors.BULK_TOO_LARGE(`${ids.length} items match; one request changes at most ${this.config.maxBulkItems}`);
        }
        const items: BulkItem[] = [];
        if (req.target === 'titles') {
          const rows = await m.findBy(Title, { id: In(ids) });
          const byId = new Map(rows.map((t) => [t.id, t]));
          for (const id of ids) {
            const t = byId.get(id);
            if (!t) {
              items.push({ id, status: 'not-found', detail: `No title ${id}` });
              continue;
            }
            const changes: string[] = [];
            if (await this.titles.setSuppressed(uow, t, c.suppressed)) changes.push('suppressed');
            for (const col of c.addToCollections ?? []) if (await this.collections.setMembership(uow, col, id, true)) changes.push(`+collection:${col}`);
            for (const col of c.removeFromCollections ?? []) if (await this.collections.setMembership(uow, col, id, false)) changes.push(`-collection:${col}`);
            if (c.active !== undefined || c.accessRightsProfileId !== undefined) {
              for (const r of await m.findBy(Representation, { titleId: id })) {
                if (await this.reps.set(uow, r, { active: c.active, accessRightsProfileId: c.accessRightsProfileId })) changes.push(`representation:${r.id}`);
              }
            }
            items.push({ id, status: changes.length ? 'changed' : 'unchanged', changes });
          }
        } else {
          const rows = await m.findBy(Representation, { id: In(ids) });
          const byId = new Map(rows.map((r) => [r.id, r]));
          for (const id of ids) {
            const r = byId.get(id);
            if (!r) {
              items.push({ id, status: 'not-found', detail: `No representation ${id}` });
              continue;
            }
            const before = { active: r.active, profile: r.accessRightsProfileId };
            const changed = await this.reps.set(uow, r, { active: c.active, accessRightsProfileId: c.accessRightsProfileId });
            const changes = changed
              ? [before.active !== r.active ? 'active' : '', before.profile !== r.accessRightsProfileId ? 'accessRightsProfileId' : ''].filter(Boolean)
              : [];
            items.push({ id, status: changed ? 'changed' : 'unchanged', changes });
          }
        }
        if (items.some((i) => i.status === 'not-found')) {
          failed.items = items.map((i) => (i.status === 'not-found' ? i : { id: i.id, status: 'not-applied' as const, detail: 'rolled back: another item failed' }));
          throw InventoryErrors.BULK_INVALID('Some items cannot be changed; nothing was changed');
        }
        return {
          target: req.target,
          matched: ids.length,
          changed: items.filter((i) => i.status === 'changed').length,
          unchanged: items.filter((i) => i.status === 'unchanged').length,
          items,
        };
      }, { actor });
    } catch (err) {
      if (failed.items.length) throw InventoryErrors.BULK_INVALID('Some items cannot be changed; nothing was changed', { extensions: { items: failed.items } });
      throw err;
    }
  }

  /** Ids matching a filter, in a stable order, one more than the limit at most. */
  private async select(m: EntityManager, req: BulkRequest): Promise<string[]> {
    const f = req.filter ?? {};
    const limit = this.config.maxBulkItems + 1;
    const titleConds = (qb: SelectQueryBuilder<ObjectLiteral>, alias: string): void => {
      if (f.q) qb.andWhere(`LOWER(${alias}.display_title) LIKE :q ESCAPE '!'`, { q: `%${f.q.toLowerCase().replace(/[%_!]/g, (ch) => `!${ch}`)}%` });
      if (f.suppressed !== undefined) qb.andWhere(`${alias}.suppressed = :s`, { s: f.suppressed });
      if (f.sourceFormat) qb.andWhere(`${alias}.source_format = :sf`, { sf: f.sourceFormat });
      if (f.collection) qb.andWhere(`${alias}.id IN (SELECT tc.title_id FROM title_collection tc WHERE tc.collection_id = :col)`, { col: f.collection });
    };
    if (req.target === 'titles') {
      const repOnly = (['titleId', 'usageType', 'active', 'accessRightsProfileId'] as const).filter((k) => f[k] !== undefined);
      if (repOnly.length) throw InventoryErrors.BULK_INVALID(`Filter ${repOnly.join(', ')} applies to representations`);
      const qb = m.createQueryBuilder().select('t.id', 'id').from(Title, 't');
      titleConds(qb, 't');
      const rows = (await qb.orderBy('t.id').limit(limit).getRawMany()) as { id: string }[];
      return rows.map((r) => r.id);
    }
    const qb = m.createQueryBuilder().select('r.id', 'id').from(Representation, 'r').innerJoin(Title, 't', 't.id = r.title_id');
    titleConds(qb, 't');
    if (f.titleId) qb.andWhere('r.title_id = :tid', { tid: f.titleId });
    if (f.usageType) qb.andWhere('r.usage_type = :ut', { ut: f.usageType });
    if (f.active !== undefined) qb.andWhere('r.active = :ac', { ac: f.active });
    if (f.accessRightsProfileId === null) qb.andWhere('r.access_rights_profile_id IS NULL');
    else if (f.accessRightsProfileId) qb.andWhere('r.access_rights_profile_id = :ap', { ap: f.accessRightsProfileId });
    const rows = (await qb.orderBy('r.id').limit(limit).getRawMany()) as { id: string }[];
    return rows.map((r) => r.id);
  }
}
