import { defineErrors } from '../../../core/errors';

/**
 * The render cache's error catalogue. All are the server's own faults (a misconfiguration or a
 * caller passing a malformed key); a failing object store never throws out of get(): it is a miss.
 */
export const RenderCacheErrors = defineErrors('iiif-image.cache', {
  CONFIG_INVALID: { status: 500, title: 'The IIIF render cache is misconfigured' },
  NOT_READY: { status: 500, title: 'The IIIF render cache was used before init() or after close()' },
  ENTRY_INVALID: { status: 500, title: 'A render cache key, file id or media type is malformed' },
});
