export * from './storage-connector';
