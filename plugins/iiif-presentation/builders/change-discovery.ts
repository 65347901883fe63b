/**
 * IIIF Change Discovery API 1.0, level 2 (Create, Update and Delete with endTime): the
 * OrderedCollection, its pages, and the mapping from the ChangeEvent log to Activities on the
 * published Manifests and Collections.
 *
 * Mapping (objects are the 3.0 documents; the 2.1 ones change with them):
 *
 * | ChangeEvent                          | Activities                                                         |
 * | ------------------------------------ | ------------------------------------------------------------------ |
 * | representation create                | Create its manifest                                                |
 * | representation update                | Update its manifest while it is published; once it is not (made    |
 * |                                      | inactive or remote, title suppressed): Delete, for updates that    |
 * |                                      | touch `active`/`remote` (de-publication, §3.3 Delete)              |
 * | representation delete                | Delete its manifest                                                |
 * | file create/update/delete            | Update the manifest of the file's representation                  |
 * | title create                         | Create the title's collection                                      |
 * | title update                         | Update the title's collection and each published manifest of it    |
 * |                                      | (its Dublin Core is in every one); suppressing it: Delete them all |
 * |                                      | instead; a membership change also Updates that collection          |
 * | title delete                         | Delete the title's collection (its representations' own delete     |
 * |                                      | events Delete the manifests)                                       |
 * | collection create/update/delete      | Create/Update/Delete that collection (Delete once unpublished)     |
 * | access-rights-profile update/delete  | Update the published manifests of the representations using it     |
 *
 * Whether something is published is read from the lookup, i.e. as it is now, not as it was when
 * the event happened. The stream then always ends, for each object, with an activity that
 * matches its current state (what consumers reading backwards act on), though an older entry
 * may say Update where a Delete was followed by a re-publication. Called from a
 * `changes.committed` action hook, with the lookup read right after the commit, the states are
 * those of the event and the activities can be stored as they are (the recommended way to page
 * them stably: level 2 pages are positions in a list that only grows at the end).
 *
 * Spec: https://iiif.io/api/discovery/1.0/
 */
import type { JsonObject } from './manifest-v3';

export const DISCOVERY_CONTEXT = 'http://iiif.io/api/discovery/1/context.json';

/** The activity types of level 2. */
export type ActivityType = 'Create' | 'Update' | 'Delete';

/** One Activity of an OrderedCollectionPage. */
export interface Activity {
  type: ActivityType;
  object: { id: string; type: 'Manifest' | 'Collection' };
  /** xsd:dateTime in UTC (ChangeEvent.at). */
  endTime: string;
}

/** The discovery entry point: `first` and `last` page URLs (§3.1; `last` is required). */
export function buildOrderedCollection(o: {
  id: string;
  totalItems: number;
  first: string;
  last: string;
  rights?: string | null;
  seeAlso?: { id: string; format: string; label?: string; profile?: string }[] | null;
}): JsonObject {
  return {
    '@context': DISCOVERY_CONTEXT,
    id: o.id,
    type: 'OrderedCollection',
    totalItems: o.totalItems,
    ...(o.rights ? { rights: o.rights } : {}),
    ...(o.seeAlso?.length
      ? { seeAlso: o.seeAlso.map((s) => ({ id: s.id, type: 'Dataset', format: s.format, ...(s.label ? { label: { en: [s.label] } } : {}), ...(s.profile ? { profile: s.profile } : {}) })) }
      : {}),
    first: { id: o.first, type: 'OrderedCollectionPage' },
    last: { id: o.last, type: 'OrderedCollectionPage' },
  };
}

/** One page of activities, oldest first (§3.2); `prev` is required on every page but the first. */
export function buildOrderedCollectionPage(o: {
  id: string;
  partOf: string;
  prev?: string | null;
  next?: string | null;
  startIndex: number;
  orderedItems: Activity[];
}): JsonObject {
  return {
    '@context': DISCOVERY_CONTEXT,
    id: o.id,
    type: 'OrderedCollectionPage',
    startIndex: o.startIndex,
    partOf: { id: o.partOf, type: 'OrderedCollection' },
    ...(o.prev ? { prev: { id: o.prev, type: 'OrderedCollectionPage' } } : {}),
    ...(o.next ? { next: { id: o.next, type: 'OrderedCollectionPage' } } : {}),
    orderedItems: o.orderedItems.map((a) => ({ type: a.type, object: { ...a.object }, endTime: a.endTime })),
  };
}

/** Pages needed for `totalItems` activities (at least one), for `last` and paging links. */
export function pageCount(totalItems: number, pageSize: number): number {
  return Math.max(1, Math.ceil(totalItems / pageSize));
}

/** The fields of a ChangeEvent that the mapping reads. */
export interface ChangeEventLike {
  seq: number;
  at: Date;
  objectType: string;
  objectId: string;
  action: 'create' | 'update' | 'delete';
  titleId: string | null;
  payload: Record<string, unknown> | null;
}

