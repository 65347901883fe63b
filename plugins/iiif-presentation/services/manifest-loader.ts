import { AccessRightsProfile } from '../../../core/db/entities/access-rights-profile.entity';
import { Collection } from '../../../core/db/entities/collection.entity';
import type { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import { Representation } from '../../../core/db/entities/representation.entity';
import { Title } from '../../../core/db/entities/title.entity';
import type { PluginContext } from '../../../core/plugin/types';
import { isOpenProfile } from '../../iiif-image/auth/file-access';
import type { IiifImageState } from '../../iiif-image/services/iiif-image-state';
import { repositoryIdentifierOf } from '../../oai-pmh/plugin';
import type { OaiConfig } from '../../oai-pmh/config';
import type { FileKind, FileSource, ManifestSource, PartOfSource, ProviderSource, SeeAlsoSource } from '../builders/manifest-source';
import { iiifUrls, type IiifUrls } from '../builders/iiif-urls';
import type { IiifPresentationConfig } from '../config';

type P = PluginContext<IiifPresentationConfig>;

/** Image types the image server serves (see the iiif-image plugin). */
const IMAGE_SERVED = /^image\/(jpeg|png|tiff|jp2|jpx|webp|gif)$/;

/** How a file is shown, from its media type. */
export function fileKind(mimeType: string): FileKind {
  if (mimeType === 'application/pdf') return 'pdf';
  if (mimeType.startsWith('image/')) return 'image';
  if (mimeType.startsWith('audio/')) return 'audio';
  if (mimeType.startsWith('video/')) return 'video';
  return 'other';
}

/** The institution: configured, else the repository's name and public base URL. */
export function providerOf(p: P): ProviderSource {
  const c = p.config.provider;
  const base = p.core.url('/');
  return {
    id: c.id ?? c.homepage ?? base,
    label: c.label ?? p.core.config.repository.name,
    homepage: c.homepage ?? base,
    logo: c.logo ? { url: c.logo } : null,
  };
}

export function urlsOf(p: P): IiifUrls {
  return iiifUrls(p.core.config.server.baseUrl);
}

/** Does the profile keep anyone out (anything but no rules or an unconditional first allow)? */
export function restricts(profile: AccessRightsProfile | null): boolean {
  return !isOpenProfile(profile);
}

/** The representation's profile, or the default one. */
export async function profileOf(p: P, rep: Representation): Promise<AccessRightsProfile | null> {
  const repo = p.core.ds.getRepository(AccessRightsProfile);
  return (rep.accessRightsProfileId ? await repo.findOneBy({ id: rep.accessRightsProfileId }) : null) ?? (await repo.findOneBy({ isDefault: true }));
}

/** A published representation (active, of a title that is not suppressed), with its title. */
export async function publishedRepresentation(p: P, repId: string): Promise<{ rep: Representation; title: Title } | null> {
  if (!/^[0-9a-fA-F-]{36}$/.test(repId)) return null;
  const rep = await p.core.ds.getRepository(Representation).findOneBy({ id: repId });
  if (!rep?.active) return null;
  const title = await p.core.ds.getRepository(Title).findOneBy({ id: rep.titleId });
  if (!title || title.suppressed) return null;
  return { rep, title };
}

/** OAI-PMH GetRecord links of a title, when the provider publishes it. */
async function seeAlsoOf(p: P, titleId: string): Promise<SeeAlsoSource[]> {
  if (!p.core.host.isEnabled('oai-pmh')) return [];
  const rows = (await p.core.ds.query('SELECT deleted FROM oai_item WHERE title_id = ?', [titleId])) as { deleted: number | boolean }[];
  if (!rows[0] || Number(rows[0].deleted)) return [];
  const oai = p.core.host.get('oai-pmh').config as OaiConfig;
  const repoId = repositoryIdentifierOf(oai, p.core.config.server.baseUrl);
  const u = urlsOf(p);
  const base = p.core.url(oai.path);
  return p.core.formats.all().map((f) => ({
    url: u.oaiGetRecord(f.prefix, repoId, titleId).replace(`${u.base}/oai?`, `${base}?`),
    format: 'text/xml',
    profile: f.namespace,
    label: `${f.prefix} record (OAI-PMH)`,
  }));
}

/**
 * The collections that have a IIIF collection: published, below published ancestors only (an
 * unpublished collection hides its whole branch), by id, in tree order (position, name).
 */
export async function publishedCollections(p: P): Promise<Map<string, Collection>> {
  const all = await p.core.ds.getRepository(Collection).find({ order: { position: 'ASC', name: 'ASC' } });
  const byId = new Map(all.map((c) => [c.id, c]));
  const visible = (c: Collection, depth = 0): boolean => {
    if (!c.published || depth > 100) return false;
    if (!c.parentId) return true;
    const parent = byId.get(c.parentId);
    return Boolean(parent && visible(parent, depth + 1));
  };
  return new Map(all.filter((c) => visible(c)).map((c) => [c.id, c]));
}

/** The IIIF collections a title belongs to: its own, then its published collections. */
async function partOfOf(p: P, title: Title): Promise<PartOfSource[]> {
  const u = urlsOf(p);
  const rows = (await p.core.ds.query('SELECT collection_id AS id FROM title_collection WHERE title_id = ?', [title.id])) as { id: string }[];
  const published = rows.length ? await publishedCollections(p) : new Map<string, Collection>();
  const cols = [...published.values()].filter((c) => rows.some((r) => r.id === c.id));
  return [
    { id3: u.titleCollection(3, title.id), id2: u.titleCollection(2, title.id), label: title.displayTitle || title.id },
    ...cols.map((c) => ({ id3: u.collection(3, c.id), id2: u.collection(2, c.id), label: c.name })),
  ];
}

/** The columns of a file that a manifest shows. */
type ManifestFile = Pick<DigitalFile, 'id' | 'sequence' | 'mimeType' | 'label' | 'section' | 'width' | 'height' | 'duration' | 'pageCount' | 'thumbnailKey'>;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * A representation's files in sequence, only the columns a manifest needs, read without entity
 * hydration: a representation may hold thousands of files, and this read is most of a build's
 * database time.
 */
async function manifestFiles(p: P, repId: string): Promise<ManifestFile[]> {
  const rows = (await p.core.ds.query(
    `SELECT id, sequence, mime_type AS mimeType, label, section, width, height, duration, page_count AS pageCount, thumbnail_key AS thumbnailKey
       FROM file WHERE representation_id = ? ORDER BY sequence, id`,
    [repId],
  )) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: String(r.id),
    sequence: Number(r.sequence),
    mimeType: String(r.mimeType),
    label: typeof r.label === 'string' ? r.label : '',
    section: typeof r.section === 'string' ? r.section : null,
    width: num(r.width),
    height: num(r.height),
    duration: num(r.duration),
    pageCount: num(r.pageCount),
    thumbnailKey: typeof r.thumbnailKey === 'string' ? r.thumbnailKey : null,
  }));
}

