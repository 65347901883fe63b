/**
 * IIIF Presentation 3.0 manifest of one representation, built with iiif-builder.
 *
 * iiif-builder 2.0 carries the descriptive properties, thumbnails, links and the canvases with
 * their annotation pages, but has no setter for `provider`, `navDate` or `structures`, and its
 * `setPartOf` references are dropped on serialization (a Collection that is not in its vault
 * serializes to nothing). Those parts are therefore written as plain JSON and loaded into the
 * builder's vault first — normalized like any manifest the vault loads — and the builder then
 * edits that manifest; `toPresentation3` serializes the whole. The result is plain JSON.
 *
 * Spec: https://iiif.io/api/presentation/3.0/ ; auth services: https://iiif.io/api/auth/2.0/#21-declaring-services
 */
import type { IIIFBuilder as IIIFBuilderClass } from '../../../node_modules/iiif-builder/dist/index';
import { PresentationBuilderErrors } from './builder-errors';
import { descriptiveProperties, firstValue, toLanguageMap, type Descriptive } from './descriptive-properties';
import { manifestBase } from './iiif-urls';
import { fitWithin, planManifest, THUMBNAIL_SIZE, type CanvasPlan, type ManifestPlan, type RenderingPlan, type StructureEntry } from './manifest-plan';
import type { ImageServiceSource, ManifestSource, ThumbnailSource } from './manifest-source';

// iiif-builder's package.json "exports" has no "types" condition, so TypeScript (node16
// resolution) cannot see its declarations through the package name: they are read from the
// file above, and the (CommonJS) package is required with that type.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { IIIFBuilder } = require('iiif-builder') as { IIIFBuilder: typeof IIIFBuilderClass };
type IIIFBuilder = IIIFBuilderClass;

export const PRESENTATION3_CONTEXT = 'http://iiif.io/api/presentation/3/context.json';
export const AUTH2_CONTEXT = 'http://iiif.io/api/auth/2/context.json';

/** A JSON object as the builders return it. */
export type JsonObject = Record<string, unknown>;

// The builder's own parameter types, taken from its public signatures (its type packages are
// not dependencies of this project).
type ManifestBuilder = Parameters<Parameters<IIIFBuilder['editManifest']>[1]>[0];
type CanvasBuilder = Parameters<Parameters<ManifestBuilder['createCanvas']>[1]>[0];
type ContentResource = Parameters<ManifestBuilder['addThumbnail']>[0];
type Annotation = Parameters<CanvasBuilder['createAnnotation']>[1];
type MetadataLabel = Parameters<ManifestBuilder['addMetadata']>[0];

// Plain JSON objects are handed to the builder as its types; its types do not know the
// Authorization Flow 2.0 services, which its serializer passes through unchanged.
const asResource = (o: JsonObject): ContentResource => o as unknown as ContentResource;

/** What the route does with a representation: build its manifest, redirect, or answer 404. */
export type ManifestDisposition =
  | { kind: 'local' }
  | { kind: 'redirect'; location: string }
  | { kind: 'none'; reason: string };

/** True for a remote representation: its content lives in another repository, so nothing local is built for it. */
export function isRemoteOnly(src: ManifestSource): boolean {
  return src.representation.remote;
}

/**
 * A remote representation gets no local manifest: a 3.0 Manifest must have at least one
 * Canvas (§3.4 items) and a remote one has nothing here to paint or link, so a local manifest
 * would be invented. Its manifest URL redirects (303) to the remote repository's manifest when
 * there is one, else answers 404. Title collections list the remote manifest directly (see
 * manifestReference3). A representation without files answers 404 too.
 */
export function manifestDisposition(src: ManifestSource): ManifestDisposition {
  if (!isRemoteOnly(src)) {
    // An empty representation has nothing to show; one whose files are all downloads (a PDF
    // without page images yet) still gets a manifest: label, metadata, rights and `rendering`.
    return src.files.length ? { kind: 'local' } : { kind: 'none', reason: 'representation without files' };
  }
  const remote = src.representation.remoteManifestUrl?.trim();
  return remote ? { kind: 'redirect', location: remote } : { kind: 'none', reason: 'remote representation without a IIIF manifest' };
}

/** The `ImageService3` reference of an image. */
export function imageService3(s: ImageServiceSource): JsonObject {
  return { id: s.v3, type: 'ImageService3', profile: s.level ?? 'level2' };
}

