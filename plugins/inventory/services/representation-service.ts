import { In, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { AccessRightsProfile } from '../../../core/db/entities/access-rights-profile.entity';
import { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import { Representation, USAGE_TYPES } from '../../../core/db/entities/representation.entity';
import { Title } from '../../../core/db/entities/title.entity';
import type { UnitOfWork } from '../../../core/db/unit-of-work';
import type { CoreServices } from '../../../core/plugin/types';
import type { InventoryConfig } from '../config';
import { InventoryErrors } from '../errors';
import { connectorOf, deleteObjects, type StoredRef } from './stored-objects';
import { representationObjects } from './title-writer';

const httpUrl = z.string().url().max(2048).refine((u) => /^https?:\/\//i.test(u), 'an http(s) URL');

export const remoteInput = z.strictObject({
  /** Code of a configured remote repository whose templates build the URLs. */
  repository: z.string().max(255).optional(),
  linkingParameters: z.record(z.string().regex(/^[A-Za-z0-9_]+$/), z.string().max(1000)).default({}),
  originatingRecordId: z.string().max(255).optional(),
  /** Explicit URLs win over the repository's templates. */
  deliveryUrl: httpUrl.optional(),
  thumbnailUrl: httpUrl.optional(),
  manifestUrl: httpUrl.optional(),
});

export const representationCreate = z.strictObject({
  usageType: z.enum(USAGE_TYPES),
  label: z.string().max(500).default(''),
  active: z.boolean().default(true),
  storageConnectorId: z.string().min(1).max(64).optional(),
  accessRightsProfileId: z.string().uuid().nullish(),
  publicNote: z.string().max(20000).nullish(),
  remote: remoteInput.optional(),
});
export const representationUpdate = z.strictObject({
  usageType: z.enum(USAGE_TYPES).optional(),
  label: z.string().max(500).optional(),
  active: z.boolean().optional(),
  accessRightsProfileId: z.string().uuid().nullish(),
  publicNote: z.string().max(20000).nullish(),
  remote: remoteInput.optional(),
});
export const filePatch = z.strictObject({
  label: z.string().max(500).optional(),
  section: z.string().max(500).nullish(),
});
export const fileOrder = z.strictObject({ fileIds: z.array(z.string().uuid()).min(1) });

/** Fill `{name}` placeholders from linking parameters, URL-encoded; a missing one is an error naming it. */
export function fillTemplate(template: string, params: Record<string, string>, what: string): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw InventoryErrors.REMOTE_INVALID(`The ${what} template needs the linking parameter "${name}"`);
    return encodeURIComponent(v);
  });
}

/** Representations of titles and the metadata and order of their files. */
export class RepresentationService {
  constructor(
    private readonly core: CoreServices,
    private readonly config: InventoryConfig,
  ) {}

  async get(id: string): Promise<{ rep: Representation; files: DigitalFile[] }> {
    const rep = await loadRepresentation(this.core.ds.manager, id);
    const files = await this.core.ds.getRepository(DigitalFile).find({ where: { representationId: id }, order: { sequence: 'ASC' } });
    return { rep, files };
  }

  async listForTitle(titleId: string): Promise<Representation[]> {
    if (!(await this.core.ds.getRepository(Title).existsBy({ id: titleId }))) throw InventoryErrors.TITLE_NOT_FOUND(`No title ${titleId}`);
    return this.core.ds.getRepository(Representation).find({ where: { titleId }, order: { createdAt: 'ASC' } });
  }

  async getFile(id: string): Promise<{ file: DigitalFile; rep: Representation }> {
    const file = await this.core.ds.getRepository(DigitalFile).findOneBy({ id });
    if (!file) throw InventoryErrors.FILE_NOT_FOUND(`No file ${id}`);
    return { file, rep: await loadRepresentation(this.core.ds.manager, file.representationId) };
  }

