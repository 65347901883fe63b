export * from './colophon-error';
export * from './core-errors';
export * from './problem';
