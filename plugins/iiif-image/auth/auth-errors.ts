import { defineErrors } from '../../../core/errors';

/** Errors of the public content route (the HTML auth pages answer in HTML themselves). */
export const IiifAuthErrors = defineErrors('iiif-auth', {
  NOT_FOUND: { status: 404, title: 'No such published file' },
  SIGN_IN_REQUIRED: { status: 401, title: 'Sign in to see this content' },
  FORBIDDEN: { status: 403, title: 'Access to this content is restricted' },
  RANGE: { status: 416, title: 'Range not satisfiable' },
  STORAGE_UNAVAILABLE: { status: 503, title: 'The storage holding this file is not available', level: 'warn' },
});
