export { iiifImagePlugin, DERIVATIVE_JOB } from './plugin';
export type { IiifImageConfig } from './config';
export type { IiifImageState, ImageAuth } from './services/iiif-image-state';
export { iiifImage } from './services/iiif-image-state';
