import { type ApiVersion } from './types';

/** The `protocol` value of every Image API info.json (3.0 §5.2, 2.1 §5.2). */
export const IMAGE_PROTOCOL = 'http://iiif.io/api/image';

/** The JSON-LD context of each version. */
export const IMAGE_CONTEXT: Record<ApiVersion, string> = {
  2: 'http://iiif.io/api/image/2/context.json',
  3: 'http://iiif.io/api/image/3/context.json',
};

/** The level 2 compliance profile URI of each version (also the profile link header, §6). */
export const LEVEL2_PROFILE: Record<ApiVersion, string> = {
  2: 'http://iiif.io/api/image/2/level2.json',
  3: 'http://iiif.io/api/image/3/level2.json',
};
