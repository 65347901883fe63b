import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configSchema, SECRET_SECTION, type ColophonConfig, type ConfigInput } from './schema';
import { defaultConfig } from './defaults';

/** A configuration problem found at boot; the message names the key and where it came from. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Config file (JSON); otherwise COLOPHON_CONFIG; otherwise none. */
  file?: string;
  /** Environment to read COLOPHON_* overrides from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Highest layer, e.g. command-line flags or a test's settings. */
  overrides?: ConfigInput;
}

const ENV_PREFIX = 'COLOPHON_';
const NOT_CONFIG_ENV = new Set(['COLOPHON_CONFIG']);

/** Defaults, then the file, then the environment, then overrides; validated, with errors naming the key. */
export function loadConfig(opts: LoadConfigOptions = {}): ColophonConfig {
  const env = opts.env ?? process.env;
  const sources = new Map<string, string>();
  let merged: ConfigInput = defaultConfig();

  const file = opts.file ?? env.COLOPHON_CONFIG;
  if (file) {
    const fromFile = readConfigFile(file);
    if (SECRET_SECTION in fromFile) {
      const keys = Object.keys((fromFile[SECRET_SECTION] as object | null) ?? {});
      throw new ConfigError(
        `${file}: secrets.${keys[0] ?? '*'} must not be in a config file; set it in the environment as ` +
          `${ENV_PREFIX}SECRETS__${toEnvName(keys[0] ?? 'NAME')}`,
      );
    }
    const dbUrl = (fromFile.database as { url?: unknown } | undefined)?.url;
    if (typeof dbUrl === 'string' && hasPassword(dbUrl)) {
      throw new ConfigError(
        `${file}: database.url carries a password; keep the URL without it and set ${ENV_PREFIX}SECRETS__DATABASE_PASSWORD`,
      );
    }
    markSources(fromFile, [], `${file}`, sources);
    merged = deepMerge(merged, fromFile);
  }

  const fromEnv = readEnv(env, sources);
  merged = deepMerge(merged, fromEnv);
  if (opts.overrides) {
    markSources(opts.overrides, [], 'overrides', sources);
    merged = deepMerge(merged, opts.overrides);
  }

  const server = merged.server as Record<string, unknown>;
  if (!server.baseUrl) server.baseUrl = `http://${String(server.host)}:${String(server.port)}`;
  const db = merged.database as Record<string, unknown>;
  if (!db.url) db.url = `sqlite:${resolve(String(merged.dataDir), 'colophon.sqlite')}`;

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? [...issue.path] : [];
    let key = path.map(String).join('.');
    if (issue?.code === 'unrecognized_keys') key = [...path.map(String), issue.keys[0]].filter(Boolean).join('.');
    const from = sources.get(key) ?? sources.get(path.map(String).join('.'));
    throw new ConfigError(`config ${key || '(root)'}${from ? ` (from ${from})` : ''}: ${issue?.message ?? 'invalid'}`);
  }
  const config = parsed.data;
  config.dataDir = resolve(config.dataDir);
  return config;
}

function readConfigFile(file: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file ${file}: cannot read it (${(err as Error).message})`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value as ConfigInput;
  } catch (err) {
    throw new ConfigError(`config file ${file}: not valid JSON (${(err as Error).message})`);
  }
}

/** COLOPHON_SERVER__BASE_URL -> server.baseUrl; COLOPHON_DATA_DIR -> dataDir. */
function readEnv(env: NodeJS.ProcessEnv, sources: Map<string, string>): ConfigInput {
  const out: ConfigInput = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || NOT_CONFIG_ENV.has(name) || raw === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split('__').map(toCamel);
    let value: unknown = raw;
    if (path[0] !== SECRET_SECTION && /^\s*[[{]/.test(raw)) {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new ConfigError(`${name}: looks like JSON but does not parse`);
      }
    }
    let node = out;
    path.forEach((seg, i) => {
      if (i === path.length - 1) node[seg] = value;
      else node = (node[seg] ??= {}) as ConfigInput;
    });
    for (let i = 1; i <= path.length; i++) if (!sources.has(path.slice(0, i).join('.'))) sources.set(path.slice(0, i).join('.'), name);
    sources.set(path.join('.'), name);
  }
  return out;
}

function markSources(obj: ConfigInput, prefix: string[], source: string, sources: Map<string, string>): void {
  for (const [k, v] of Object.entries(obj)) {
    const path = [...prefix, k];
    sources.set(path.join('.'), source);
    if (v && typeof v === 'object' && !Array.isArray(v)) markSources(v as ConfigInput, path, source, sources);
  }
}

function toCamel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function toEnvName(s: string): string {
  return s.replace(/([A-Z])/g, '_$1').toUpperCase();
}

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

/** Merge plain objects recursively; arrays and scalars replace. */
export function deepMerge(a: ConfigInput, b: ConfigInput): ConfigInput {
  const out: ConfigInput = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    if (isPlainObject(v) && isPlainObject(prev)) out[k] = deepMerge(prev, v);
    else out[k] = isPlainObject(v) ? deepMerge({}, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is ConfigInput {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
