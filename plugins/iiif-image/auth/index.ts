export * from './auth-config';
export * from './auth-errors';
export * from './auth-key';
export * from './access-tokens';
export * from './iiif-sessions';
export * from './file-access';
export * from './probe-service-description';
export * from './content-delivery';
export * from './iiif-auth';
export * from './auth-routes';
export { IiifAuthSetting } from './iiif-auth-setting.entity';
export { IiifAuth1764800000100 } from './iiif-auth-migration';

import { IiifAuthSetting } from './iiif-auth-setting.entity';
import { IiifAuth1764800000100 } from './iiif-auth-migration';

/** Entities and migrations the plugin registers for the auth services (r.entities / r.migrations). */
export const authEntities = [IiifAuthSetting];
export const authMigrations = [IiifAuth1764800000100];
