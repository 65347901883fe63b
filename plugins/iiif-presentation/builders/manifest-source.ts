/**
 * The input of the manifest builders: a plain, JSON-like picture of one representation as the
 * plugin reads it from the database. The builders are pure — they never query, fetch or
 * consult config — so everything a manifest shows must be here, already resolved to URLs.
 *
 * Filling it (the loader's job):
 * - `ids`: from `iiifUrls(baseUrl)` (./iiif-urls): `manifest(3, repId)` / `manifest(2, repId)`.
 *   Canvas, annotation page, annotation, range and sequence ids are derived from these by the
 *   URL conventions (`…/{repId}/canvas/{fileId}` etc.), so both MUST end in `/manifest`.
 * - `files`: the representation's files ordered by `sequence`, each with its kind and URLs.
 * - only URLs that are safe to publish: for a restricted file that means the image service
 *   base URIs and the access-checked content delivery URL (`{base}/iiif/content/{fileId}`),
 *   never a storage key, a signed storage URL or a staff API URL (`/api/v1/files/...`).
 *   The builders copy URLs as given; they cannot tell a leaking URL from a safe one.
 */
import type { DublinCore } from '../../../core/db/entities/title.entity';

/** A IIIF language map: BCP 47 tag (or "none") to one or more strings. */
export type LanguageMap = Record<string, string[]>;

/** A human-readable label: a plain string (published as language "none") or a language map. */
export type LabelInput = string | LanguageMap;

/** How a file is shown: images become canvases, audio and video time-based canvases, the rest `rendering` links. */
export type FileKind = 'image' | 'pdf' | 'audio' | 'video' | 'other';

/** IIIF Image API services of one image (base URIs: no trailing slash, no `/info.json`). */
export interface ImageServiceSource {
  /** Image API 3.0 base URI, `{base}/iiif/3/{fileId}`; drives the 3.0 manifest. */
  v3?: string | null;
  /** Image API 2.1 base URI, `{base}/iiif/2/{fileId}`; drives the 2.1 manifest. */
  v2?: string | null;
  /** Compliance level both services declare; default `level2`. */
  level?: 'level0' | 'level1' | 'level2';
}

/** A small image standing for a file, a page or the representation. */
export interface ThumbnailSource {
  /** e.g. `{base}/thumbnails/files/{fileId}` (inventory plugin). */
  url: string;
  /** Media type when known (the inventory thumbnails are JPEG or PNG); omitted otherwise. */
  format?: string | null;
  width?: number | null;
  height?: number | null;
}

/** One page image of a PDF (rendered by a job, served by the image server). */
export interface PageImageSource {
  /** 1-based page number; also names the canvas (`…/canvas/{fileId}/p{page}`). */
  page: number;
  width: number;
  height: number;
  imageService: ImageServiceSource;
  /** Canvas label; default `p. {page}`. */
  label?: string | null;
  thumbnail?: ThumbnailSource | null;
}

/** One stored file of the representation, in sequence. */
export interface FileSource {
  /** DigitalFile.id; names the canvas, annotation page and annotation. */
  id: string;
  /** DigitalFile.sequence (files must already be ordered by it; it is not re-sorted). */
  sequence: number;
  kind: FileKind;
  /** DigitalFile.mimeType (essence, e.g. `audio/mpeg`); the `format` of audio, video and renderings. */
  mimeType: string;
  /** DigitalFile.label; empty means "use the sequence number" (`[n]`). */
  label: string;
  /** DigitalFile.section: consecutive files with the same section become one Range. */
  section: string | null;
  /** Stored dimensions (pixels); an image or video without them cannot be given a canvas. */
  width: number | null;
  height: number | null;
  /** Seconds (audio, video); without it an audio/video file becomes a `rendering` link only. */
  duration: number | null;
  /** Pages of a PDF, shown in the rendering label. */
  pageCount: number | null;
  /** Images: the Image API services (the painting body is built from them). */
  imageService?: ImageServiceSource | null;
  /**
   * The file's public delivery URL, `{base}/iiif/content/{fileId}` (access-checked, honours
   * Range). Body of audio/video, target of PDF/other renderings, and the image body when an
   * image has no image service.
   */
  contentUrl?: string | null;
  thumbnail?: ThumbnailSource | null;
  /** The file is under an access rights profile that does not let everyone in. */
  restricted: boolean;
  /**
   * Authorization Flow 2.0 probe service for this file (an `AuthProbeService2` object, with its
   * access/token/logout services nested), produced by the auth code and copied verbatim into the
   * `service` of every content resource of the file. Only used when `restricted`.
   */
  probeService?: Record<string, unknown> | null;
  /** PDFs: page images, when rendered; each becomes a canvas (the PDF itself stays a rendering). */
  pageImages?: PageImageSource[] | null;
}

