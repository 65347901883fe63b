import { In, type EntityManager } from 'typeorm';
import { Collection } from '../../../core/db/entities/collection.entity';
import type { ChangeEvent } from '../../../core/db/entities/change-event.entity';
import { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import { Representation } from '../../../core/db/entities/representation.entity';
import { Title } from '../../../core/db/entities/title.entity';
import type { RenderContext, RepresentationLink } from '../../../core/formats';
import type { CoreServices } from '../../../core/plugin/types';
import type { OaiConfig } from '../config';
import { OaiItem, OaiItemSet, OaiRecord } from '../entities/oai-item.entity';

/** The setSpecs a collection path stands for: itself and every ancestor ("a:b:c" → a, a:b, a:b:c). */
export function ancestorSpecs(path: string): string[] {
  const parts = path.split(':');
  return parts.map((_, i) => parts.slice(0, i + 1).join(':'));
}

/**
 * Brings OAI items up to date for titles that changed, inside the unit of work that changed
 * them: the item's datestamp is the title's, sets come from the published collections (with
 * their ancestors) and the configured publishing sets, and each format's XML is rendered now,
 * so that a harvest only reads stored strings. A title that is deleted, suppressed, or (by
 * default) left without an active representation becomes a deleted item, kept for ever.
 */
export class ItemBuilder {
  constructor(
    private readonly core: CoreServices,
    private readonly config: OaiConfig,
    private readonly repositoryIdentifier: string,
  ) {}

  oaiIdentifier(titleId: string): string {
    return `oai:${this.repositoryIdentifier}:${titleId}`;
  }

  async update(m: EntityManager, datestamp: Date, changed: string[], deleted: ChangeEvent[]): Promise<void> {
    const titles = changed.length ? await m.findBy(Title, { id: In(changed) }) : [];
    const byId = new Map(titles.map((t) => [t.id, t]));
    const collections = new Map((await m.find(Collection)).map((c) => [c.id, c]));
    const publishedPaths = new Set([...collections.values()].filter((c) => c.published).map((c) => c.path));
    for (const id of changed) {
      const t = byId.get(id);
      if (t) await this.build(m, t, datestamp, collections, publishedPaths);
      else await this.retire(m, id, datestamp, null);
    }
    for (const ev of deleted) {
      const sets = Array.isArray(ev.payload?.sets) ? (ev.payload.sets as string[]) : null;
      await this.retire(m, ev.objectId, datestamp, sets);
    }
  }

  private async build(m: EntityManager, t: Title, datestamp: Date, collections: Map<string, Collection>, publishedPaths: Set<string>): Promise<void> {
    const reps = await m.find(Representation, { where: { titleId: t.id, active: true }, order: { createdAt: 'ASC', id: 'ASC' } });
    if (t.suppressed || (this.config.publish === 'with-representation' && !reps.length)) {
      await this.retire(m, t.id, datestamp, null);
      return;
    }
    const memberOf = (await m.query('SELECT collection_id AS id FROM title_collection WHERE title_id = ?', [t.id])) as { id: string }[];
    const paths = memberOf.map((r) => collections.get(r.id)?.path).filter((p): p is string => !!p);
    const specs = new Set<string>();
    // A published collection whose ancestors are all published is a set (ListSets shows the same);
    // its ancestors' sets include it.
    for (const p of paths) {
      const chain = ancestorSpecs(p);
      if (chain.every((s) => publishedPaths.has(s))) for (const s of chain) specs.add(s);
    }
    for (const [spec, def] of Object.entries(this.config.sets)) {
      if (def.sourceFormat && def.sourceFormat !== t.sourceFormat) continue;
      if (def.hasActiveRepresentation !== undefined && def.hasActiveRepresentation !== reps.length > 0) continue;
      if (def.usageType && !reps.some((r) => r.usageType === def.usageType)) continue;
      if (def.collections && !def.collections.some((code) => paths.some((p) => p.split(':').includes(code)))) continue;
      specs.add(spec);
    }
    const sets = [...specs].sort();
    const ctx = await this.context(m, t, reps);
    const records: { prefix: string; xml: string }[] = [];
    for (const f of this.core.formats.all()) {
      if (!f.supports(t)) continue;
      try {
        records.push({ prefix: f.prefix, xml: await f.render(t, ctx) });
      } catch (err) {
        // One format failing on one record must not block edits of the title: that format is
        // left out (cannotDisseminateFormat) and the failure logged for staff to fix the record.
        this.core.logger.error({ err, titleId: t.id, prefix: f.prefix }, 'OAI-PMH: record could not be rendered in this format');
      }
    }
    await m.upsert(OaiItem, { titleId: t.id, datestamp, deleted: false, setSpecs: JSON.stringify(sets) }, ['titleId']);
    await this.replaceSets(m, t.id, sets, datestamp);
    await m.delete(OaiRecord, { titleId: t.id });
    if (records.length) await m.insert(OaiRecord, records.map((r) => ({ titleId: t.id, ...r })));
  }

  /** Mark an item deleted (if it was ever published); its sets stay, for selective harvests. */
  private async retire(m: EntityManager, titleId: string, datestamp: Date, sets: string[] | null): Promise<void> {
    const item = await m.findOneBy(OaiItem, { titleId });
    if (!item) return;
    await m.delete(OaiRecord, { titleId });
    if (item.deleted) return;
    const keep = (JSON.parse(item.setSpecs) as string[]) ?? sets ?? [];
    await m.update(OaiItem, { titleId }, { deleted: true, datestamp });
    await this.replaceSets(m, titleId, keep, datestamp);
  }

  private async replaceSets(m: EntityManager, titleId: string, sets: string[], datestamp: Date): Promise<void> {
    await m.delete(OaiItemSet, { titleId });
    if (sets.length) await m.insert(OaiItemSet, sets.map((setSpec) => ({ titleId, setSpec, datestamp })));
  }

  /** Links to the title's published representations, for formats that carry them (MARC 856, MODS location). */
  private async context(m: EntityManager, t: Title, reps: Representation[]): Promise<RenderContext> {
    const files = reps.length ? await m.find(DigitalFile, { where: { representationId: In(reps.map((r) => r.id)) }, order: { sequence: 'ASC' } }) : [];
    const presentation = this.core.host.isEnabled('iiif-presentation');
    const links: RepresentationLink[] = reps.map((r) => {
      const own = files.filter((f) => f.representationId === r.id);
      return {
        representationId: r.id,
        usageType: r.usageType,
        label: r.label,
        deliveryUrl: r.remote ? (r.deliveryUrl ?? '') : this.core.url(`/view/${r.id}`),
        manifestUrl: r.remote ? r.remoteManifestUrl : presentation ? this.core.url(`/iiif/presentation/3/${r.id}/manifest`) : null,
        thumbnailUrl: r.remote ? r.thumbnailUrl : own.some((f) => f.thumbnailKey) || r.thumbnailKey ? this.core.url(`/thumbnails/representations/${r.id}`) : null,
        mimeTypes: [...new Set(own.map((f) => f.mimeType))],
        remote: r.remote,
      };
    });
    return { links: links.filter((l) => l.deliveryUrl), oaiIdentifier: this.oaiIdentifier(t.id), titleUrl: this.core.url(`/titles/${t.id}`) };
  }
}
