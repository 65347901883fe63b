import { Like, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { Collection, COLLECTION_CODE_PATTERN } from '../../../core/db/entities/collection.entity';
import type { UnitOfWork } from '../../../core/db/unit-of-work';
import type { CoreServices } from '../../../core/plugin/types';
import { InventoryErrors } from '../errors';

export const collectionCreate = z.strictObject({
  code: z.string().regex(COLLECTION_CODE_PATTERN, 'letters, digits and -_.!~*\'() only (an OAI-PMH setSpec segment), 1-64 characters'),
  name: z.string().trim().min(1).max(500),
  description: z.string().max(20000).nullish(),
  published: z.boolean().optional(),
  parentId: z.string().uuid().nullish(),
  position: z.number().int().optional(),
});
export const collectionUpdate = collectionCreate.partial();

/** Collection tree writes: every change records its event and bumps the datestamps of affected titles. */
export class CollectionService {
  constructor(private readonly core: CoreServices) {}

  list(): Promise<Collection[]> {
    return this.core.ds.getRepository(Collection).find({ order: { path: 'ASC' } });
  }

  async get(id: string): Promise<Collection> {
    const c = await this.core.ds.getRepository(Collection).findOneBy({ id });
    if (!c) throw InventoryErrors.COLLECTION_NOT_FOUND(`No collection ${id}`);
    return c;
  }

  create(input: z.infer<typeof collectionCreate>, actor?: string): Promise<Collection> {
    return this.core.unitOfWork(async (uow) => {
      const data = await uow.filter('collection.create', input);
      const m = uow.manager;
      if (await m.findOneBy(Collection, { code: data.code })) throw InventoryErrors.CODE_TAKEN(`Code "${data.code}" is taken`);
      const parent = data.parentId ? await this.load(m, data.parentId) : null;
      const c = m.create(Collection, {
        code: data.code,
        name: data.name,
        description: data.description ?? null,
        published: data.published ?? false,
        parentId: parent?.id ?? null,
        path: parent ? `${parent.path}:${data.code}` : data.code,
        position: data.position ?? 0,
      });
      await m.save(c);
      await uow.record('collection', c.id, 'create');
      return c;
    }, { actor });
  }

  update(id: string, input: z.infer<typeof collectionUpdate>, actor?: string): Promise<Collection> {
    return this.core.unitOfWork(async (uow) => {
      const data = await uow.filter('collection.update', { id, ...input });
      const m = uow.manager;
      const c = await this.load(m, id);
      const oldPath = c.path;
      if (data.code !== undefined && data.code !== c.code) {
        if (await m.findOneBy(Collection, { code: data.code })) throw InventoryErrors.CODE_TAKEN(`Code "${data.code}" is taken`);
        c.code = data.code;
      }
      if (data.name !== undefined) c.name = data.name;
      if (data.description !== undefined) c.description = data.description ?? null;
      if (data.position !== undefined) c.position = data.position;
      const publishedChanged = data.published !== undefined && data.published !== c.published;
      if (data.published !== undefined) c.published = data.published;
      let parentPath: string | null = null;
      if (data.parentId !== undefined) {
        if (data.parentId) {
          const parent = await this.load(m, data.parentId);
          if (parent.id === c.id || parent.path.startsWith(`${oldPath}:`)) {
            throw InventoryErrors.CYCLE(`Collection ${c.code} cannot be moved under ${parent.code}, which is inside it`);
          }
          c.parentId = parent.id;
          parentPath = parent.path;
        } else c.parentId = null;
      } else if (c.parentId) parentPath = (await this.load(m, c.parentId)).path;
      c.path = parentPath ? `${parentPath}:${c.code}` : c.code;
      await m.save(c);
      // LIKE narrows the search; the prefix test is exact ('_' in a code is a LIKE wildcard).
      const subtree = (await m.find(Collection, { where: { path: Like(`${oldPath}:%`) } })).filter((d) =>
        d.path.startsWith(`${oldPath}:`),
      );
      if (c.path !== oldPath) {
        for (const d of subtree) {
          d.path = c.path + d.path.slice(oldPath.length);
          await m.save(d);
          await uow.record('collection', d.id, 'update');
        }
      }
      await uow.record('collection', c.id, 'update');
      // Titles carry their set membership in every header: a moved or (un)published subtree changes them.
      if (c.path !== oldPath || publishedChanged) await this.touchMembers(uow, [c.id, ...subtree.map((d) => d.id)]);
      return c;
    }, { actor });
  }

  remove(id: string, actor?: string): Promise<void> {
    return this.core.unitOfWork(async (uow) => {
      await uow.filter('collection.delete', { id });
      const m = uow.manager;
      const c = await this.load(m, id);
      const children = await m.countBy(Collection, { parentId: c.id });
      if (children) throw InventoryErrors.HAS_CHILDREN(`Collection ${c.code} has ${children} sub-collections; move or delete them first`);
      await this.touchMembers(uow, [c.id]);
      await m.delete(Collection, { id: c.id });
      await uow.record('collection', c.id, 'delete', { payload: { code: c.code, path: c.path } });
    }, { actor });
  }

  /** Put a title into a collection (idempotent). */
  addTitle(collectionId: string, titleId: string, actor?: string): Promise<void> {
    return this.membership(collectionId, titleId, true, actor);
  }

  removeTitle(collectionId: string, titleId: string, actor?: string): Promise<void> {
    return this.membership(collectionId, titleId, false, actor);
  }

  private membership(collectionId: string, titleId: string, add: boolean, actor?: string): Promise<void> {
    return this.core.unitOfWork(async (uow) => {
      await uow.filter(add ? 'collection.addTitle' : 'collection.removeTitle', { collectionId, titleId });
      await this.load(uow.manager, collectionId);
      const [title] = (await uow.manager.query('SELECT id FROM title WHERE id = ?', [titleId])) as { id: string }[];
      if (!title) throw InventoryErrors.TITLE_NOT_FOUND(`No title ${titleId}`);
      await this.setMembership(uow, collectionId, titleId, add);
    }, { actor });
  }

  /** Within a unit of work: add or remove one membership (both ids known to exist); false when nothing changed. */
  async setMembership(uow: UnitOfWork, collectionId: string, titleId: string, add: boolean): Promise<boolean> {
    const m = uow.manager;
    const [has] = (await m.query('SELECT 1 AS x FROM title_collection WHERE title_id = ? AND collection_id = ?', [titleId, collectionId])) as unknown[];
    if (add && !has) await m.query('INSERT INTO title_collection (title_id, collection_id) VALUES (?, ?)', [titleId, collectionId]);
    else if (!add && has) await m.query('DELETE FROM title_collection WHERE title_id = ? AND collection_id = ?', [titleId, collectionId]);
    else return false;
    await uow.record('title', titleId, 'update', { titleId, payload: { collection: collectionId, member: add } });
    return true;
  }

  private async touchMembers(uow: UnitOfWork, collectionIds: string[]): Promise<void> {
    if (!collectionIds.length) return;
    const rows = (await uow.manager
      .createQueryBuilder()
      .select('DISTINCT tc.title_id', 'id')
      .from('title_collection', 'tc')
      .where('tc.collection_id IN (:...ids)', { ids: collectionIds })
      .getRawMany()) as { id: string }[];
    uow.touchTitles(...rows.map((r) => r.id));
  }

  private async load(m: EntityManager, id: string): Promise<Collection> {
    const c = await m.findOneBy(Collection, { id });
    if (!c) throw InventoryErrors.COLLECTION_NOT_FOUND(`No collection ${id}`);
    return c;
  }
}
