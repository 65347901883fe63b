export * from './schema';
export * from './load';
export { defaultConfig } from './defaults';
