import { defineErrors } from '../../../core/errors';

/** Errors of the presentation builders (IIIF errors are bare status codes, see the plugin's error middleware). */
export const PresentationBuilderErrors = defineErrors('iiif-presentation', {
  /** A page of a paged collection, or of the change discovery stream, that does not exist. */
  PAGE_NOT_FOUND: { status: 404, title: 'No such page' },
  /** A remote representation has no local manifest (see manifestDisposition). */
  NO_LOCAL_MANIFEST: { status: 404, title: 'This representation has no manifest here' },
  /** The loader filled a source the builders cannot use (a bug, not a client error). */
  BAD_SOURCE: { status: 500, title: 'Invalid presentation source', level: 'error' },
});