  create(titleId: string, input: z.infer<typeof representationCreate>, actor?: string): Promise<Representation> {
    return this.core.unitOfWork(async (uow) => {
      const data = await uow.filter('representation.create', { titleId, ...input });
      const m = uow.manager;
      if (!(await m.existsBy(Title, { id: titleId }))) throw InventoryErrors.TITLE_NOT_FOUND(`No title ${titleId}`);
      if (data.accessRightsProfileId) await assertProfile(m, data.accessRightsProfileId);
      const r = m.create(Representation, {
        titleId,
        usageType: data.usageType,
        label: data.label,
        active: data.active,
        accessRightsProfileId: data.accessRightsProfileId ?? null,
        publicNote: data.publicNote ?? null,
        remote: false,
        storageConnectorId: null,
        remoteRepository: null,
        linkingParameters: null,
        originatingRecordId: null,
        deliveryUrl: null,
        thumbnailUrl: null,
        remoteManifestUrl: null,
        thumbnailKey: null,
      });
      if (data.remote) {
        if (data.storageConnectorId) throw InventoryErrors.REMOTE_INVALID('A remote representation holds no files: give either remote or storageConnectorId');
        this.applyRemote(r, data.remote);
      } else {
        r.storageConnectorId = connectorOf(this.core.storage, data.storageConnectorId ?? this.config.defaultStorage).id;
      }
      await m.save(r);
      await uow.record('representation', r.id, 'create', { titleId });
      return r;
    }, { actor });
  }

  update(id: string, input: z.infer<typeof representationUpdate>, actor?: string): Promise<Representation> {
    return this.core.unitOfWork(async (uow) => {
      const data = await uow.filter('representation.update', { id, ...input });
      const m = uow.manager;
      const r = await loadRepresentation(m, id);
      if (data.usageType !== undefined) r.usageType = data.usageType;
      if (data.label !== undefined) r.label = data.label;
      if (data.active !== undefined) r.active = data.active;
      if (data.publicNote !== undefined) r.publicNote = data.publicNote ?? null;
      if (data.accessRightsProfileId !== undefined) {
        if (data.accessRightsProfileId) await assertProfile(m, data.accessRightsProfileId);
        r.accessRightsProfileId = data.accessRightsProfileId ?? null;
      }
      if (data.remote) {
        if (!r.remote) throw InventoryErrors.REMOTE_INVALID('Only a remote representation has remote links');
        this.applyRemote(r, data.remote);
      }
      await m.save(r);
      await uow.record('representation', r.id, 'update', { titleId: r.titleId, payload: { fields: Object.keys(input) } });
      return r;
    }, { actor });
  }

  /** Within a unit of work (bulk): set fields of a representation; false when nothing changed. */
  async set(uow: UnitOfWork, r: Representation, change: { active?: boolean; accessRightsProfileId?: string | null }): Promise<boolean> {
    const fields: string[] = [];
    if (change.active !== undefined && change.active !== r.active) {
      r.active = change.active;
      fields.push('active');
    }
    if (change.accessRightsProfileId !== undefined && change.accessRightsProfileId !== r.accessRightsProfileId) {
      r.accessRightsProfileId = change.accessRightsProfileId;
      fields.push('accessRightsProfileId');
    }
    if (!fields.length) return false;
    await uow.filter('representation.update', { id: r.id, ...change });
    await uow.manager.update(Representation, { id: r.id }, { active: r.active, accessRightsProfileId: r.accessRightsProfileId });
    await uow.record('representation', r.id, 'update', { titleId: r.titleId, payload: { fields } });
    return true;
  }

  async remove(id: string, actor?: string): Promise<void> {
    const objects: StoredRef[] = [];
    await this.core.unitOfWork(async (uow) => {
      await uow.filter('representation.delete', { id });
      const m = uow.manager;
      const r = await loadRepresentation(m, id);
      objects.push(...(await representationObjects(m, r)));
      await m.delete(DigitalFile, { representationId: id });
      await m.delete(Representation, { id });
      await uow.record('representation', id, 'delete', { titleId: r.titleId });
    }, { actor });
    await deleteObjects(this.core.storage, objects, this.core.logger);
  }

  patchFile(id: string, input: z.infer<typeof filePatch>, actor?: string): Promise<DigitalFile> {
    return this.core.unitOfWork(async (uow) => {
      const m = uow.manager;
      const f = await loadFile(m, id);
      const data = await uow.filter('file.update', { id, ...input });
      if (data.label !== undefined) f.label = data.label;
      if (data.section !== undefined) f.section = data.section ?? null;
      await m.save(f);
      const rep = await loadRepresentation(m, f.representationId);
      await uow.record('file', f.id, 'update', { titleId: rep.titleId, payload: { fields: Object.keys(input) } });
      return f;
    }, { actor });
  }