/** A thumbnail content resource, with the image service it shows when known. */
function thumbnail3(t: ThumbnailSource | null, service: ImageServiceSource | null, full: { width: number | null; height: number | null }): JsonObject | null {
  const services = service?.v3 ? [imageService3(service)] : undefined;
  if (t?.url) {
    return {
      id: t.url, type: 'Image', ...(t.format ? { format: t.format } : {}),
      ...(t.width && t.height ? { width: t.width, height: t.height } : {}), ...(services ? { service: services } : {}),
    };
  }
  if (!service?.v3) return null;
  const size = full.width && full.height ? fitWithin(full.width, full.height, THUMBNAIL_SIZE) : null;
  return {
    id: `${service.v3}/full/!${THUMBNAIL_SIZE},${THUMBNAIL_SIZE}/0/default.jpg`, type: 'Image', format: 'image/jpeg',
    ...(size ?? {}), service: services,
  };
}

/** The `service` list of a content resource: its image service and/or its probe service. */
function services(...s: (JsonObject | null | undefined)[]): { service?: JsonObject[] } {
  const list = s.filter((x): x is JsonObject => !!x);
  return list.length ? { service: list } : {};
}

/** The painting body of a canvas. */
function body3(c: CanvasPlan): JsonObject {
  const probe = c.probe ?? null;
  if (c.kind === 'image') {
    if (c.imageService?.v3) {
      return {
        id: `${c.imageService.v3}/full/max/0/default.jpg`, type: 'Image', format: 'image/jpeg', width: c.width, height: c.height,
        ...services(imageService3(c.imageService), probe),
      };
    }
    // No 3.0 image service: the image itself (the access-checked delivery URL).
    return { id: c.contentUrl, type: 'Image', format: c.format, width: c.width, height: c.height, ...services(probe) };
  }
  if (c.kind === 'audio') return { id: c.contentUrl, type: 'Sound', format: c.format, duration: c.duration, ...services(probe) };
  return { id: c.contentUrl, type: 'Video', format: c.format, width: c.width, height: c.height, duration: c.duration, ...services(probe) };
}

function rendering3(r: RenderingPlan): JsonObject {
  return { id: r.url, type: r.type, format: r.format, label: { none: [r.label] }, ...services(r.probe) };
}

/** Range items: a "Contents" range over the sections and the canvases outside them (§5.6; the first top-level range is the default table of contents). */
function structures3(base: string, entries: StructureEntry[]): JsonObject[] {
  const canvasRef = (key: string): JsonObject => ({ id: `${base}/canvas/${key}`, type: 'Canvas' });
  return [{
    id: `${base}/range/0`,
    type: 'Range',
    label: { en: ['Contents'] },
    items: entries.map((e) =>
      'range' in e
        ? { id: `${base}/range/${e.range.n}`, type: 'Range', label: { none: [e.range.label] }, items: e.range.canvasKeys.map(canvasRef) }
        : canvasRef(e.canvasKey),
    ),
  }];
}

/** The parts iiif-builder cannot carry, as plain JSON loaded into its vault before it edits the manifest. */
function skeleton(src: ManifestSource, d: Descriptive, plan: ManifestPlan, base: string): JsonObject {
  const provider = src.provider;
  return {
    '@context': plan.authServices ? [AUTH2_CONTEXT, PRESENTATION3_CONTEXT] : PRESENTATION3_CONTEXT,
    id: src.ids.manifest3,
    type: 'Manifest',
    ...(d.navDate ? { navDate: d.navDate } : {}),
    provider: [{
      id: provider.id,
      type: 'Agent',
      label: toLanguageMap(provider.label),
      ...(provider.homepage
        ? { homepage: [{ id: provider.homepage, type: 'Text', format: 'text/html', label: toLanguageMap(provider.label) }] }
        : {}),
      ...(provider.logo?.url
        ? { logo: [{ id: provider.logo.url, type: 'Image', ...(provider.logo.format ? { format: provider.logo.format } : {}), ...(provider.logo.width && provider.logo.height ? { width: provider.logo.width, height: provider.logo.height } : {}) }] }
        : {}),
    }],
    ...(src.partOf.length ? { partOf: src.partOf.map((p) => ({ id: p.id3, type: 'Collection', label: toLanguageMap(p.label) })) } : {}),
    items: [],
    ...(plan.structure ? { structures: structures3(base, plan.structure) } : {}),
  };
}

