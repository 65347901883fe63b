import { Title } from '../../../core/db/entities/title.entity';
import type { PluginContext } from '../../../core/plugin/types';
import type { CollectionItemSource, CollectionSource } from '../builders/collection-builders';
import type { PresentationVersion } from '../builders/iiif-urls';
import type { IiifPresentationConfig } from '../config';
import { providerOf, publishedCollections, urlsOf } from './manifest-loader';

type P = PluginContext<IiifPresentationConfig>;

interface RepRow {
  repId: string;
  titleId: string;
  displayTitle: string;
  label: string;
  remote: number | boolean;
  remoteManifestUrl: string | null;
  hasFiles: number | string;
}

/** Published manifests of titles (active representations of titles not suppressed), by title label. */
async function manifestsOf(p: P, v: PresentationVersion, where: string, params: unknown[]): Promise<CollectionItemSource[]> {
  const rows = (await p.core.ds.query(
    `SELECT r.id AS repId, t.id AS titleId, t.display_title AS displayTitle, r.label AS label, r.remote AS remote,
            r.remote_manifest_url AS remoteManifestUrl, (SELECT COUNT(*) FROM file f WHERE f.representation_id = r.id) AS hasFiles
       FROM representation r JOIN title t ON t.id = r.title_id
      WHERE r.active = 1 AND t.suppressed = 0 AND ${where}
      ORDER BY t.display_title, t.id, r.usage_type DESC, r.created_at, r.id`,
    params,
  )) as RepRow[];
  const u = urlsOf(p);
  const out: CollectionItemSource[] = [];
  for (const r of rows) {
    const remote = Boolean(Number(r.remote));
    // Remote representations are listed by their own repository's manifest; nothing local is invented.
    if (remote && !r.remoteManifestUrl) continue;
    if (!remote && !Number(r.hasFiles)) continue;
    const label = r.label ? `${r.displayTitle || r.titleId} — ${r.label}` : r.displayTitle || r.titleId;
    out.push({
      id: remote && r.remoteManifestUrl ? r.remoteManifestUrl : u.manifest(v, r.repId),
      type: 'Manifest',
      label,
      thumbnail: remote ? null : { url: u.representationThumbnail(r.repId) },
    });
  }
  return out;
}

/** The top collection: every published collection without a published parent. */
export async function topCollectionSource(p: P, v: PresentationVersion): Promise<CollectionSource> {
  const u = urlsOf(p);
  // Only published roots: a published collection below an unpublished one stays hidden with it
  // (its own URL answers 404, so it must not be listed here either).
  const roots = [...(await publishedCollections(p)).values()].filter((c) => !c.parentId);
  return {
    id: u.topCollection(v),
    label: p.core.config.repository.name,
    summary: `Collections of ${p.core.config.repository.name}`,
    items: roots.map((c) => ({ id: u.collection(v, c.id), type: 'Collection', label: c.name, summary: c.description })),
    provider: providerOf(p),
    homepage: { url: p.core.url('/'), label: p.core.config.repository.name },
    top: true,
  };
}

/** A published collection (whose ancestors are published too): sub-collections, then manifests. */
export async function collectionSource(p: P, v: PresentationVersion, id: string): Promise<CollectionSource | null> {
  if (!/^[0-9a-fA-F-]{36}$/.test(id)) return null;
  const published = await publishedCollections(p);
  const c = published.get(id);
  if (!c) return null;
  const parent = c.parentId ? (published.get(c.parentId) ?? null) : null;
  const u = urlsOf(p);
  const children = [...published.values()].filter((k) => k.parentId === c.id);
  const manifests = await manifestsOf(p, v, 'EXISTS (SELECT 1 FROM title_collection tc WHERE tc.title_id = t.id AND tc.collection_id = ?)', [c.id]);
  return {
    id: u.collection(v, c.id),
    label: c.name,
    summary: c.description,
    items: [...children.map((k) => ({ id: u.collection(v, k.id), type: 'Collection' as const, label: k.name, summary: k.description })), ...manifests],
    partOf: parent ? [{ id: u.collection(v, parent.id), label: parent.name }] : [{ id: u.topCollection(v), label: p.core.config.repository.name }],
    provider: providerOf(p),
  };
}

/** A title's collection: the manifests of its published representations. */
export async function titleCollectionSource(p: P, v: PresentationVersion, titleId: string): Promise<CollectionSource | null> {
  if (!/^[0-9a-fA-F-]{36}$/.test(titleId)) return null;
  const title = await p.core.ds.getRepository(Title).findOneBy({ id: titleId });
  if (!title || title.suppressed) return null;
  const u = urlsOf(p);
  return {
    id: u.titleCollection(v, title.id),
    label: title.displayTitle || title.id,
    summary: title.dc.description?.[0] ?? null,
    items: await manifestsOf(p, v, 't.id = ?', [title.id]),
    homepage: { url: u.landingPage(title.id), label: title.displayTitle || title.id },
    provider: providerOf(p),
  };
}