/** Read everything a representation's manifest shows (null when it is not published). */
export async function loadManifestSource(p: P, repId: string): Promise<ManifestSource | null> {
  const found = await publishedRepresentation(p, repId);
  if (!found) return null;
  const { rep, title } = found;
  const u = urlsOf(p);
  const profile = await profileOf(p, rep);
  const restricted = restricts(profile);
  const image = p.core.host.isEnabled('iiif-image') ? p.core.host.service<IiifImageState>('iiif-image') : undefined;
  const files = rep.remote ? [] : await manifestFiles(p, rep.id);
  const sources: FileSource[] = files.map((f) => {
    const kind = fileKind(f.mimeType);
    const served = Boolean(image) && IMAGE_SERVED.test(f.mimeType) && Boolean(f.width && f.height);
    return {
      id: f.id,
      sequence: f.sequence,
      kind,
      mimeType: f.mimeType,
      label: f.label,
      section: f.section,
      width: f.width,
      height: f.height,
      duration: f.duration,
      pageCount: f.pageCount,
      imageService: served ? { v3: u.imageService(3, f.id), v2: u.imageService(2, f.id), level: 'level2' } : null,
      // The content route checks access itself; no storage or staff URL is ever published.
      contentUrl: image ? u.content(f.id) : null,
      thumbnail: f.thumbnailKey ? { url: u.fileThumbnail(f.id) } : null,
      restricted,
      probeService: restricted && image ? image.auth.probeService(f.id, profile) : null,
      pageImages: null,
    };
  });
  return {
    ids: { manifest3: u.manifest(3, rep.id), manifest2: u.manifest(2, rep.id) },
    title: { id: title.id, dc: title.dc },
    representation: {
      id: rep.id,
      label: rep.label,
      usageType: rep.usageType,
      remote: rep.remote,
      remoteManifestUrl: rep.remoteManifestUrl,
      deliveryUrl: rep.deliveryUrl,
      publicNote: rep.publicNote,
    },
    files: sources,
    thumbnail: rep.thumbnailKey && !restricted ? { url: u.representationThumbnail(rep.id) } : null,
    rights: { uri: profile?.rightsUri ?? null, statement: profile?.copyrightStatement ?? null },
    provider: providerOf(p),
    viewerUrl: u.viewer(rep.id),
    landingPageUrl: u.landingPage(title.id),
    seeAlso: await seeAlsoOf(p, title.id),
    partOf: await partOfOf(p, title),
  };
}
