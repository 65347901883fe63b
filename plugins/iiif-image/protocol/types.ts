/** IIIF Image API versions served: 3.0 at /iiif/3, 2.1 at /iiif/2. */
export type ApiVersion = 2 | 3;

export const QUALITIES = ['default', 'color', 'gray', 'bitonal'] as const;
export type Quality = (typeof QUALITIES)[number];

export const FORMATS = ['jpg', 'png', 'webp', 'tif', 'gif'] as const;
export type ImageFormat = (typeof FORMATS)[number];

export const FORMAT_MEDIA_TYPES: Record<ImageFormat, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  tif: 'image/tiff',
  gif: 'image/gif',
};

/** Size limits declared in info.json and enforced on requests (maxArea in pixels). */
export interface ImageLimits {
  maxWidth: number;
  maxHeight: number;
  maxArea: number;
}

/** What the server knows of an image without decoding it (stored dimensions, after EXIF rotation). */
export interface ImageFacts {
  width: number;
  height: number;
}

/**
 * A parsed and validated image request, in full-resolution pixels of the upright image.
 * Order of operations as the spec gives: region, size, mirror, rotation, quality, format.
 */
export interface ImagePlan {
  version: ApiVersion;
  /** Region of the full image, clipped to it; never empty. */
  region: { x: number; y: number; w: number; h: number };
  /** Size of the scaled region, before rotation. */
  size: { w: number; h: number };
  /** Mirror horizontally before rotation ("!" prefix). */
  mirror: boolean;
  /** Clockwise degrees, 0 <= rotation < 360. */
  rotation: number;
  quality: Quality;
  format: ImageFormat;
  /** Canonical "region/size/rotation/quality.format" for this version (IIIF Image 3.0 §4.7, 2.1 §4.7). */
  canonical: string;
}

/** A IIIF Image API error: the HTTP status the spec gives and a message for the body. */
export class ImageApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 413 | 500 | 501 | 503,
    message: string,
  ) {
    super(message);
    this.name = 'ImageApiError';
  }
}
