export * from './plugin';
export * from './config';
export * from './errors';
export * from './services/collection-service';
export * from './services/title-reader';
