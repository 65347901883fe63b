import { type ApiVersion, type ImageLimits } from './types';
import { IMAGE_CONTEXT, IMAGE_PROTOCOL, LEVEL2_PROFILE } from './image-api-uris';

/*
 * The image information document (info.json) of IIIF Image API 3.0
 * (https://iiif.io/api/image/3.0/#5-image-information) and 2.1
 * (https://iiif.io/api/image/2.1/#image-information). The pyramid it advertises (scale
 * factors and sizes) comes from levelSizes/scaleFactorsFor, which the renderer uses too, so
 * that every size and tile the document promises is one the request parser accepts.
 */

export { IMAGE_CONTEXT, IMAGE_PROTOCOL, LEVEL2_PROFILE } from './image-api-uris';
// The HTTP-side helpers that go with info.json, importable from here as well.
export { canonicalImageUrl, canonicalLinkHeader, infoMediaType, profileLinkHeader } from './canonical-link';

/** Formats and qualities that the level 2 profiles already contain (3/level2.json, 2/level2.json). */
const LEVEL2_FORMATS = ['jpg', 'png'];

export const DEFAULT_EXTRA_FORMATS: readonly string[] = ['webp', 'tif', 'gif'];
export const DEFAULT_EXTRA_QUALITIES: readonly string[] = ['color', 'gray', 'bitonal'];

/**
 * 3.0 `extraFeatures`: what this service does beyond 3/level2.json, named from the 3.0
 * feature table (§5.7) only. The HTTP side must keep its promise: canonical and profile
 * link headers on image responses.
 */
export const EXTRA_FEATURES_3: readonly string[] = [
  'canonicalLinkHeader',
  'mirroring',
  'profileLinkHeader',
  'rotationArbitrary',
  'sizeUpscaling',
];

/**
 * 2.1 `supports`: the whole feature set, named from the 2.1 table (§5.3), without the names
 * 2.1 itself deprecates (sizeByWhListed, sizeByForcedWh). sizeAboveFull: 2.1 sizes may
 * exceed the region, within maxWidth/maxHeight/maxArea.
 */
export const SUPPORTS_2: readonly string[] = [
  'baseUriRedirect',
  'canonicalLinkHeader',
  'cors',
  'jsonldMediaType',
  'mirroring',
  'profileLinkHeader',
  'regionByPct',
  'regionByPx',
  'regionSquare',
  'rotationArbitrary',
  'rotationBy90s',
  'sizeAboveFull',
  'sizeByConfinedWh',
  'sizeByDistortedWh',
  'sizeByH',
  'sizeByPct',
  'sizeByW',
  'sizeByWh',
];

export const DEFAULT_TILE_SIZE = 512;

export interface InfoSize {
  width: number;
  height: number;
}

export interface InfoTile {
  width: number;
  height?: number;
  scaleFactors: number[];
}

/** What buildInfo needs to know about one image service. */
export interface InfoOptions {
  /** The service base URI ({base}/iiif/3/{fileId}), no trailing slash. */
  id: string;
  width: number;
  height: number;
  /** Square tile side, 512 unless told. */
  tileSize?: number;
  /** Defaults to scaleFactorsFor(width, height, tileSize). */
  scaleFactors?: number[];
  limits: ImageLimits;
  /** Defaults to levelSizes() within the limits. */
  sizes?: InfoSize[];
  /** Service descriptions (e.g. the Auth 2.0 probe service), emitted as `service`. */
  services?: object[];
  /** A rights URI: `rights` in 3.0, `license` in 2.1. */
  rights?: string;
  /** Formats beyond jpg and png; defaults to webp, tif, gif. */
  extraFormats?: string[];
  /** Qualities beyond default; defaults to color, gray, bitonal. */
  extraQualities?: string[];
}

/** info.json of IIIF Image API 3.0 (§5). */
export interface ImageInfo3 {
  '@context': string;
  id: string;
  type: 'ImageService3';
  protocol: string;
  profile: 'level2';
  width: number;
  height: number;
  maxWidth: number;
  maxHeight: number;
  maxArea: number;
  sizes: InfoSize[];
  tiles: InfoTile[];
  extraFormats: string[];
  extraQualities: string[];
  extraFeatures: string[];
  rights?: string;
  service?: object[];
}

/** The profile object of a 2.1 info.json (§5.3). */
export interface ImageProfile2 {
  formats: string[];
  qualities: string[];
  supports: string[];
  maxWidth: number;
  maxHeight: number;
  maxArea: number;
}

