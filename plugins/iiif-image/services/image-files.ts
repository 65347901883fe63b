import type { DataSource } from 'typeorm';
import { AccessRightsProfile } from '../../../core/db/entities/access-rights-profile.entity';

/** What an image request needs to know of a file, read in one query and kept briefly. */
export interface ImageFile {
  id: string;
  representationId: string;
  titleId: string;
  mimeType: string;
  width: number | null;
  height: number | null;
  sha256: string;
  storageKey: string;
  connectorId: string | null;
  updatedAt: Date;
  /** Null: the default profile. */
  profile: AccessRightsProfile | null;
  derivative: {
    status: string;
    sourceSha256: string;
    connectorId: string | null;
    storageKey: string | null;
    width: number | null;
    height: number | null;
    tileSize: number | null;
    levels: { width: number; height: number }[] | null;
  } | null;
}

interface Row {
  id: string;
  representationId: string;
  titleId: string;
  mimeType: string;
  width: number | null;
  height: number | null;
  sha256: string;
  storageKey: string;
  connectorId: string | null;
  updatedAt: Date | string;
  profileId: string | null;
  dStatus: string | null;
  dSha: string | null;
  dConnector: string | null;
  dKey: string | null;
  dWidth: number | null;
  dHeight: number | null;
  dTile: number | null;
  dLevels: string | null;
}

const TTL_MS = 5000;
const MAX_ENTRIES = 10000;

/**
 * Looks up the file behind an image request: only files of active, local representations of
 * titles that are not suppressed are served. Answers are kept for a few seconds (tile requests
 * come in bursts) and dropped at once when this instance sees the file, its representation,
 * or a profile change; other instances see changes within the TTL.
 */
export class ImageFiles {
  private readonly cache = new Map<string, { at: number; file: ImageFile | null }>();
  private profiles: { at: number; byId: Map<string, AccessRightsProfile>; fallback: AccessRightsProfile | null } | null = null;

  constructor(private readonly ds: DataSource) {}

  /** The file, or null when it is unknown or not published. */
  async get(fileId: string): Promise<ImageFile | null> {
    const now = Date.now();
    const hit = this.cache.get(fileId);
    if (hit && now - hit.at < TTL_MS) return hit.file;
    const file = await this.load(fileId);
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(fileId, { at: now, file });
    return file;
  }

  /** Forget what is known (after a change this instance committed). */
  forget(fileId?: string): void {
    if (fileId) this.cache.delete(fileId);
    else {
      this.cache.clear();
      this.profiles = null;
    }
  }

  private async load(fileId: string): Promise<ImageFile | null> {
    // File ids are UUIDs; anything else cannot exist (and must not reach the database as is).
    if (!/^[0-9a-fA-F-]{36}$/.test(fileId)) return null;
    const rows = (await this.ds.query(
      `SELECT f.id AS id, f.representation_id AS representationId, r.title_id AS titleId, f.mime_type AS mimeType,
              f.width AS width, f.height AS height, f.sha256 AS sha256, f.storage_key AS storageKey,
              r.storage_connector_id AS connectorId, f.updated_at AS updatedAt, r.access_rights_profile_id AS profileId,
              d.status AS dStatus, d.source_sha256 AS dSha, d.connector_id AS dConnector, d.storage_key AS dKey,
              d.width AS dWidth, d.height AS dHeight, d.tile_size AS dTile, d.levels AS dLevels
         FROM file f
         JOIN representation r ON r.id = f.representation_id
         JOIN title t ON t.id = r.title_id
         LEFT JOIN iiif_derivative d ON d.file_id = f.id
        WHERE f.id = ? AND r.active = ? AND r.remote = ? AND t.suppressed = ?`,
      [fileId, 1, 0, 0],
    )) as Row[];
    const r = rows[0];
    if (!r) return null;
    const profile = await this.profile(r.profileId);
    const updatedAt = r.updatedAt instanceof Date ? r.updatedAt : new Date(`${String(r.updatedAt).replace(' ', 'T')}Z`);
    return {
      id: r.id,
      representationId: r.representationId,
      titleId: r.titleId,
      mimeType: r.mimeType,
      width: r.width === null ? null : Number(r.width),
      height: r.height === null ? null : Number(r.height),
      sha256: r.sha256,
      storageKey: r.storageKey,
      connectorId: r.connectorId,
      updatedAt,
      profile,
      derivative: r.dStatus
        ? {
            status: r.dStatus,
            sourceSha256: r.dSha ?? '',
            connectorId: r.dConnector,
            storageKey: r.dKey,
            width: r.dWidth === null ? null : Number(r.dWidth),
            height: r.dHeight === null ? null : Number(r.dHeight),
            tileSize: r.dTile === null ? null : Number(r.dTile),
            levels: r.dLevels ? (JSON.parse(r.dLevels) as { width: number; height: number }[]) : null,
          }
        : null,
    };
  }

  private async profile(id: string | null): Promise<AccessRightsProfile | null> {
    const now = Date.now();
    if (!this.profiles || now - this.profiles.at >= TTL_MS) {
      const all = await this.ds.getRepository(AccessRightsProfile).find();
      this.profiles = { at: now, byId: new Map(all.map((p) => [p.id, p])), fallback: all.find((p) => p.isDefault) ?? null };
    }
    return (id ? this.profiles.byId.get(id) : undefined) ?? this.profiles.fallback;
  }
}
