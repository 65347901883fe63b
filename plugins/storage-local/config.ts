import { z } from 'zod';

/** storage-local settings. */
export const localStorageConfig = z.strictObject({
  /** Connector id stored on representations. */
  id: z.string().regex(/^[a-z][a-z0-9-]*$/).default('local'),
  /** Root directory; relative paths are under the data directory. Default: <dataDir>/storage. */
  root: z.string().default('storage'),
});
export type LocalStorageConfig = z.infer<typeof localStorageConfig>;
