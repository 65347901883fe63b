import { z } from 'zod';

/** inventory settings. */
export const inventoryConfig = z.strictObject({
  /** Titles shown on the public home page. */
  homePageSize: z.number().int().min(1).max(1000).default(100),
});
export type InventoryConfig = z.infer<typeof inventoryConfig>;