/** Current state, read by the caller (from the database) before mapping. */
export interface ActivityLookup {
  manifestId(representationId: string): string;
  titleCollectionId(titleId: string): string;
  collectionId(collectionId: string): string;
  /**
   * A representation as it is now, or null when it no longer exists. `published`: its manifest
   * URL serves a manifest (active, local, title not suppressed).
   */
  representation(id: string): { titleId: string; published: boolean } | null;
  /** The representation a file belongs to now (file events without a representationId payload). */
  representationOfFile(fileId: string): string | null;
  /** A title's representations now. */
  representationsOfTitle(titleId: string): string[];
  /** A title as it is now (published: not suppressed), or null when deleted. */
  title(id: string): { published: boolean } | null;
  /** A collection as it is now, or null when deleted. */
  collection(id: string): { published: boolean } | null;
  /** Representations using an access rights profile (the default profile: those naming none). */
  representationsOfProfile?(profileId: string): string[];
}

const PUBLICATION_FIELDS = ['active', 'remote'];

const touches = (payload: Record<string, unknown> | null, fields: string[]): boolean => {
  const f = payload?.fields;
  return Array.isArray(f) && f.some((x) => typeof x === 'string' && fields.includes(x));
};

/** Activities of one event, before de-duplication. */
function mapEvent(e: ChangeEventLike, l: ActivityLookup): { type: ActivityType; object: Activity['object'] }[] {
  const manifest = (id: string) => ({ id: l.manifestId(id), type: 'Manifest' as const });
  const titleCollection = (id: string) => ({ id: l.titleCollectionId(id), type: 'Collection' as const });
  const collection = (id: string) => ({ id: l.collectionId(id), type: 'Collection' as const });
  const publishedManifests = (repIds: string[]) =>
    repIds.filter((r) => l.representation(r)?.published).map((r) => ({ type: 'Update' as const, object: manifest(r) }));

  switch (e.objectType) {
    case 'representation': {
      if (e.action === 'delete') return [{ type: 'Delete', object: manifest(e.objectId) }];
      const rep = l.representation(e.objectId);
      if (e.action === 'create') return !rep || rep.published ? [{ type: 'Create', object: manifest(e.objectId) }] : [];
      if (!rep) return [];
      if (rep.published) return [{ type: 'Update', object: manifest(e.objectId) }];
      return touches(e.payload, PUBLICATION_FIELDS) ? [{ type: 'Delete', object: manifest(e.objectId) }] : [];
    }
    case 'file': {
      const fromPayload = e.payload?.representationId;
      const repId = typeof fromPayload === 'string' ? fromPayload : l.representationOfFile(e.objectId);
      return repId && l.representation(repId)?.published ? [{ type: 'Update', object: manifest(repId) }] : [];
    }
    case 'title': {
      if (e.action === 'delete') return [{ type: 'Delete', object: titleCollection(e.objectId) }];
      const title = l.title(e.objectId);
      if (e.action === 'create') return !title || title.published ? [{ type: 'Create', object: titleCollection(e.objectId) }] : [];
      if (!title) return [];
      const out: { type: ActivityType; object: Activity['object'] }[] = [];
      if (title.published) {
        out.push({ type: 'Update', object: titleCollection(e.objectId) }, ...publishedManifests(l.representationsOfTitle(e.objectId)));
      } else if (e.payload && 'suppressed' in e.payload) {
        out.push(
          { type: 'Delete', object: titleCollection(e.objectId) },
          ...l.representationsOfTitle(e.objectId).map((r) => ({ type: 'Delete' as const, object: manifest(r) })),
        );
      }
      const member = e.payload?.collection;
      if (typeof member === 'string' && l.collection(member)?.published) out.push({ type: 'Update', object: collection(member) });
      return out;
    }
    case 'collection': {
      if (e.action === 'delete') return [{ type: 'Delete', object: collection(e.objectId) }];
      const c = l.collection(e.objectId);
      if (e.action === 'create') return !c || c.published ? [{ type: 'Create', object: collection(e.objectId) }] : [];
      if (!c) return [];
      return [{ type: c.published ? 'Update' : 'Delete', object: collection(e.objectId) }];
    }
    case 'access-rights-profile':
      return e.action === 'create' ? [] : publishedManifests(l.representationsOfProfile?.(e.objectId) ?? []);
    default:
      return [];
  }
}

/**
 * The level 2 Activities of a run of ChangeEvents (in `seq` order), oldest first. One unit of
 * work often records many events for one object at one time (a file per page): activities with
 * the same object and endTime collapse into one — the later one, except that an Update after a
 * Create stays a Create.
 */
export function activitiesFromEvents(events: ChangeEventLike[], lookup: ActivityLookup): Activity[] {
  const out: Activity[] = [];
  // index of the activity for (endTime, object id) in `out`
  const seen = new Map<string, number>();
  const ordered = [...events].sort((a, b) => a.at.getTime() - b.at.getTime() || a.seq - b.seq);
  for (const e of ordered) {
    const endTime = e.at.toISOString();
    for (const a of mapEvent(e, lookup)) {
      const key = `${endTime} ${a.object.type} ${a.object.id}`;
      const at = seen.get(key);
      if (at === undefined) {
        seen.set(key, out.length);
        out.push({ ...a, endTime });
        continue;
      }
      const prev = out[at] as Activity;
      if (prev.type === 'Create' && a.type === 'Update') continue;
      out[at] = { ...a, endTime };
    }
  }
  return out;
}
