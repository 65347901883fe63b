export * from './plugin';
export * from './config';
export * from './errors';
export * from './connectors/s3-storage-connector';
