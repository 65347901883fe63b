import { z } from 'zod';
import { sqlTime } from '../../../core/db/data-source';
import { SOURCE_FORMATS, Title } from '../../../core/db/entities/title.entity';
import type { CoreServices } from '../../../core/plugin/types';
import { InventoryErrors } from '../errors';
import { representationView, titleThumbnail } from './representation-service';

export const titleListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  q: z.string().max(500).optional(),
  collection: z.string().uuid().optional(),
  suppressed: z.enum(['true', 'false']).optional(),
  format: z.enum(SOURCE_FORMATS).optional().describe('source record format'),
  from: z.iso.datetime({ offset: true }).optional().describe('datestamp at or after (ISO 8601)'),
  until: z.iso.datetime({ offset: true }).optional().describe('datestamp at or before (ISO 8601)'),
  sort: z.enum(['title', 'datestamp']).default('title'),
});

/** Read side of titles for the staff API and the public pages. */
export class TitleReader {
  constructor(private readonly core: CoreServices) {}

  async list(query: z.infer<typeof titleListQuery>): Promise<{ total: number; items: Title[] }> {
    const qb = this.core.ds.getRepository(Title).createQueryBuilder('t');
    // '!' escapes LIKE wildcards the same way on SQLite (which has no default escape) and MariaDB.
    if (query.q) qb.andWhere("LOWER(t.display_title) LIKE :q ESCAPE '!'", { q: `%${query.q.toLowerCase().replace(/[%_!]/g, (c) => `!${c}`)}%` });
    if (query.suppressed) qb.andWhere('t.suppressed = :s', { s: query.suppressed === 'true' });
    if (query.collection) {
      qb.andWhere('t.id IN (SELECT tc.title_id FROM title_collection tc WHERE tc.collection_id = :c)', { c: query.collection });
    }
    if (query.format) qb.andWhere('t.source_format = :f', { f: query.format });
    if (query.from) qb.andWhere('t.datestamp >= :from', { from: sqlTime(this.core.ds, new Date(query.from)) });
    if (query.until) qb.andWhere('t.datestamp <= :until', { until: sqlTime(this.core.ds, new Date(query.until)) });
    if (query.sort === 'datestamp') qb.orderBy('t.datestamp', 'DESC');
    else qb.orderBy('t.display_title', 'ASC');
    qb.addOrderBy('t.id', 'ASC').take(query.limit).skip(query.offset);
    const [items, total] = await qb.getManyAndCount();
    return { total, items };
  }

  async get(id: string): Promise<Title> {
    const t = await this.core.ds.getRepository(Title).findOne({
      where: { id },
      relations: { collections: true, representations: { files: true } },
      order: { representations: { createdAt: 'ASC', files: { sequence: 'ASC' } } },
    });
    if (!t) throw InventoryErrors.TITLE_NOT_FOUND(`No title ${id}`);
    return t;
  }
}

/** JSON view of a title for the staff API; `full` adds collections, representations, files and the chosen thumbnail. */
export function titleView(t: Title, url: (path: string) => string, full = false): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: t.id,
    title: t.displayTitle,
    sourceFormat: t.sourceFormat,
    sourceId: t.sourceId,
    suppressed: t.suppressed,
    datestamp: t.datestamp.toISOString(),
    dc: t.dc,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
  if (!full) return base;
  const reps = (t.representations ?? []).map((rep) => ({ rep, files: rep.files ?? [] }));
  return {
    ...base,
    thumbnail: titleThumbnail(reps, url),
    collections: (t.collections ?? []).map((c) => ({ id: c.id, code: c.code, path: c.path, name: c.name })),
    representations: reps.map(({ rep, files }) => representationView(rep, files, url)),
  };
}
