import { defineErrors } from '../../core/errors';

/** The storage-s3 plugin's error catalogue. */
export const StorageS3Errors = defineErrors('storage-s3', {
  CONFIG_INVALID: { status: 500, title: 'The S3 storage connector is misconfigured' },
  BUCKET_MISSING: { status: 503, title: 'The S3 bucket does not exist' },
  BUCKET_UNREACHABLE: { status: 503, title: 'The S3 bucket cannot be reached' },
  REQUEST_FAILED: { status: 502, title: 'The S3 service failed a request' },
  SOURCE_CHANGED: { status: 409, title: 'The object changed while it was being moved' },
});
