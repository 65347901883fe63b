export * from './plugin';
export * from './config';
export * from './formats';
export * from './protocol/oai-request';
export * from './services/oai-service';
export * from './services/item-builder';
export * from './services/resumption-tokens';
