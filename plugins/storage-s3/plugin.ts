import { definePlugin } from '../../core/plugin';
import { CORE_VERSION } from '../../core/version';
import { s3StorageConfig, type S3StorageConfig } from './config';
import { S3StorageConnector } from './connectors/s3-storage-connector';
import { StorageS3Errors } from './errors';

/** Storage connector for an S3 or S3-compatible bucket (off until configured and enabled). */
export const storageS3Plugin = definePlugin<S3StorageConfig>({
  manifest: {
    id: 'storage-s3',
    version: CORE_VERSION,
    core: `^${CORE_VERSION}`,
    description: 'Objects in an S3 or S3-compatible bucket',
    config: s3StorageConfig,
    enabledByDefault: false,
  },
  register(r, config) {
    r.storageConnector((ctx) => {
      // Settings are validated for disabled plugins too, so the schema cannot require a bucket.
      if (!config.bucket) throw StorageS3Errors.CONFIG_INVALID('config bucket: required when storage-s3 is enabled');
      return S3StorageConnector.fromConfig(
        {
          id: config.id,
          bucket: config.bucket,
          region: config.region,
          endpoint: config.endpoint,
          prefix: config.prefix,
          forcePathStyle: config.forcePathStyle,
          credentials: config.credentials,
          partSizeBytes: config.partSizeBytes,
          queueSize: config.queueSize,
          createBucket: config.createBucket,
        },
        { logger: ctx.logger },
      );
    });
  },
});
