import { In, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { Collection } from '../../../core/db/entities/collection.entity';
import { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import { Representation } from '../../../core/db/entities/representation.entity';
import { Title } from '../../../core/db/entities/title.entity';
import type { UnitOfWork } from '../../../core/db/unit-of-work';
import type { CoreServices } from '../../../core/plugin/types';
import { InventoryErrors } from '../errors';
import { parseRecord, parseRecords, RecordError, RECORD_CONTENT_TYPES, type ParsedRecord } from '../records';
import { deleteObjects, type StoredRef } from './stored-objects';

const uuidList = z.union([z.string().uuid(), z.array(z.string().uuid())]).transform((v) => (Array.isArray(v) ? v : [v]));

/** Query of POST /api/v1/titles and /api/v1/titles/batch. */
export const titleCreateQuery = z.strictObject({
  collection: uuidList.optional().describe('Collection id(s) to put the new title(s) in'),
  suppressed: z.enum(['true', 'false']).optional().describe('Create suppressed from discovery'),
});

export const titlePatch = z.strictObject({
  suppressed: z.boolean().optional(),
});

/** Turn a record body into parsed records, mapping record faults to problem+json. */
export function parseTitleBody(contentType: string | undefined, body: Buffer, many: boolean): ParsedRecord[] {
  if (!contentType) throw InventoryErrors.RECORD_TYPE(`A Content-Type is required; one of ${RECORD_CONTENT_TYPES.join(', ')}`);
  try {
    return many ? parseRecords(contentType, body) : [parseRecord(contentType, body)];
  } catch (err) {
    if (err instanceof RecordError) {
      const extensions = { fault: err.fault, ...(err.where ? { where: err.where } : {}) };
      if (err.fault === 'unsupported-content-type') throw InventoryErrors.RECORD_TYPE(err.message, { extensions });
      throw InventoryErrors.RECORD_INVALID(err.message, { extensions });
    }
    throw err;
  }
}

/** Write side of titles: create from records, replace, suppress, delete (recorded for publishing). */
export class TitleWriter {
  constructor(private readonly core: CoreServices) {}

  async create(records: ParsedRecord[], opts: { collections?: string[]; suppressed?: boolean }, actor?: string): Promise<Title[]> {
    const made = await this.core.unitOfWork(async (uow) => {
      const m = uow.manager;
      const collections = opts.collections ?? [];
      if (collections.length) {
        const found = await m.findBy(Collection, { id: In(collections) });
        const missing = collections.filter((id) => !found.some((c) => c.id === id));
        if (missing.length) throw InventoryErrors.COLLECTION_NOT_FOUND(`No collection ${missing.join(', ')}`);
      }
      const out: Title[] = [];
      for (const rec of records) {
        const data = await uow.filter('title.create', rec);
        const t = m.create(Title, {
          sourceFormat: data.format,
          sourceRecord: data.record,
          sourceId: data.sourceId?.slice(0, 255) ?? null,
          dc: data.dc,
          displayTitle: data.displayTitle.slice(0, 1000),
          suppressed: opts.suppressed ?? false,
          datestamp: uow.now,
        });
        await m.save(t);
        for (const c of collections) await m.query('INSERT INTO title_collection (title_id, collection_id) VALUES (?, ?)', [t.id, c]);
        await uow.record('title', t.id, 'create', { titleId: t.id, payload: { format: data.format } });
        out.push(t);
      }
      return out;
    }, { actor });
    return this.reload(made);
  }

  /** The rows as committed (their datestamps come from the change clock at commit). */
  private async reload(titles: Title[]): Promise<Title[]> {
    if (!titles.length) return titles;
    const rows = await this.core.ds.getRepository(Title).findBy({ id: In(titles.map((t) => t.id)) });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return titles.map((t) => byId.get(t.id) ?? t);
  }

  /** Replace the record of a title (the normalized DC is derived again). */
  async replace(id: string, rec: ParsedRecord, actor?: string): Promise<Title> {
    const t = await this.core.unitOfWork(async (uow) => {
      const data = await uow.filter('title.update', { id, ...rec });
      const t = await loadTitle(uow.manager, id);
      t.sourceFormat = data.format;
      t.sourceRecord = data.record;
      t.sourceId = data.sourceId?.slice(0, 255) ?? null;
      t.dc = data.dc;
      t.displayTitle = data.displayTitle.slice(0, 1000);
      await uow.manager.save(t);
      await uow.record('title', t.id, 'update', { titleId: t.id, payload: { record: true } });
      return t;
    }, { actor });
    return (await this.reload([t]))[0] ?? t;
  }

  async patch(id: string, input: z.infer<typeof titlePatch>, actor?: string): Promise<Title> {
    const t = await this.core.unitOfWork(async (uow) => {
      const t = await loadTitle(uow.manager, id);
      await this.setSuppressed(uow, t, input.suppressed);
      return t;
    }, { actor });
    return (await this.reload([t]))[0] ?? t;
  }

  /** Within a unit of work; false when nothing changed. */
  async setSuppressed(uow: UnitOfWork, t: Title, suppressed: boolean | undefined): Promise<boolean> {
    if (suppressed === undefined || suppressed === t.suppressed) return false;
    await uow.filter('title.update', { id: t.id, suppressed });
    t.suppressed = suppressed;
    await uow.manager.update(Title, { id: t.id }, { suppressed });
    await uow.record('title', t.id, 'update', { titleId: t.id, payload: { suppressed } });
    return true;
  }

  /**
   * Delete a title with its representations and files. The deletion is recorded with what a
   * publisher needs to announce it (identifier, sets); stored objects go after commit.
   */
  async remove(id: string, actor?: string): Promise<void> {
    const objects: StoredRef[] = [];
    await this.core.unitOfWork(async (uow) => {
      await uow.filter('title.delete', { id });
      const m = uow.manager;
      const t = await loadTitle(m, id);
      const sets = (await m.query(
        'SELECT c.path AS path FROM title_collection tc JOIN collection c ON c.id = tc.collection_id WHERE tc.title_id = ?',
        [id],
      )) as { path: string }[];
      const reps = await m.findBy(Representation, { titleId: id });
      for (const r of reps) objects.push(...(await representationObjects(m, r)));
      if (reps.length) await m.delete(DigitalFile, { representationId: In(reps.map((r) => r.id)) });
      for (const r of reps) {
        await m.delete(Representation, { id: r.id });
        await uow.record('representation', r.id, 'delete', { titleId: id });
      }
      await m.query('DELETE FROM title_collection WHERE title_id = ?', [id]);
      await m.delete(Title, { id });
      await uow.record('title', id, 'delete', {
        titleId: id,
        payload: { sourceId: t.sourceId, displayTitle: t.displayTitle, sets: sets.map((s) => s.path), datestamp: t.datestamp.toISOString() },
      });
    }, { actor });
    await deleteObjects(this.core.storage, objects, this.core.logger);
  }
}

async function loadTitle(m: EntityManager, id: string): Promise<Title> {
  const t = await m.findOneBy(Title, { id });
  if (!t) throw InventoryErrors.TITLE_NOT_FOUND(`No title ${id}`);
  return t;
}

/** Every stored object of a representation: its files, their thumbnails, its own thumbnail. */
export async function representationObjects(m: EntityManager, r: Representation): Promise<StoredRef[]> {
  if (!r.storageConnectorId) return [];
  const connectorId = r.storageConnectorId;
  const files = await m.findBy(DigitalFile, { representationId: r.id });
  const refs: StoredRef[] = [];
  for (const f of files) {
    refs.push({ connectorId, key: f.storageKey });
    if (f.thumbnailKey) refs.push({ connectorId, key: f.thumbnailKey });
  }
  if (r.thumbnailKey) refs.push({ connectorId, key: r.thumbnailKey });
  return refs;
}
