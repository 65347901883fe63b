import { z } from 'zod';

/** A remote digital repository (Alma's "Remote Digital Repositories"): where remote representations live. */
export const remoteRepositoryConfig = z.strictObject({
  name: z.string().min(1),
  /**
   * Delivery URL template; `{name}` is replaced by the representation's linking parameter of
   * that name (URL-encoded), e.g. "https://hdl.handle.net/{handle}".
   */
  deliveryUrlTemplate: z.string().min(1),
  thumbnailUrlTemplate: z.string().min(1).optional(),
  manifestUrlTemplate: z.string().min(1).optional(),
});
export type RemoteRepositoryConfig = z.infer<typeof remoteRepositoryConfig>;

/** inventory settings. */
export const inventoryConfig = z.strictObject({
  /** Titles shown on the public home page. */
  homePageSize: z.number().int().min(1).max(1000).default(100),
  /** Storage connector for new representations that name none. */
  defaultStorage: z.string().min(1).default('local'),
  /** Largest file accepted by upload, in bytes (default 20 GiB). */
  maxUploadBytes: z.number().int().min(1).default(20 * 1024 ** 3),
  /** Largest bibliographic record body (POST/PUT /api/v1/titles), in bytes. */
  maxRecordBytes: z.number().int().min(1024).default(16 * 1024 ** 2),
  /** Key prefix of the upload area from which staff register files already in storage (Alma's two-step S3 flow). */
  uploadPrefix: z.string().regex(/^[A-Za-z0-9._-]+\/$/, 'a single path segment ending in "/"').default('upload/'),
  /** MIME types accepted by ingest (sniffed from content); empty accepts any. Wildcards like "image/*" allowed. */
  allowedMimeTypes: z.array(z.string()).default([]),
  /** Longest side of generated thumbnails, px. */
  thumbnailSize: z.number().int().min(32).max(2000).default(300),
  /** node-cron schedule of the thumbnail job (it also runs right after each ingest). */
  thumbnailCron: z.string().default('*/5 * * * *'),
  /** Files one thumbnail run handles at most. */
  thumbnailBatch: z.number().int().min(1).default(200),
  /** node-cron schedule of the fixity check. */
  fixityCron: z.string().default('0 3 * * *'),
  /** Files one fixity run re-reads at most (those checked longest ago first). */
  fixityBatch: z.number().int().min(1).default(5000),
  /** Executables of media tools, to override PATH (pdftoppm, pdfinfo, ffmpeg, ffprobe, opj_decompress). */
  tools: z.record(z.string(), z.string()).default({}),
  /** Remote repositories by code. */
  remoteRepositories: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), remoteRepositoryConfig).default({}),
  /** Most items one bulk request may change. */
  maxBulkItems: z.number().int().min(1).default(10000),
});
export type InventoryConfig = z.infer<typeof inventoryConfig>;