/** The publishing institution (plugin config), for `provider` and the 2.1 `logo`. */
export interface ProviderSource {
  /** A URI for the institution (e.g. its ROR id or web site). */
  id: string;
  label: LabelInput;
  /** The institution's web site. */
  homepage?: string | null;
  logo?: ThumbnailSource | null;
}

/** A machine-readable description of the title, published as `seeAlso` (type Dataset). */
export interface SeeAlsoSource {
  /** e.g. `{base}/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:{repo}:{titleId}`. */
  url: string;
  /** Media type; default `text/xml`. */
  format?: string;
  /** The metadata format's namespace or schema URI (e.g. `http://www.openarchives.org/OAI/2.0/oai_dc/`). */
  profile: string;
  /** e.g. "Dublin Core (OAI-PMH)"; English. */
  label?: string | null;
}

/** A IIIF Collection this manifest belongs to (its title collection, its published collections). */
export interface PartOfSource {
  /** 3.0 Collection URL (`{base}/iiif/presentation/3/collection/{collectionId}`). */
  id3: string;
  /** 2.1 Collection URL, for `within`. */
  id2: string;
  label: LabelInput;
}

/** Everything one manifest (3.0 or 2.1) of one representation shows. */
export interface ManifestSource {
  ids: {
    /** `{base}/iiif/presentation/3/{representationId}/manifest`. */
    manifest3: string;
    /** `{base}/iiif/presentation/2/{representationId}/manifest`. */
    manifest2: string;
  };
  title: {
    id: string;
    /** Title.dc: every element present becomes a metadata pair. */
    dc: DublinCore;
    /**
     * BCP 47 tag of the title's text; default: the first dc:language value that maps to one
     * (ISO 639-2 B/T → ISO 639-1 where one exists), else "none" (see ./dc-language).
     */
    language?: string | null;
  };
  representation: {
    id: string;
    /** Representation.label (e.g. "Scans, 600 dpi"); a metadata pair when not empty. */
    label: string;
    usageType: 'primary' | 'derivative';
    /** Remote representations get no local manifest at all (see manifestDisposition). */
    remote: boolean;
    remoteManifestUrl?: string | null;
    /** The remote repository's delivery (viewer) URL. */
    deliveryUrl?: string | null;
    publicNote?: string | null;
  };
  /** Files ordered by sequence (an empty list for remote representations). */
  files: FileSource[];
  /**
   * Representation-level thumbnail that wins over the first image (a staff-supplied one, or
   * the only one of an audio/PDF representation). Leave it out to use the first image with
   * its image service, which viewers can resize.
   */
  thumbnail?: ThumbnailSource | null;
  /** From the representation's (or the default) access rights profile. */
  rights: {
    /** Creative Commons or RightsStatements.org URI; anything else is left out of `rights`. */
    uri: string | null;
    /** Copyright statement, shown as `requiredStatement` (3.0) / `attribution` (2.1). */
    statement: string | null;
  };
  provider: ProviderSource;
  /** `{base}/view/{representationId}`. */
  viewerUrl: string;
  /** The title's landing page, `{base}/titles/{titleId}`. */
  landingPageUrl: string;
  /** One GetRecord URL per metadata format the OAI-PMH plugin disseminates. */
  seeAlso: SeeAlsoSource[];
  /** The title's IIIF collection first, then every published collection the title is in. */
  partOf: PartOfSource[];
  /** Overrides the layout rule of ./manifest-plan (paged for books, else individuals). */
  behavior?: 'paged' | 'individuals' | 'continuous' | null;
  viewingDirection?: 'left-to-right' | 'right-to-left' | 'top-to-bottom' | 'bottom-to-top' | null;
}