/** info.json of IIIF Image API 2.1 (§5). */
export interface ImageInfo2 {
  '@context': string;
  '@id': string;
  protocol: string;
  width: number;
  height: number;
  profile: [string, ImageProfile2];
  sizes: InfoSize[];
  tiles: InfoTile[];
  license?: string;
  service?: object[];
}

/**
 * Scale factors of the pyramid: powers of 2 from 1 up to the first one at which the whole
 * image fits in one tile.
 */
export function scaleFactorsFor(width: number, height: number, tileSize: number = DEFAULT_TILE_SIZE): number[] {
  const factors = [1];
  let sf = 1;
  while (Math.ceil(width / sf) > tileSize || Math.ceil(height / sf) > tileSize) {
    sf *= 2;
    factors.push(sf);
  }
  return factors;
}

/**
 * The size of each pyramid level, smallest first: ceil(side / scaleFactor), the same sizes
 * OpenSeadragon computes for a level, so its edge tiles never ask for more than the region.
 */
export function levelSizes(width: number, height: number, tileSize: number = DEFAULT_TILE_SIZE): InfoSize[] {
  return scaleFactorsFor(width, height, tileSize)
    .reverse()
    .map((sf) => ({ width: Math.ceil(width / sf), height: Math.ceil(height / sf) }));
}

function withinLimits(s: InfoSize, limits: ImageLimits): boolean {
  return s.width <= limits.maxWidth && s.height <= limits.maxHeight && s.width * s.height <= limits.maxArea;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Build the info.json of one image for one API version. */
export function buildInfo(version: 3, options: InfoOptions): ImageInfo3;
export function buildInfo(version: 2, options: InfoOptions): ImageInfo2;
export function buildInfo(version: ApiVersion, options: InfoOptions): ImageInfo3 | ImageInfo2;
export function buildInfo(version: ApiVersion, options: InfoOptions): ImageInfo3 | ImageInfo2 {
  const { id, width, height, limits } = options;
  const tileSize = options.tileSize ?? DEFAULT_TILE_SIZE;
  const scaleFactors = options.scaleFactors ?? scaleFactorsFor(width, height, tileSize);
  // "Servers MUST ensure that sizes specified by any sizes or tiles properties are within any
  // size limits expressed" (3.0 §5.2, 2.1 §5.3).
  const sizes = options.sizes ?? levelSizes(width, height, tileSize).filter((s) => withinLimits(s, limits));
  const tiles: InfoTile[] = [{ width: tileSize, scaleFactors }];
  const extraFormats = options.extraFormats ?? DEFAULT_EXTRA_FORMATS;
  const extraQualities = options.extraQualities ?? DEFAULT_EXTRA_QUALITIES;

  if (version === 3) {
    // @context first (3.0 §5.2 "SHOULD appear as the very first key-value pair"). maxWidth is
    // always present: sizeUpscaling requires maxWidth or maxArea (§5.7), maxHeight requires maxWidth.
    const info: ImageInfo3 = {
      '@context': IMAGE_CONTEXT[3],
      id,
      type: 'ImageService3',
      protocol: IMAGE_PROTOCOL,
      profile: 'level2',
      width,
      height,
      maxWidth: limits.maxWidth,
      maxHeight: limits.maxHeight,
      maxArea: limits.maxArea,
      sizes,
      tiles,
      extraFormats: unique(extraFormats.filter((f) => !LEVEL2_FORMATS.includes(f))),
      extraQualities: unique(extraQualities.filter((q) => q !== 'default')),
      extraFeatures: [...EXTRA_FEATURES_3],
    };
    if (options.rights !== undefined) info.rights = options.rights;
    if (options.services?.length) info.service = options.services;
    return info;
  }

  // 2.1 lists the full sets in the profile object: "The set of image format parameter values
  // available for the image" (§5.3), so a client need not dereference level2.json.
  const info: ImageInfo2 = {
    '@context': IMAGE_CONTEXT[2],
    '@id': id,
    protocol: IMAGE_PROTOCOL,
    width,
    height,
    profile: [
      LEVEL2_PROFILE[2],
      {
        formats: unique([...LEVEL2_FORMATS, ...extraFormats]),
        qualities: unique(['default', ...extraQualities]),
        supports: [...SUPPORTS_2],
        maxWidth: limits.maxWidth,
        maxHeight: limits.maxHeight,
        maxArea: limits.maxArea,
      },
    ],
    sizes,
    tiles,
  };
  if (options.rights !== undefined) info.license = options.rights;
  if (options.services?.length) info.service = options.services;
  return info;
}
