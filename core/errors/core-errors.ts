import { defineErrors } from './colophon-error';

/** The core's error catalogue; plugins define their own with defineErrors(). */
export const CoreErrors = defineErrors('core', {
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  VALIDATION: { status: 400, title: 'Invalid request body or parameters' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Not allowed for your roles' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CONFLICT: { status: 409, title: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  VETOED: { status: 422, title: 'Rejected by a plugin hook' },
  UNAVAILABLE: { status: 503, title: 'Service unavailable', level: 'warn' },
  INTERNAL: { status: 500, title: 'Internal server error', level: 'error' },
});
