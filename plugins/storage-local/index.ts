export * from './plugin';
export * from './config';
export * from './connectors/local-storage-connector';
