import { z } from 'zod';

const MiB = 1024 * 1024;

/** S3's multipart limits: parts of 5 MiB to 5 GiB (the last part may be smaller). */
export const S3_MIN_PART_BYTES = 5 * MiB;
export const S3_MAX_PART_BYTES = 5 * 1024 * MiB;

/**
 * storage-s3 settings. `bucket` is optional in the schema because settings are validated for
 * every installed plugin, enabled or not; the connector refuses to start without it.
 */
export const s3StorageConfig = z.strictObject({
  /** Connector id stored on representations. */
  id: z.string().regex(/^[a-z][a-z0-9-]*$/).default('s3'),
  /** S3-compatible service (MinIO, Ceph, Garage, R2...); absent means AWS S3 in `region`. */
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  region: z.string().regex(/^[a-z0-9-]+$/, 'a region name such as us-east-1').default('us-east-1'),
  /** Required when the plugin is enabled. Legacy names (upper case, underscores) are allowed. */
  bucket: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/, 'a bucket name').optional(),
  /** Key prefix inside the bucket ("colophon" and "colophon/" both mean "colophon/"). */
  prefix: z
    .string()
    .max(512)
    .default('')
    .refine((p) => p === '' || /^[^/\\]+(\/[^/\\]+)*\/?$/.test(p), 'relative path segments without backslashes')
    .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'no "." or ".." segments')
    // eslint-disable-next-line no-control-regex -- control characters are what is refused
    .refine((p) => !/[\u0000-\u001f\u007f]/.test(p), 'no control characters'),
  /** Path-style addressing (https://host/bucket/key); default: true with an endpoint, false on AWS. */
  forcePathStyle: z.boolean().optional(),
  /** Bodies larger than this go up as multipart uploads in parts of this size. */
  partSizeBytes: z.number().int().min(S3_MIN_PART_BYTES).max(S3_MAX_PART_BYTES).default(16 * MiB),
  /** Parts uploaded at once; a put holds at most about (queueSize + 1) × partSizeBytes in memory. */
  queueSize: z.number().int().min(1).max(64).default(4),
  /** Create the bucket at start when it does not exist (otherwise starting fails). */
  createBucket: z.boolean().default(false),
  /** Static credentials; absent means the AWS SDK default chain (AWS_ACCESS_KEY_ID..., profiles, instance roles). */
  credentials: z
    .strictObject({
      accessKeyId: z.string().min(1),
      secretAccessKey: z.string().min(1),
      sessionToken: z.string().min(1).optional(),
    })
    .optional(),
});
export type S3StorageConfig = z.infer<typeof s3StorageConfig>;
