import { z } from 'zod';
import { iiifAuthConfig } from './auth/auth-config';

/** iiif-image settings. */
export const iiifImageConfig = z.strictObject({
  /** Largest output width, height and area (pixels) declared in info.json and enforced. */
  maxWidth: z.number().int().min(1).default(10000),
  maxHeight: z.number().int().min(1).default(10000),
  maxArea: z.number().int().min(1).default(40_000_000),
  /** Largest source image (pixels) the server decodes; larger ones answer 413 (decompression bombs). */
  maxInputPixels: z.number().int().min(1).default(1_000_000_000),
  /** Tile size of the pyramidal derivatives and of info.json `tiles`. */
  tileSize: z.number().int().min(64).max(4096).multipleOf(16).default(512),
  /** JPEG quality of pyramid tiles and of jpg responses. */
  jpegQuality: z.number().int().min(30).max(100).default(85),
  /** Storage connector for pyramidal derivatives; default: the representation's own connector. */
  derivativeStorage: z.string().optional(),
  /** node-cron schedule of the derivative sweep (it also runs right after each ingest). */
  derivativeCron: z.string().default('*/10 * * * *'),
  /** Files one derivative run converts at most. */
  derivativeBatch: z.number().int().min(1).default(500),
  /** Local copies of pyramids held by a remote (S3) connector, bytes; oldest are removed first. */
  pyramidMirrorBytes: z.number().int().min(0).default(10 * 1024 ** 3),
  /** Rendered-response cache. */
  cache: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** disk: under dataDir/iiif-cache; storage: in a storage connector (e.g. S3, shared by instances). */
      backend: z.enum(['disk', 'storage']).default('disk'),
      /** Storage connector id for backend "storage". */
      connector: z.string().optional(),
      maxBytes: z.number().int().min(1024 * 1024).default(2 * 1024 ** 3),
      /** Hot bodies kept in memory, bytes. */
      memoryBytes: z.number().int().min(0).default(64 * 1024 ** 2),
    })
    .prefault({}),
  /** Cache-Control max-age of images and info.json for open content, seconds. */
  maxAge: z.number().int().min(0).default(86400),
  /** Authorization Flow 2.0: login for local users; probe, token and logout services (see auth/README.md). */
  auth: iiifAuthConfig.prefault({}),
});
export type IiifImageConfig = z.infer<typeof iiifImageConfig>;
