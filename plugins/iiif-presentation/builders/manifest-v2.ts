/**
 * IIIF Presentation 2.1 manifest of one representation, written directly in 2.1's own model
 * (sequences, canvases with image annotations, ImageService2, `license`, `attribution`,
 * `logo`, `related`, `within`, `viewingHint`, ranges with `ranges`/`canvases`/`members`) from
 * the same plan as the 3.0 manifest. Not iiif-builder's `toPresentation2`: that conversion
 * keeps 3.0 image services and 3.0-only shapes a 2.1 client cannot use.
 *
 * 2.1 has no audio or video on canvases, so those files are `rendering` links here, as are
 * PDFs and other downloads. The Authorization Flow 2.0 services are not repeated: they are
 * defined for 3.0 resources, and a 2.1 client would not use them; restricted content stays
 * behind the access-checked image services and content URLs either way.
 *
 * Spec: https://iiif.io/api/presentation/2.1/
 */
import { PresentationBuilderErrors } from './builder-errors';
import { descriptiveProperties, firstValue, toLanguageMap, type Descriptive } from './descriptive-properties';
import { manifestBase } from './iiif-urls';
import { fitWithin, planManifest, THUMBNAIL_SIZE, type CanvasPlan, type ManifestPlan, type ThumbnailPlan } from './manifest-plan';
import type { ImageServiceSource, LanguageMap, ManifestSource } from './manifest-source';
import { isRemoteOnly, type JsonObject } from './manifest-v3';

export const PRESENTATION2_CONTEXT = 'http://iiif.io/api/presentation/2/context.json';
export const IMAGE2_CONTEXT = 'http://iiif.io/api/image/2/context.json';

/** A 2.1 property value: a string, or a list of strings and language-tagged values (§4.3). */
export type Value2 = string | (string | { '@value': string; '@language': string })[];

/** A 3.0 language map as a 2.1 value: "none" values as plain strings, others with @language. */
export function languageMapTo2(map: LanguageMap): Value2 {
  const out: (string | { '@value': string; '@language': string })[] = [];
  for (const [lang, values] of Object.entries(map)) {
    for (const v of values) out.push(lang === 'none' ? v : { '@value': v, '@language': lang });
  }
  return out.length === 1 && typeof out[0] === 'string' ? out[0] : out;
}

/** The 2.1 image service reference: Image API 2 context, @id and compliance profile. */
export function imageService2(s: ImageServiceSource): JsonObject {
  return { '@context': IMAGE2_CONTEXT, '@id': s.v2, profile: `http://iiif.io/api/image/2/${s.level ?? 'level2'}.json` };
}

function thumbnail2(t: ThumbnailPlan | null): JsonObject | null {
  if (!t) return null;
  const service = t.service?.v2 ? { service: imageService2(t.service) } : {};
  if (t.image?.url) {
    return {
      '@id': t.image.url, '@type': 'dctypes:Image', ...(t.image.format ? { format: t.image.format } : {}),
      ...(t.image.width && t.image.height ? { width: t.image.width, height: t.image.height } : {}), ...service,
    };
  }
  if (!t.service?.v2) return null;
  const size = t.width && t.height ? fitWithin(t.width, t.height, THUMBNAIL_SIZE) : {};
  return { '@id': `${t.service.v2}/full/!${THUMBNAIL_SIZE},${THUMBNAIL_SIZE}/0/default.jpg`, '@type': 'dctypes:Image', format: 'image/jpeg', ...size, ...service };
}

/** The image resource of an image canvas: the v2 service if any, else the v3 service's URL, else the file. */
function imageResource(c: CanvasPlan): JsonObject {
  const s = c.imageService;
  if (s?.v2) return { '@id': `${s.v2}/full/full/0/default.jpg`, '@type': 'dctypes:Image', format: 'image/jpeg', width: c.width, height: c.height, service: imageService2(s) };
  if (s?.v3) return { '@id': `${s.v3}/full/max/0/default.jpg`, '@type': 'dctypes:Image', format: 'image/jpeg', width: c.width, height: c.height };
  return { '@id': c.contentUrl, '@type': 'dctypes:Image', format: c.format, width: c.width, height: c.height };
}

function canvas2(base: string, c: CanvasPlan): JsonObject {
  const id = `${base}/canvas/${c.key}`;
  const thumb = c.thumbnail ? thumbnail2({ image: c.thumbnail, service: c.imageService, width: c.width, height: c.height }) : null;
  return {
    '@id': id,
    '@type': 'sc:Canvas',
    label: c.label,
    width: c.width,
    height: c.height,
    ...(thumb ? { thumbnail: thumb } : {}),
    images: [{ '@id': `${base}/annotation/${c.key}`, '@type': 'oa:Annotation', motivation: 'sc:painting', resource: imageResource(c), on: id }],
  };
}

