export * from './viewer-assets';
export * from './viewer-page';
export { VIEWER_INIT_SCRIPT } from './viewer-init-script';