  /** Give the files of a representation a new order: every file named exactly once. */
  reorder(representationId: string, fileIds: string[], actor?: string): Promise<DigitalFile[]> {
    return this.core.unitOfWork(async (uow) => {
      const m = uow.manager;
      const rep = await loadRepresentation(m, representationId);
      const files = await m.find(DigitalFile, { where: { representationId }, order: { sequence: 'ASC' } });
      const known = new Set(files.map((f) => f.id));
      const named = new Set(fileIds);
      const unknown = fileIds.filter((i) => !known.has(i));
      const missing = files.filter((f) => !named.has(f.id)).map((f) => f.id);
      if (unknown.length || missing.length || named.size !== fileIds.length) {
        throw InventoryErrors.ORDER_INVALID(
          [
            unknown.length ? `not files of this representation: ${unknown.join(', ')}` : '',
            missing.length ? `missing: ${missing.join(', ')}` : '',
            named.size !== fileIds.length ? 'some files are named twice' : '',
          ].filter(Boolean).join('; '),
        );
      }
      await uow.filter('representation.reorder', { representationId, fileIds });
      const byId = new Map(files.map((f) => [f.id, f]));
      // Two passes so the (representation, sequence) pairs never collide mid-way.
      for (const [i, fid] of fileIds.entries()) await m.update(DigitalFile, { id: fid }, { sequence: -(i + 1) });
      const out: DigitalFile[] = [];
      for (const [i, fid] of fileIds.entries()) {
        await m.update(DigitalFile, { id: fid }, { sequence: i + 1 });
        const f = byId.get(fid);
        if (f) out.push(Object.assign(f, { sequence: i + 1 }));
      }
      await uow.record('representation', representationId, 'update', { titleId: rep.titleId, payload: { order: true } });
      return out;
    }, { actor });
  }

  async removeFile(id: string, actor?: string): Promise<void> {
    const objects: StoredRef[] = [];
    await this.core.unitOfWork(async (uow) => {
      const m = uow.manager;
      const f = await loadFile(m, id);
      await uow.filter('file.delete', { id });
      const rep = await loadRepresentation(m, f.representationId);
      if (rep.storageConnectorId) {
        objects.push({ connectorId: rep.storageConnectorId, key: f.storageKey });
        if (f.thumbnailKey) objects.push({ connectorId: rep.storageConnectorId, key: f.thumbnailKey });
      }
      await m.delete(DigitalFile, { id });
      const rest = await m.find(DigitalFile, { where: { representationId: rep.id }, order: { sequence: 'ASC' } });
      for (const [i, g] of rest.entries()) if (g.sequence !== i + 1) await m.update(DigitalFile, { id: g.id }, { sequence: i + 1 });
      await uow.record('file', id, 'delete', { titleId: rep.titleId, payload: { representationId: rep.id } });
    }, { actor });
    await deleteObjects(this.core.storage, objects, this.core.logger);
  }

  /** Resolve remote links from the configured repository's templates and the linking parameters. */
  private applyRemote(r: Representation, remote: z.infer<typeof remoteInput>): void {
    const repos = this.config.remoteRepositories;
    const repo = remote.repository ? repos[remote.repository] : undefined;
    if (remote.repository && !repo) {
      throw InventoryErrors.REMOTE_INVALID(`No remote repository "${remote.repository}"; configured: ${Object.keys(repos).join(', ') || 'none'}`);
    }
    const params = remote.linkingParameters;
    const delivery = remote.deliveryUrl ?? (repo ? fillTemplate(repo.deliveryUrlTemplate, params, 'delivery URL') : undefined);
    if (!delivery) throw InventoryErrors.REMOTE_INVALID('A remote representation needs a repository (with linking parameters) or a deliveryUrl');
    r.remote = true;
    r.storageConnectorId = null;
    r.remoteRepository = remote.repository ?? null;
    r.linkingParameters = Object.keys(params).length ? params : null;
    r.originatingRecordId = remote.originatingRecordId ?? null;
    r.deliveryUrl = delivery;
    r.thumbnailUrl = remote.thumbnailUrl ?? (repo?.thumbnailUrlTemplate ? fillTemplate(repo.thumbnailUrlTemplate, params, 'thumbnail URL') : null);
    r.remoteManifestUrl = remote.manifestUrl ?? (repo?.manifestUrlTemplate ? fillTemplate(repo.manifestUrlTemplate, params, 'manifest URL') : null);
  }
}

