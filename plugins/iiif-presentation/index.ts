export { iiifPresentationPlugin } from './plugin';
export type { IiifPresentationConfig } from './config';
