import { Between, In } from 'typeorm';
import { ChangeEvent } from '../../../core/db/entities/change-event.entity';
import { Collection } from '../../../core/db/entities/collection.entity';
import { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import { Representation } from '../../../core/db/entities/representation.entity';
import { Title } from '../../../core/db/entities/title.entity';
import type { PluginContext } from '../../../core/plugin/types';
import {
  activitiesFromEvents,
  buildOrderedCollection,
  buildOrderedCollectionPage,
  type Activity,
  type ActivityLookup,
  type JsonObject,
} from '../builders';
import type { IiifPresentationConfig } from '../config';
import { urlsOf } from './manifest-loader';

type P = PluginContext<IiifPresentationConfig>;

/** How long computed page activities are reused while the log has not grown (a committed gap can fill in below MAX(seq)). */
const PAGE_CACHE_MS = 10_000;
/** Pages whose activities are kept (a harvester walks a few at a time). */
const PAGE_CACHE_SIZE = 64;

/**
 * IIIF Change Discovery 1.0 (level 2) over the change log. Page n holds the activities of the
 * change events with seq in ((n-1)·size, n·size]: pages are fixed ranges of the append-only log,
 * so a harvester's page links stay valid as the log grows. A page maps its events with the
 * objects' current state (see builders/change-discovery). `totalItems` (optional, §2.3) is left
 * out: events collapse into a varying number of activities.
 *
 * A range can map to no activity at all (the file events of a representation deleted since,
 * profile changes nobody uses), and §3.2 requires at least one item on a page: such pages are
 * not published. `first`, `last`, `prev` and `next` skip them, and asking for one is 404.
 */
export class ChangeDiscovery {
  private cache: { seq: number; at: number; pages: Map<number, Activity[]> } = { seq: -1, at: 0, pages: new Map() };

  constructor(private readonly p: P) {}

  private get size(): number {
    return this.p.config.activityPageSize;
  }

  private async lastSeq(): Promise<number> {
    const rows = (await this.p.core.ds.query('SELECT MAX(seq) AS seq FROM change_event')) as { seq: number | string | null }[];
    return Number(rows[0]?.seq ?? 0);
  }

  /** Page ranges of a log that ends at `seq` (at least one). */
  private pagesOf(seq: number): number {
    return Math.max(1, Math.ceil(seq / this.size));
  }

  async pages(): Promise<number> {
    return this.pagesOf(await this.lastSeq());
  }

  /** The activities of the range of page n, computed once per state of the log. */
  private async activitiesOf(n: number, seq: number): Promise<Activity[]> {
    const now = Date.now();
    // Every write that changes what a page shows records an event, so a longer log is a new state.
    if (this.cache.seq !== seq || now - this.cache.at > PAGE_CACHE_MS) this.cache = { seq, at: now, pages: new Map() };
    const hit = this.cache.pages.get(n);
    if (hit) return hit;
    const events = await this.p.core.ds.getRepository(ChangeEvent).find({
      where: { seq: Between((n - 1) * this.size + 1, n * this.size) },
      order: { seq: 'ASC' },
    });
    const activities = events.length ? activitiesFromEvents(events, await this.lookupFor(events)) : [];
    if (this.cache.seq === seq) {
      this.cache.pages.set(n, activities);
      if (this.cache.pages.size > PAGE_CACHE_SIZE) {
        const oldest = this.cache.pages.keys().next().value;
        if (oldest !== undefined) this.cache.pages.delete(oldest);
      }
    }
    return activities;
  }

  /** The first page from n on (step +1) or back (step -1) that has activities, or null. */
  private async nearest(n: number, step: 1 | -1, pages: number, seq: number): Promise<number | null> {
    for (let k = n; k >= 1 && k <= pages; k += step) if ((await this.activitiesOf(k, seq)).length) return k;
    return null;
  }

  /** The OrderedCollection (entry point). */
  async collection(): Promise<JsonObject> {
    const u = urlsOf(this.p);
    const seq = await this.lastSeq();
    const pages = this.pagesOf(seq);
    // With no activity at all, page 1 stands for the empty stream (`last` is required, §3.1).
    const first = (await this.nearest(1, 1, pages, seq)) ?? 1;
    const last = (await this.nearest(pages, -1, pages, seq)) ?? 1;
    const doc = buildOrderedCollection({ id: u.discoveryCollection(), totalItems: 0, first: u.discoveryPage(first), last: u.discoveryPage(last) });
    delete doc.totalItems;
    return doc;
  }

  /** Page n (1-based), or null when it does not exist or has no activities. */
  async page(n: number): Promise<JsonObject | null> {
    const seq = await this.lastSeq();
    const pages = this.pagesOf(seq);
    if (!Number.isInteger(n) || n < 1 || n > pages) return null;
    const orderedItems = await this.activitiesOf(n, seq);
    const prev = await this.nearest(n - 1, -1, pages, seq);
    const next = await this.nearest(n + 1, 1, pages, seq);
    if (!orderedItems.length && !(n === 1 && prev === null && next === null)) return null;
    const u = urlsOf(this.p);
    const doc = buildOrderedCollectionPage({
      id: u.discoveryPage(n),
      partOf: u.discoveryCollection(),
      prev: prev === null ? null : u.discoveryPage(prev),
      next: next === null ? null : u.discoveryPage(next),
      startIndex: 0,
      orderedItems,
    });
    delete doc.startIndex;
    return doc;
  }

  /** The current state of everything the events name, read in a few queries. */
  private async lookupFor(events: ChangeEvent[]): Promise<ActivityLookup> {
    const ds = this.p.core.ds;
    const ids = (type: string): string[] => [...new Set(events.filter((e) => e.objectType === type).map((e) => e.objectId))];
    const titleIds = [...new Set([...ids('title'), ...events.map((e) => e.titleId).filter((t): t is string => Boolean(t))])];
    const fileIds = ids('file');
    const profileIds = ids('access-rights-profile');
    const chunks = <T>(list: string[], fn: (part: string[]) => Promise<T[]>): Promise<T[]> =>
      Promise.all(Array.from({ length: Math.ceil(list.length / 500) }, (_, i) => fn(list.slice(i * 500, i * 500 + 500)))).then((r) => r.flat());
    const files = await chunks(fileIds, (part) => ds.getRepository(DigitalFile).find({ where: { id: In(part) }, select: { id: true, representationId: true } }));
    const titles = await chunks(titleIds, (part) => ds.getRepository(Title).find({ where: { id: In(part) }, select: { id: true, suppressed: true } }));
    const repIds = [...new Set([...ids('representation'), ...files.map((f) => f.representationId)])];
    const reps = [
      ...(await chunks(repIds, (part) => ds.getRepository(Representation).findBy({ id: In(part) }))),
      ...(await chunks(titleIds, (part) => ds.getRepository(Representation).findBy({ titleId: In(part) }))),
    ];
    const defaultProfile = profileIds.length ? ((await ds.query('SELECT id FROM access_rights_profile WHERE is_default = 1')) as { id: string }[])[0]?.id : undefined;
    const byProfile = new Map<string, string[]>();
    for (const pid of profileIds) {
      const rows = (await ds.query(
        pid === defaultProfile
          ? 'SELECT id FROM representation WHERE access_rights_profile_id = ? OR access_rights_profile_id IS NULL'
          : 'SELECT id FROM representation WHERE access_rights_profile_id = ?',
        [pid],
      )) as { id: string }[];
      byProfile.set(pid, rows.map((r) => r.id));
      reps.push(...(await chunks(rows.map((r) => r.id), (part) => ds.getRepository(Representation).findBy({ id: In(part) }))));
    }
    const repTitles = [...new Set(reps.map((r) => r.titleId))].filter((t) => !titles.some((x) => x.id === t));
    titles.push(...(await chunks(repTitles, (part) => ds.getRepository(Title).find({ where: { id: In(part) }, select: { id: true, suppressed: true } }))));
    const cols = await chunks(ids('collection'), (part) => ds.getRepository(Collection).findBy({ id: In(part) }));
    const titleById = new Map(titles.map((t) => [t.id, t]));
    const repById = new Map(reps.map((r) => [r.id, r]));
    const fileRep = new Map(files.map((f) => [f.id, f.representationId]));
    const colById = new Map(cols.map((c) => [c.id, c]));
    const u = urlsOf(this.p);
    return {
      manifestId: (id) => u.manifest(3, id),
      titleCollectionId: (id) => u.titleCollection(3, id),
      collectionId: (id) => u.collection(3, id),
      representation: (id) => {
        const r = repById.get(id);
        if (!r) return null;
        const t = titleById.get(r.titleId);
        return { titleId: r.titleId, published: r.active && !r.remote && Boolean(t && !t.suppressed) };
      },
      representationOfFile: (id) => fileRep.get(id) ?? null,
      representationsOfTitle: (id) => reps.filter((r) => r.titleId === id).map((r) => r.id).filter((v, i, a) => a.indexOf(v) === i),
      title: (id) => {
        const t = titleById.get(id);
        return t ? { published: !t.suppressed } : null;
      },
      collection: (id) => {
        const c = colById.get(id);
        return c ? { published: c.published } : null;
      },
      representationsOfProfile: (id) => byProfile.get(id) ?? [],
    };
  }
}
