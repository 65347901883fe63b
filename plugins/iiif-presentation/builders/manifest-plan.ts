/**
 * Which files become canvases, which become `rendering` links, how canvases group into ranges,
 * the layout behavior and the thumbnail: decided once, version-neutral, so the 3.0 and 2.1
 * manifests of a representation always show the same things.
 */
import type { FileSource, ImageServiceSource, ManifestSource, ThumbnailSource } from './manifest-source';

/** One canvas to build. */
export interface CanvasPlan {
  /** Path segment(s) naming the canvas, its page and annotation: the file id, or `{fileId}/p{n}` for a PDF page. */
  key: string;
  file: FileSource;
  kind: 'image' | 'audio' | 'video';
  label: string;
  width: number | null;
  height: number | null;
  duration: number | null;
  /** Images: their services (v3 and/or v2), else null. */
  imageService: ImageServiceSource | null;
  /** The body URL when there is no image service (audio, video, a plain image). */
  contentUrl: string | null;
  /** Media type of the body. */
  format: string;
  thumbnail: ThumbnailSource | null;
  /** AuthProbeService2 of a restricted file, else null. */
  probe: Record<string, unknown> | null;
  section: string | null;
  /** A page image of a PDF. */
  fromPdf: boolean;
}

/** A file offered as a whole rather than painted on a canvas. */
export interface RenderingPlan {
  file: FileSource;
  url: string;
  format: string;
  /** Presentation 3.0 content resource class. */
  type: 'Text' | 'Dataset' | 'Image' | 'Sound' | 'Video' | 'Model';
  label: string;
  probe: Record<string, unknown> | null;
}

/** A run of consecutive canvases with the same section label. */
export interface RangePlan {
  /** 1-based; range ids are `…/range/{n}`, the top "Contents" range is `…/range/0`. */
  n: number;
  label: string;
  canvasKeys: string[];
}

/** The table of contents in canvas order: sections, and canvases outside any section. */
export type StructureEntry = { range: RangePlan } | { canvasKey: string };

/** The thumbnail of the whole manifest. */
export interface ThumbnailPlan {
  /** A given thumbnail image; absent means "derive one from `service`". */
  image: ThumbnailSource | null;
  /** The image service the thumbnail shows (attached so viewers can pick a size). */
  service: ImageServiceSource | null;
  /** Full size of the image behind `service`, to size a derived thumbnail. */
  width: number | null;
  height: number | null;
}

/** Everything the version-specific builders need beyond the descriptive properties. */
export interface ManifestPlan {
  canvases: CanvasPlan[];
  renderings: RenderingPlan[];
  /** Null when no file carries a section label. */
  structure: StructureEntry[] | null;
  behavior: 'paged' | 'individuals' | 'continuous' | null;
  viewingDirection: ManifestSource['viewingDirection'];
  thumbnail: ThumbnailPlan | null;
  /** Some content resource carries a probe service (the manifest needs the auth context). */
  authServices: boolean;
}

/** Largest side of a thumbnail derived from an image service. */
export const THUMBNAIL_SIZE = 200;

const positive = (n: number | null | undefined): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

/** dc:type values of books and other page-turned material (DCMI "Text", MARC "language material"). */
const TEXTUAL_TYPE = /\b(text|texts|book|books|monograph|manuscript|periodical|serial|newspaper|journal|language material|printed)\b/i;

/** Presentation 3.0 class of a linked (not painted) resource, from its media type. */
export function resourceClass(mimeType: string): RenderingPlan['type'] {
  const m = mimeType.toLowerCase();
  if (m === 'application/pdf' || m.startsWith('text/') || m === 'application/epub+zip') return 'Text';
  if (m.startsWith('image/')) return 'Image';
  if (m.startsWith('audio/')) return 'Sound';
  if (m.startsWith('video/')) return 'Video';
  if (m.startsWith('model/')) return 'Model';
  return 'Dataset';
}

const fileLabel = (f: FileSource): string => f.label.trim() || `[${f.sequence}]`;

function renderingLabel(f: FileSource): string {
  const name = f.label.trim();
  if (f.kind === 'pdf') {
    const pages = positive(f.pageCount) ? ` (${f.pageCount} ${f.pageCount === 1 ? 'page' : 'pages'})` : '';
    return `${name || 'PDF'}${pages}`;
  }
  return name || `File ${f.sequence} (${f.mimeType})`;
}