/** 2.1 ranges (§5.6): a top "Contents" range, then one range per section, as a flat list. */
function structures2(base: string, plan: ManifestPlan, shown: Set<string>): JsonObject[] | null {
  if (!plan.structure) return null;
  const canvasId = (key: string): string => `${base}/canvas/${key}`;
  const labels = new Map(plan.canvases.map((c) => [c.key, c.label]));
  const sections: JsonObject[] = [];
  const members: JsonObject[] = [];
  for (const e of plan.structure) {
    if ('range' in e) {
      const keys = e.range.canvasKeys.filter((k) => shown.has(k));
      if (!keys.length) continue;
      const id = `${base}/range/${e.range.n}`;
      sections.push({ '@id': id, '@type': 'sc:Range', label: e.range.label, canvases: keys.map(canvasId) });
      members.push({ '@id': id, '@type': 'sc:Range', label: e.range.label });
    } else if (shown.has(e.canvasKey)) {
      members.push({ '@id': canvasId(e.canvasKey), '@type': 'sc:Canvas', label: labels.get(e.canvasKey) ?? '' });
    }
  }
  if (!sections.length) return null;
  // `ranges` when the contents are sections only; `members` keeps loose canvases in their place.
  const onlyRanges = members.every((m) => m['@type'] === 'sc:Range');
  const top = {
    '@id': `${base}/range/0`, '@type': 'sc:Range', label: 'Contents', viewingHint: 'top',
    ...(onlyRanges ? { ranges: members.map((m) => m['@id']) } : { members }),
  };
  return [top, ...sections];
}

function descriptive2(d: Descriptive): JsonObject {
  return {
    label: languageMapTo2(d.label),
    metadata: d.metadata.map((p) => ({ label: languageMapTo2(p.label), value: languageMapTo2(p.value) })),
    ...(d.summary ? { description: languageMapTo2(d.summary) } : {}),
  };
}

/** The IIIF Presentation 2.1 manifest (JSON-ready) of a local representation. */
export function buildManifest2(src: ManifestSource): JsonObject {
  if (isRemoteOnly(src)) throw PresentationBuilderErrors.NO_LOCAL_MANIFEST(`representation ${src.representation.id} is remote`);
  let base: string;
  try {
    base = manifestBase(src.ids.manifest2);
  } catch (e) {
    throw PresentationBuilderErrors.BAD_SOURCE((e as Error).message);
  }
  const d = descriptiveProperties(src);
  const plan = planManifest(src);
  const images = plan.canvases.filter((c) => c.kind === 'image');
  const av = plan.canvases.filter((c) => c.kind !== 'image');
  const renderings = [
    ...plan.renderings.map((r) => ({ '@id': r.url, format: r.format, label: r.label })),
    ...av.map((c) => ({ '@id': c.contentUrl, format: c.format, label: c.label })),
  ];
  // The 2.1 viewingHint: `paged` only makes sense when every canvas is still there.
  const hint = plan.behavior === 'paged' && av.length ? 'individuals' : plan.behavior;
  const thumb = thumbnail2(plan.thumbnail);
  const logo = src.provider.logo?.url ? { '@id': src.provider.logo.url, ...(src.provider.logo.format ? { format: src.provider.logo.format } : {}) } : null;
  const structures = structures2(base, plan, new Set(images.map((c) => c.key)));
  return {
    '@context': PRESENTATION2_CONTEXT,
    '@id': src.ids.manifest2,
    '@type': 'sc:Manifest',
    ...descriptive2(d),
    ...(thumb ? { thumbnail: thumb } : {}),
    ...(plan.viewingDirection ? { viewingDirection: plan.viewingDirection } : {}),
    ...(hint ? { viewingHint: hint } : {}),
    ...(d.navDate ? { navDate: d.navDate } : {}),
    ...(d.license ? { license: d.license } : {}),
    ...(d.requiredStatement ? { attribution: languageMapTo2(d.requiredStatement.value) } : {}),
    ...(logo ? { logo } : {}),
    related: [
      { '@id': src.viewerUrl, format: 'text/html', label: 'Online viewer' },
      { '@id': src.landingPageUrl, format: 'text/html', label: `Catalogue record: ${firstValue(d.label)}` },
    ],
    ...(src.seeAlso.length
      ? { seeAlso: src.seeAlso.map((s) => ({ '@id': s.url, format: s.format ?? 'text/xml', profile: s.profile, ...(s.label ? { label: s.label } : {}) })) }
      : {}),
    ...(renderings.length ? { rendering: renderings } : {}),
    ...(src.partOf.length
      ? { within: src.partOf.map((p) => ({ '@id': p.id2, '@type': 'sc:Collection', label: languageMapTo2(toLanguageMap(p.label)) })) }
      : {}),
    sequences: [{
      '@id': `${base}/sequence/normal`,
      '@type': 'sc:Sequence',
      label: 'Current order',
      canvases: images.map((c) => canvas2(base, c)),
    }],
    ...(structures ? { structures } : {}),
  };
}

/** How a 2.1 collection lists this representation, or null for a remote one without a manifest. */
export function manifestReference2(src: ManifestSource, label?: string): JsonObject | null {
  const d = descriptiveProperties(src);
  const name = label ?? languageMapTo2(d.label);
  if (isRemoteOnly(src)) {
    const remote = src.representation.remoteManifestUrl?.trim();
    return remote ? { '@id': remote, '@type': 'sc:Manifest', label: name } : null;
  }
  const thumb = thumbnail2(planManifest(src).thumbnail);
  return { '@id': src.ids.manifest2, '@type': 'sc:Manifest', label: name, ...(thumb ? { thumbnail: thumb } : {}) };
}
