export * from './metadata-format';
