import type { PluginContext } from '../../../core/plugin/types';
import type { IiifAuth } from '../auth/iiif-auth';
import type { RenderCache } from '../cache/render-cache';
import type { IiifImageConfig } from '../config';
import type { DerivativeService } from './derivative-service';
import type { ImageFiles } from './image-files';
import type { TileMemo } from './tile-memo';

/** The Authorization Flow services (probe, access, token, logout; access decisions). */
export type ImageAuth = IiifAuth;

/** The plugin's services, built at init. */
export interface IiifImageState {
  files: ImageFiles;
  derivatives: DerivativeService;
  cache: RenderCache | null;
  /** Stored tiles recently sent. */
  tiles: TileMemo;
  auth: ImageAuth;
}

/** The running plugin's services. */
export function iiifImage(p: PluginContext<IiifImageConfig>): IiifImageState {
  const s = p.state.get('iiif') as IiifImageState | undefined;
  if (!s) throw new Error('iiif-image is not initialised');
  return s;
}
