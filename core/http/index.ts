export * from './metrics';
export * from './request-context';
export * from './cors';
export * from './conditional';
export * from './body';
export * from './range';
