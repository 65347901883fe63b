import { z } from 'zod';

// Values from the environment arrive as strings; these accept both forms so one schema
// validates defaults, the config file and environment overrides alike.
const num = () =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v), z.number());
const bool = () =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    if (/^(true|1|yes|on)$/i.test(v)) return true;
    if (/^(false|0|no|off)$/i.test(v)) return false;
    return v;
  }, z.boolean());
const list = () =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(z.string()));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The whole configuration of one Colophon instance (see README, "Configuration"). */
export const configSchema = z.strictObject({
  /** Directory for the embedded SQLite database, local storage and caches. */
  dataDir: z.string().min(1),
  server: z.strictObject({
    host: z.string().min(1),
    port: num().pipe(z.number().int().min(0).max(65535)),
    /** Public base URL: every absolute URL the server emits starts with it. */
    baseUrl: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
    /** Honour X-Forwarded-* from a reverse proxy. */
    trustProxy: bool(),
    /** How long a graceful shutdown waits for requests in flight. */
    shutdownTimeoutMs: num().pipe(z.number().int().min(0)),
    /** Upper bound for a request body that is not a streamed upload. */
    bodyLimitBytes: num().pipe(z.number().int().positive()),
  }),
  database: z.strictObject({
    /** `sqlite:PATH` or `mysql://user@host:port/db`; empty means SQLite in dataDir. */
    url: z.string(),
    poolSize: num().pipe(z.number().int().min(1).max(200)),
    logging: bool(),
  }),
  log: z.strictObject({
    level: z.enum(LOG_LEVELS),
  }),
  cors: z.strictObject({
    /** Origins allowed by the CORS helper; `*` allows any. */
    origins: list(),
  }),
  jobs: z.strictObject({
    /** Run scheduled jobs on this instance (one-off CLI commands turn it off). */
    enabled: bool(),
    /** Keep JobRun rows this many days (the job-runs-prune job). */
    retainDays: num().pipe(z.number().int().min(1)),
  }),
  plugins: z.strictObject({
    /** How often an instance re-reads plugin state written by another instance or the CLI. */
    syncIntervalMs: num().pipe(z.number().int().min(0)),
    /** Initial per-plugin settings: `{ "<id>": { "enabled": true, ...config } }`. */
    settings: z.record(z.string(), z.record(z.string(), z.unknown())),
  }),
  repository: z.strictObject({
    name: z.string().min(1),
    adminEmail: z.email(),
  }),
  /** Secrets: only ever from the environment (COLOPHON_SECRETS__*). */
  secrets: z.strictObject({
    databasePassword: z.string().optional(),
    /** Key for signed tokens (OAI-PMH resumption tokens, IIIF auth tokens); read by the plugins that sign. */
    signingKey: z.string().min(16).optional(),
  }),
});

export type ColophonConfig = z.infer<typeof configSchema>;
/** A partial config as given by a file, the environment, flags or a test (nested objects). */
export type ConfigInput = Record<string, unknown>;

export const SECRET_SECTION = 'secrets';
