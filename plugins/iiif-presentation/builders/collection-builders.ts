/**
 * IIIF Collections, 3.0 and 2.1: the top collection, one per published collection of the tree
 * (its sub-collections, then the manifests of its titles), one per title (its representations'
 * manifests). Members are referenced, never embedded (§5.1: Manifests MUST NOT be embedded).
 *
 * Paging. 2.1 has paging properties (§5.9): the paged collection carries `total`, `first` and
 * `last` and no member lists; each page is a Collection `within` it, with `startIndex`,
 * `next`, `prev`. 3.0 dropped them — `first`/`last` on a 3.0 Collection are not in the spec and
 * the validator's schema and viewers ignore them. A large 3.0 collection is therefore split into
 * page Collections referenced from its `items`, which §5.1 names as a use of nested
 * collections ("used primarily to subdivide a larger one into more manageable pieces") and
 * every viewer navigates: the paged collection lists its sub-collections and then one
 * Collection per page ("Items 1–100"), each page lists its manifests and is `partOf` the whole.
 * Pages are 1-based, at `?page=N` of the collection's URL by default.
 */
import { PresentationBuilderErrors } from './builder-errors';
import { toLanguageMap } from './descriptive-properties';
import { imageService3, PRESENTATION3_CONTEXT, type JsonObject } from './manifest-v3';
import { imageService2, languageMapTo2, PRESENTATION2_CONTEXT } from './manifest-v2';
import type { ImageServiceSource, LabelInput, LanguageMap, ProviderSource, ThumbnailSource } from './manifest-source';

/** A member of a collection, referenced by id (a Manifest or a Collection). */
export interface CollectionItemSource {
  /** The member's URL in the version being built (3.0 or 2.1 ids differ). */
  id: string;
  type: 'Collection' | 'Manifest';
  label: LabelInput;
  summary?: LabelInput | null;
  thumbnail?: (ThumbnailSource & { imageService?: ImageServiceSource | null }) | null;
  /** 3.0 only: a web page for the member (a remote manifest's delivery page). */
  homepage?: { url: string; label: LabelInput } | null;
}

/** A collection to build, in one version (its id and its items' ids are of that version). */
export interface CollectionSource {
  id: string;
  label: LabelInput;
  summary?: LabelInput | null;
  /** Sub-collections first, then manifests: the order is kept. */
  items: CollectionItemSource[];
  /** The parent collection(s). */
  partOf?: { id: string; label: LabelInput }[] | null;
  thumbnail?: ThumbnailSource | null;
  provider?: ProviderSource | null;
  /** Shown with the collection (3.0 requiredStatement "Attribution", 2.1 attribution). */
  attribution?: string | null;
  /** A web page about the collection. */
  homepage?: { url: string; label: LabelInput } | null;
  /** 2.1 only: the top collection gets `viewingHint: top`. */
  top?: boolean;
}

/** Paging of a large collection. */
export interface CollectionPaging {
  /** Members per page (3.0: manifests per page; sub-collections always stay in the paged collection). */
  pageSize: number;
  /** The page asked for (1-based); absent for the collection itself. */
  page?: number | null;
  /** URL of page N; default `{id}?page=N`. */
  pageId?: (n: number) => string;
}

const defaultPageId = (id: string) => (n: number): string => `${id}${id.includes('?') ? '&' : '?'}page=${n}`;

/** Page count of `total` members, and the 1-based range of page n. */
function pageSpan(total: number, size: number, n: number): { pages: number; start: number; end: number } {
  const pages = Math.max(1, Math.ceil(total / size));
  return { pages, start: (n - 1) * size, end: Math.min(total, n * size) };
}

function checkPaging(p: CollectionPaging | null | undefined): void {
  if (p && (!Number.isInteger(p.pageSize) || p.pageSize < 1)) throw PresentationBuilderErrors.BAD_SOURCE(`page size ${p.pageSize}`);
}

/** The label of page n: the collection's label (each language) with the member range. */
function pageLabel(label: LanguageMap, start: number, end: number, total: number): LanguageMap {
  const out: LanguageMap = {};
  for (const [lang, values] of Object.entries(label)) out[lang] = [`${values[0] ?? ''} (${start + 1}–${end} of ${total})`];
  return out;
}

// ---------------------------------------------------------------------------------- 3.0