/** The file's canvases (none when it cannot be painted) and its rendering, if any. */
function planFile(f: FileSource): { canvases: CanvasPlan[]; rendering: RenderingPlan | null } {
  const probe = f.restricted ? (f.probeService ?? null) : null;
  const content = f.contentUrl || null;
  const base = { file: f, probe, section: f.section?.trim() || null, fromPdf: false };
  const asRendering = (): RenderingPlan | null =>
    content ? { file: f, url: content, format: f.mimeType, type: resourceClass(f.mimeType), label: renderingLabel(f), probe } : null;
  switch (f.kind) {
    case 'image': {
      const service = f.imageService && (f.imageService.v3 || f.imageService.v2) ? f.imageService : null;
      // Canvas size comes from the stored dimensions: no image-server round trip. Without them
      // (not probed yet) the image can only be offered as a download.
      if (!positive(f.width) || !positive(f.height) || (!service && !content)) return { canvases: [], rendering: asRendering() };
      return {
        canvases: [{
          ...base, key: f.id, kind: 'image', label: fileLabel(f), width: f.width, height: f.height, duration: null,
          imageService: service, contentUrl: content, format: service ? 'image/jpeg' : f.mimeType, thumbnail: f.thumbnail ?? null,
        }],
        rendering: null,
      };
    }
    case 'audio':
      if (!positive(f.duration) || !content) return { canvases: [], rendering: asRendering() };
      return {
        canvases: [{ ...base, key: f.id, kind: 'audio', label: fileLabel(f), width: null, height: null, duration: f.duration, imageService: null, contentUrl: content, format: f.mimeType, thumbnail: f.thumbnail ?? null }],
        rendering: null,
      };
    case 'video':
      // §5.3: painting a Video needs a canvas with all three dimensions.
      if (!positive(f.duration) || !positive(f.width) || !positive(f.height) || !content) return { canvases: [], rendering: asRendering() };
      return {
        canvases: [{ ...base, key: f.id, kind: 'video', label: fileLabel(f), width: f.width, height: f.height, duration: f.duration, imageService: null, contentUrl: content, format: f.mimeType, thumbnail: f.thumbnail ?? null }],
        rendering: null,
      };
    case 'pdf': {
      // A PDF cannot be painted (it has no canvas dimensions, §5.3): it is always a rendering,
      // and its page images, when rendered, are the canvases.
      const pages = [...(f.pageImages ?? [])]
        .filter((p) => positive(p.width) && positive(p.height) && (p.imageService.v3 || p.imageService.v2))
        .sort((a, b) => a.page - b.page);
      const canvases: CanvasPlan[] = pages.map((p) => ({
        ...base, key: `${f.id}/p${p.page}`, kind: 'image', label: p.label?.trim() || `p. ${p.page}`, width: p.width, height: p.height,
        duration: null, imageService: p.imageService, contentUrl: null, format: 'image/jpeg', thumbnail: p.thumbnail ?? null, fromPdf: true,
      }));
      return { canvases, rendering: asRendering() };
    }
    default:
      return { canvases: [], rendering: asRendering() };
  }
}

/** Consecutive canvases sharing a section label become one range, in order. */
function planStructure(canvases: CanvasPlan[]): StructureEntry[] | null {
  if (!canvases.some((c) => c.section)) return null;
  const out: StructureEntry[] = [];
  let current: RangePlan | null = null;
  let n = 0;
  for (const c of canvases) {
    if (!c.section) {
      current = null;
      out.push({ canvasKey: c.key });
    } else if (current && current.label === c.section) {
      current.canvasKeys.push(c.key);
    } else {
      current = { n: ++n, label: c.section, canvasKeys: [c.key] };
      out.push({ range: current });
    }
  }
  return out;
}

/**
 * The layout rule: `paged` (a page-turning view) for a book — a textual dc:type (DCMI "Text",
 * book, manuscript, periodical...) or the page images of a PDF — when it has at least two
 * canvases and all of them are images (`paged` needs canvases with width and height, §3.4
 * behavior); `individuals` otherwise. An explicit `src.behavior` wins, except that `paged` and
 * `continuous` fall back to `individuals` on canvases without width and height.
 */
function planBehavior(src: ManifestSource, canvases: CanvasPlan[]): ManifestPlan['behavior'] {
  if (!canvases.length) return null;
  const spatial = canvases.every((c) => positive(c.width) && positive(c.height));
  if (src.behavior) return src.behavior === 'individuals' || spatial ? src.behavior : 'individuals';
  const allImages = canvases.every((c) => c.kind === 'image');
  const textual = (src.title.dc.type ?? []).some((t) => TEXTUAL_TYPE.test(t));
  const pdfPages = canvases.some((c) => c.fromPdf);
  return allImages && canvases.length >= 2 && (textual || pdfPages) ? 'paged' : 'individuals';
}

function planThumbnail(src: ManifestSource, canvases: CanvasPlan[], renderings: RenderingPlan[]): ThumbnailPlan | null {
  if (src.thumbnail?.url) return { image: src.thumbnail, service: null, width: null, height: null };
  const image = canvases.find((c) => c.kind === 'image' && c.imageService);
  if (image) return { image: image.thumbnail, service: image.imageService, width: image.width, height: image.height };
  const any = canvases.find((c) => c.thumbnail) ?? renderings.find((r) => r.file.thumbnail);
  const thumb = any ? ('key' in any ? any.thumbnail : any.file.thumbnail) : null;
  return thumb ? { image: thumb, service: null, width: null, height: null } : null;
}

/** Size of an image scaled to fit a box (never enlarged), as the Image API's `!w,h` does. */
export function fitWithin(width: number, height: number, box: number): { width: number; height: number } {
  const scale = Math.min(1, box / width, box / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The canvases, renderings, ranges, behavior and thumbnail of a local representation. */
export function planManifest(src: ManifestSource): ManifestPlan {
  const canvases: CanvasPlan[] = [];
  const renderings: RenderingPlan[] = [];
  for (const f of src.files) {
    const p = planFile(f);
    canvases.push(...p.canvases);
    if (p.rendering) renderings.push(p.rendering);
  }
  return {
    canvases,
    renderings,
    structure: planStructure(canvases),
    behavior: planBehavior(src, canvases),
    viewingDirection: src.viewingDirection ?? null,
    thumbnail: planThumbnail(src, canvases, renderings),
    authServices: canvases.some((c) => c.probe) || renderings.some((r) => r.probe),
  };
}
