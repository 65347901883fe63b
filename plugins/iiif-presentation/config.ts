import { z } from 'zod';

/** iiif-presentation settings. */
export const iiifPresentationConfig = z.strictObject({
  /** The institution (IIIF `provider`): its id is a URL that identifies it, e.g. its home page or ROR/ISNI URI. */
  provider: z
    .strictObject({
      id: z.url().optional(),
      label: z.string().min(1).optional(),
      homepage: z.url().optional(),
      logo: z.url().optional(),
    })
    .prefault({}),
  /** Items per page of a IIIF collection; larger collections are split into pages. */
  collectionPageSize: z.number().int().min(10).max(10000).default(500),
  /** Change events per page of the Change Discovery stream. */
  activityPageSize: z.number().int().min(10).max(10000).default(500),
  /** Cache-Control max-age of manifests and collections, seconds (they are revalidated by ETag). */
  maxAge: z.number().int().min(0).default(300),
  /** Documents kept in memory (parsed and compressed), most recently used. */
  memoryDocuments: z.number().int().min(0).default(200),
});
export type IiifPresentationConfig = z.infer<typeof iiifPresentationConfig>;