function thumbnail3(t: CollectionItemSource['thumbnail'] | ThumbnailSource | null | undefined): JsonObject[] | undefined {
  if (!t?.url) return undefined;
  const svc = 'imageService' in t && t.imageService?.v3 ? { service: [imageService3(t.imageService)] } : {};
  return [{
    id: t.url, type: 'Image', ...(t.format ? { format: t.format } : {}),
    ...(t.width && t.height ? { width: t.width, height: t.height } : {}), ...svc,
  }];
}

function item3(i: CollectionItemSource): JsonObject {
  const thumb = thumbnail3(i.thumbnail);
  return {
    id: i.id, type: i.type, label: toLanguageMap(i.label),
    ...(i.summary ? { summary: toLanguageMap(i.summary) } : {}),
    ...(thumb ? { thumbnail: thumb } : {}),
    ...(i.homepage ? { homepage: [{ id: i.homepage.url, type: 'Text', format: 'text/html', label: toLanguageMap(i.homepage.label) }] } : {}),
  };
}

function provider3(p: ProviderSource): JsonObject {
  return {
    id: p.id, type: 'Agent', label: toLanguageMap(p.label),
    ...(p.homepage ? { homepage: [{ id: p.homepage, type: 'Text', format: 'text/html', label: toLanguageMap(p.label) }] } : {}),
    ...(p.logo?.url ? { logo: [{ id: p.logo.url, type: 'Image', ...(p.logo.format ? { format: p.logo.format } : {}) }] } : {}),
  };
}

/** The descriptive frame of a 3.0 collection document (everything but items). */
function frame3(src: CollectionSource, id: string, label: LanguageMap, partOf: { id: string; label: LabelInput }[]): JsonObject {
  const thumb = thumbnail3(src.thumbnail);
  return {
    '@context': PRESENTATION3_CONTEXT,
    id,
    type: 'Collection',
    label,
    ...(src.summary ? { summary: toLanguageMap(src.summary) } : {}),
    ...(src.attribution ? { requiredStatement: { label: { en: ['Attribution'] }, value: { none: [src.attribution] } } } : {}),
    ...(thumb ? { thumbnail: thumb } : {}),
    ...(src.provider ? { provider: [provider3(src.provider)] } : {}),
    ...(src.homepage ? { homepage: [{ id: src.homepage.url, type: 'Text', format: 'text/html', label: toLanguageMap(src.homepage.label) }] } : {}),
    ...(partOf.length ? { partOf: partOf.map((p) => ({ id: p.id, type: 'Collection', label: toLanguageMap(p.label) })) } : {}),
  };
}

/**
 * A IIIF Presentation 3.0 Collection. With `paging`, a collection of more than `pageSize`
 * manifests becomes a collection of page collections (see the module comment); asking for a
 * page that does not exist throws PAGE_NOT_FOUND (404).
 */
export function buildCollection3(src: CollectionSource, paging?: CollectionPaging | null): JsonObject {
  checkPaging(paging);
  const label = toLanguageMap(src.label);
  const parents = src.partOf ?? [];
  const collections = src.items.filter((i) => i.type === 'Collection');
  const manifests = src.items.filter((i) => i.type === 'Manifest');
  const page = paging?.page ?? null;
  if (!paging || manifests.length <= paging.pageSize) {
    if (page !== null && page !== 1) throw PresentationBuilderErrors.PAGE_NOT_FOUND(`page ${page} of ${src.id}`);
    return { ...frame3(src, src.id, label, parents), items: src.items.map(item3) };
  }
  const pageId = paging.pageId ?? defaultPageId(src.id);
  const { pages } = pageSpan(manifests.length, paging.pageSize, 1);
  if (page === null) {
    const pageRefs = Array.from({ length: pages }, (_, k) => {
      const { start, end } = pageSpan(manifests.length, paging.pageSize, k + 1);
      return { id: pageId(k + 1), type: 'Collection', label: pageLabel(label, start, end, manifests.length) };
    });
    return { ...frame3(src, src.id, label, parents), items: [...collections.map(item3), ...pageRefs] };
  }
  if (!Number.isInteger(page) || page < 1 || page > pages) throw PresentationBuilderErrors.PAGE_NOT_FOUND(`page ${page} of ${src.id}`);
  const { start, end } = pageSpan(manifests.length, paging.pageSize, page);
  return {
    ...frame3(src, pageId(page), pageLabel(label, start, end, manifests.length), [{ id: src.id, label }]),
    items: manifests.slice(start, end).map(item3),
  };
}