function addCanvas(m: ManifestBuilder, base: string, c: CanvasPlan): void {
  const canvasId = `${base}/canvas/${c.key}`;
  m.createCanvas(canvasId, (canvas) => {
    canvas.setLabel({ none: [c.label] });
    if (c.width && c.height) {
      canvas.setWidth(c.width);
      canvas.setHeight(c.height);
    }
    if (c.duration) canvas.setDuration(c.duration);
    const thumb = c.thumbnail ? thumbnail3(c.thumbnail, c.kind === 'image' ? c.imageService : null, c) : null;
    if (thumb) canvas.addThumbnail(asResource(thumb));
    canvas.createAnnotationPage(`${base}/page/${c.key}`, (page) => {
      page.createAnnotation({
        id: `${base}/annotation/${c.key}`, type: 'Annotation', motivation: 'painting', target: canvasId, body: body3(c),
      } as unknown as Annotation);
    });
  });
}

/** The IIIF Presentation 3.0 manifest (JSON-ready) of a local representation. */
export function buildManifest3(src: ManifestSource): JsonObject {
  if (isRemoteOnly(src)) throw PresentationBuilderErrors.NO_LOCAL_MANIFEST(`representation ${src.representation.id} is remote`);
  let base: string;
  try {
    base = manifestBase(src.ids.manifest3);
  } catch (e) {
    throw PresentationBuilderErrors.BAD_SOURCE((e as Error).message);
  }
  const d = descriptiveProperties(src);
  const plan = planManifest(src);
  const id = src.ids.manifest3;
  // One builder (and so one vault) per document: the vault keys resources by id, nothing may
  // carry over from another manifest.
  const builder = new IIIFBuilder();
  builder.vault.loadManifestSync(id, skeleton(src, d, plan, base));
  builder.editManifest(id, (m) => {
    m.setLabel(d.label);
    if (d.summary) m.setSummary(d.summary);
    for (const pair of d.metadata) m.addMetadata(pair.label as MetadataLabel, pair.value as MetadataLabel);
    if (d.requiredStatement) m.setRequiredStatement(d.requiredStatement as Parameters<ManifestBuilder['setRequiredStatement']>[0]);
    if (d.rights) m.setRights(d.rights);
    if (plan.behavior) m.setBehavior([plan.behavior]);
    if (plan.viewingDirection) m.setViewingDirection(plan.viewingDirection);
    const thumb = plan.thumbnail ? thumbnail3(plan.thumbnail.image, plan.thumbnail.service, plan.thumbnail) : null;
    if (thumb) m.addThumbnail(asResource(thumb));
    // iiif-builder 2.0: setHomepage appends (it is an "add"), and the `summary` setter sets the
    // label, hence setSummary above.
    m.setHomepage(asResource({ id: src.viewerUrl, type: 'Text', format: 'text/html', label: { en: ['Online viewer'] } }));
    m.setHomepage(asResource({ id: src.landingPageUrl, type: 'Text', format: 'text/html', label: { en: [`Catalogue record: ${firstValue(d.label)}`] } }));
    if (src.seeAlso.length) {
      m.setSeeAlso(src.seeAlso.map((s) => asResource({
        id: s.url, type: 'Dataset', format: s.format ?? 'text/xml', profile: s.profile, ...(s.label ? { label: { en: [s.label] } } : {}),
      })));
    }
    if (plan.renderings.length) m.setRendering(plan.renderings.map((r) => asResource(rendering3(r))));
    for (const c of plan.canvases) addCanvas(m, base, c);
  });
  return builder.toPresentation3({ id, type: 'Manifest' }) as JsonObject;
}

/**
 * How a collection lists this representation (3.0): our manifest for a local representation,
 * the remote repository's manifest for a remote one (with its delivery page as `homepage`),
 * or null when there is nothing to list.
 */
export function manifestReference3(src: ManifestSource, label?: string): JsonObject | null {
  const d = descriptiveProperties(src);
  const name = label ? { none: [label] } : d.label;
  if (isRemoteOnly(src)) {
    const remote = src.representation.remoteManifestUrl?.trim();
    if (!remote) return null;
    const home = src.representation.deliveryUrl?.trim();
    const thumb = src.thumbnail?.url ? thumbnail3(src.thumbnail, null, { width: null, height: null }) : null;
    return {
      id: remote, type: 'Manifest', label: name,
      ...(thumb ? { thumbnail: [thumb] } : {}),
      ...(home ? { homepage: [{ id: home, type: 'Text', format: 'text/html', label: { en: ['Remote viewer'] } }] } : {}),
    };
  }
  const plan = planManifest(src);
  const thumb = plan.thumbnail ? thumbnail3(plan.thumbnail.image, plan.thumbnail.service, plan.thumbnail) : null;
  return { id: src.ids.manifest3, type: 'Manifest', label: name, ...(thumb ? { thumbnail: [thumb] } : {}) };
}