export async function loadRepresentation(m: EntityManager, id: string): Promise<Representation> {
  const r = await m.findOneBy(Representation, { id });
  if (!r) throw InventoryErrors.REPRESENTATION_NOT_FOUND(`No representation ${id}`);
  return r;
}

export async function loadFile(m: EntityManager, id: string): Promise<DigitalFile> {
  const f = await m.findOneBy(DigitalFile, { id });
  if (!f) throw InventoryErrors.FILE_NOT_FOUND(`No file ${id}`);
  return f;
}

async function assertProfile(m: EntityManager, id: string): Promise<void> {
  if (!(await m.existsBy(AccessRightsProfile, { id }))) throw InventoryErrors.PROFILE_NOT_FOUND(`No access rights profile ${id}`);
}

/** Where a representation's thumbnail comes from: staff-supplied, else its first file's, else the remote one. */
export function representationThumbnail(r: Representation, files: DigitalFile[], url: (p: string) => string): string | null {
  if (r.thumbnailKey) return url(`/thumbnails/representations/${r.id}`);
  const first = files.find((f) => f.thumbnailKey);
  if (first) return url(`/thumbnails/files/${first.id}`);
  return r.thumbnailUrl;
}

/** A title's thumbnail as Alma chooses it: the first active derivative's, else the primary's, else a remote one. */
export function titleThumbnail(reps: { rep: Representation; files: DigitalFile[] }[], url: (p: string) => string): string | null {
  const active = reps.filter((x) => x.rep.active);
  const order = [
    ...active.filter((x) => x.rep.usageType === 'derivative' && !x.rep.remote),
    ...active.filter((x) => x.rep.usageType === 'primary' && !x.rep.remote),
    ...active.filter((x) => x.rep.remote),
  ];
  for (const x of order) {
    const t = representationThumbnail(x.rep, x.files, url);
    if (t) return t;
  }
  return null;
}

export function fileView(f: DigitalFile, url: (p: string) => string): Record<string, unknown> {
  return {
    id: f.id, representationId: f.representationId, sequence: f.sequence, label: f.label, section: f.section,
    originalName: f.originalName, mimeType: f.mimeType, size: f.size, sha256: f.sha256,
    width: f.width, height: f.height, duration: f.duration, pageCount: f.pageCount,
    thumbnail: { status: f.thumbnailStatus, url: f.thumbnailKey ? url(`/thumbnails/files/${f.id}`) : null },
    fixity: { status: f.fixityStatus, checkedAt: f.fixityCheckedAt?.toISOString() ?? null, detail: f.fixityDetail },
    createdAt: f.createdAt.toISOString(), updatedAt: f.updatedAt.toISOString(),
  };
}

export function representationView(r: Representation, files: DigitalFile[] | undefined, url: (p: string) => string): Record<string, unknown> {
  return {
    id: r.id, titleId: r.titleId, usageType: r.usageType, label: r.label, active: r.active,
    storageConnectorId: r.storageConnectorId, accessRightsProfileId: r.accessRightsProfileId, publicNote: r.publicNote,
    remote: r.remote
      ? {
          repository: r.remoteRepository, linkingParameters: r.linkingParameters ?? {}, originatingRecordId: r.originatingRecordId,
          deliveryUrl: r.deliveryUrl, thumbnailUrl: r.thumbnailUrl, manifestUrl: r.remoteManifestUrl,
        }
      : null,
    thumbnail: files ? representationThumbnail(r, files, url) : undefined,
    ...(files ? { files: files.map((f) => fileView(f, url)) } : {}),
    createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
  };
}

/** Files of many representations at once, in sequence. */
export async function filesByRepresentation(m: EntityManager, repIds: string[]): Promise<Map<string, DigitalFile[]>> {
  const out = new Map<string, DigitalFile[]>(repIds.map((id) => [id, []]));
  if (!repIds.length) return out;
  const files = await m.find(DigitalFile, { where: { representationId: In(repIds) }, order: { sequence: 'ASC' } });
  for (const f of files) out.get(f.representationId)?.push(f);
  return out;
}
