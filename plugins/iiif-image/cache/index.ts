export * from './render-cache';
export * from './render-cache-errors';
export * from './cache-object-store';
export * from './disk-cache-store';
export * from './connector-cache-store';
