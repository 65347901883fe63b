export * from './roles';
export * from './api-keys';
export * from './authenticate';