// ---------------------------------------------------------------------------------- 2.1

function thumbnail2(t: CollectionItemSource['thumbnail'] | ThumbnailSource | null | undefined): JsonObject | undefined {
  if (!t?.url) return undefined;
  const svc = 'imageService' in t && t.imageService?.v2 ? { service: imageService2(t.imageService) } : {};
  return { '@id': t.url, '@type': 'dctypes:Image', ...(t.format ? { format: t.format } : {}), ...svc };
}

function item2(i: CollectionItemSource): JsonObject {
  const thumb = thumbnail2(i.thumbnail);
  return {
    '@id': i.id, '@type': i.type === 'Collection' ? 'sc:Collection' : 'sc:Manifest', label: languageMapTo2(toLanguageMap(i.label)),
    ...(i.summary ? { description: languageMapTo2(toLanguageMap(i.summary)) } : {}),
    ...(thumb ? { thumbnail: thumb } : {}),
  };
}

function frame2(src: CollectionSource, id: string, label: LanguageMap): JsonObject {
  const thumb = thumbnail2(src.thumbnail);
  const logo = src.provider?.logo?.url ? { '@id': src.provider.logo.url } : null;
  return {
    '@context': PRESENTATION2_CONTEXT,
    '@id': id,
    '@type': 'sc:Collection',
    label: languageMapTo2(label),
    ...(src.top ? { viewingHint: 'top' } : {}),
    ...(src.summary ? { description: languageMapTo2(toLanguageMap(src.summary)) } : {}),
    ...(src.attribution ? { attribution: src.attribution } : {}),
    ...(logo ? { logo } : {}),
    ...(thumb ? { thumbnail: thumb } : {}),
    ...(src.homepage ? { related: { '@id': src.homepage.url, format: 'text/html' } } : {}),
  };
}

/** `collections` and `manifests` of a member list (order kept within each). */
function members2(items: CollectionItemSource[]): JsonObject {
  const collections = items.filter((i) => i.type === 'Collection').map(item2);
  const manifests = items.filter((i) => i.type === 'Manifest').map(item2);
  return { ...(collections.length ? { collections } : {}), ...(manifests.length ? { manifests } : {}) };
}

/**
 * A IIIF Presentation 2.1 Collection. With `paging`, a collection of more than `pageSize`
 * members (sub-collections and manifests, in order) is paged as §5.9 describes; asking for a
 * page that does not exist throws PAGE_NOT_FOUND (404).
 */
export function buildCollection2(src: CollectionSource, paging?: CollectionPaging | null): JsonObject {
  checkPaging(paging);
  const label = toLanguageMap(src.label);
  const within = (src.partOf ?? []).map((p) => p.id);
  const page = paging?.page ?? null;
  const total = src.items.length;
  if (!paging || total <= paging.pageSize) {
    if (page !== null && page !== 1) throw PresentationBuilderErrors.PAGE_NOT_FOUND(`page ${page} of ${src.id}`);
    return { ...frame2(src, src.id, label), ...(within.length ? { within: within.length === 1 ? within[0] : within } : {}), ...members2(src.items) };
  }
  const pageId = paging.pageId ?? defaultPageId(src.id);
  const { pages } = pageSpan(total, paging.pageSize, 1);
  if (page === null) {
    // §5.9: the paged resource links its first and last page and MUST NOT list members itself.
    return {
      ...frame2(src, src.id, label), ...(within.length ? { within: within.length === 1 ? within[0] : within } : {}),
      total, first: pageId(1), last: pageId(pages),
    };
  }
  if (!Number.isInteger(page) || page < 1 || page > pages) throw PresentationBuilderErrors.PAGE_NOT_FOUND(`page ${page} of ${src.id}`);
  const { start, end } = pageSpan(total, paging.pageSize, page);
  return {
    ...frame2(src, pageId(page), pageLabel(label, start, end, total)),
    within: src.id,
    startIndex: start,
    ...(page < pages ? { next: pageId(page + 1) } : {}),
    ...(page > 1 ? { prev: pageId(page - 1) } : {}),
    ...members2(src.items.slice(start, end)),
  };
}
