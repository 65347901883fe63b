import type Koa from 'koa';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { z } from 'zod';
import type { RouteAuth } from '../auth/authenticate';
import type { ColophonConfig } from '../config';
import type { HookBus, ActionHook, FilterHook, HookMeta } from '../events';
import type { FormatRegistry, MetadataFormat } from '../formats';
import type { StorageConnector, StorageRegistry } from '../storage';
import type { UnitOfWork } from '../db/unit-of-work';
import type { PluginHost } from './plugin-host';
import type { JobScheduler } from '../jobs/job-scheduler';
import type { ApiKeyService } from '../auth/api-keys';

/** Who a plugin is and what it needs; checked at boot before anything runs. */
export interface PluginManifest<C = Record<string, unknown>> {
  /** kebab-case; the config key and the admin API name. */
  id: string;
  version: string;
  /** semver range of the core this plugin works with. */
  core: string;
  dependsOn?: string[];
  description?: string;
  /** Config schema: a zod strict object whose fields have defaults (unknown keys rejected). */
  config?: z.ZodType<C>;
  /** Enabled when neither the config file nor persisted state says otherwise (default true). */
  enabledByDefault?: boolean;
  /** Part of the core: cannot be disabled. */
  required?: boolean;
}

/** A Colophon plugin (see ../shared/STYLE.md, "The plugin contract"). */
export interface Plugin<C = Record<string, unknown>> {
  manifest: PluginManifest<C>;
  /** Declarative: say what the plugin contributes. No I/O here; it may run again on reconfigure. */
  register(r: Registrar<C>, config: Readonly<C>): void;
  /** After the database is migrated, in dependency order. */
  init?(ctx: PluginContext<C>): Promise<void>;
  /** On disable, reconfigure and shutdown, in reverse dependency order. */
  close?(ctx: PluginContext<C>): Promise<void>;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** A route a plugin contributes. Paths are absolute (`/api/v1/...`, `/oai`, `/iiif/3/...`). */
export interface RouteDefinition<C = Record<string, unknown>> {
  method: HttpMethod;
  path: string;
  /** 'public', or the permissions a caller must hold (see core/auth/roles). */
  auth: RouteAuth;
  summary?: string;
  /** What the OpenAPI document says of this route (GET /api/openapi.json). */
  docs?: RouteDocs;
  handler: (ctx: Koa.Context, plugin: PluginContext<C>) => Promise<void> | void;
}

/** OpenAPI description of one route; zod schemas are turned into JSON Schema. */
export interface RouteDocs {
  tags?: string[];
  description?: string;
  /** Query parameters (a zod object). */
  query?: z.ZodType;
  /** A JSON request body. */
  body?: z.ZodType;
  /** Request bodies that are not JSON (e.g. application/marc, multipart/form-data), by media type. */
  requestContentTypes?: Record<string, { description?: string; schema?: z.ZodType }>;
  /** Responses by status code; problem+json error responses are added from `errors`. */
  responses?: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  /** Error statuses this route may answer with (problem+json), beyond 401/403 which follow from auth. */
  errors?: number[];
}

/** Renders an error in the plugin's protocol; returns false to leave it to the core (problem+json). */
export type ErrorRenderer = (err: unknown, ctx: Koa.Context) => boolean | Promise<boolean>;

export interface JobRunContext {
  signal: AbortSignal;
  logger: Logger;
  runId: string;
  /** Report progress (0..1) and an optional message; also renews the run's lease. */
  progress(fraction: number, message?: string): Promise<void>;
}

export interface JobResult {
  message?: string;
  outputLocation?: string;
}

/** A scheduled job. Its full id is `<plugin id>.<id>`. */
export interface JobDefinition<C = Record<string, unknown>> {
  id: string;
  /** node-cron expression; six fields allow seconds. */
  cron: string;
  timeoutMs: number;
  description?: string;
  run(ctx: JobRunContext, plugin: PluginContext<C>): Promise<JobResult | void>;
}

/** A hook as a plugin writes it: the bus's hook, plus the plugin's own context as a third argument. */
export type PluginHook<H extends (payload: never, meta: HookMeta) => unknown, C> = (
  payload: Parameters<H>[0],
  meta: HookMeta,
  plugin: PluginContext<C>,
) => ReturnType<H>;

/** Everything a registration collects. */
export interface Contributions<C = Record<string, unknown>> {
  routes: RouteDefinition<C>[];
  errorRenderer?: ErrorRenderer;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: Function[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[];
  storageConnectors: ((ctx: PluginContext<C>) => StorageConnector)[];
  formats: ((ctx: PluginContext<C>) => MetadataFormat)[];
  jobs: JobDefinition<C>[];
  filters: { event: string; fn: PluginHook<FilterHook, C>; priority: number }[];
  actions: { event: string; fn: PluginHook<ActionHook, C>; priority: number }[];
  services: { name: string; factory: (ctx: PluginContext<C>) => unknown }[];
}

/** What a plugin may contribute; usable only during register(). */
export interface Registrar<C = Record<string, unknown>> {
  route(def: RouteDefinition<C>): void;
  /** Handle errors of this plugin's routes in its own protocol (OAI-PMH XML, IIIF status codes). */
  errorRenderer(fn: ErrorRenderer): void;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities(...classes: Function[]): void;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations(...classes: Function[]): void;
  storageConnector(factory: (ctx: PluginContext<C>) => StorageConnector): void;
  metadataFormat(factory: (ctx: PluginContext<C>) => MetadataFormat): void;
  job(def: JobDefinition<C>): void;
  filter<T>(event: string, fn: PluginHook<FilterHook<T>, C>, priority?: number): void;
  action<T>(event: string, fn: PluginHook<ActionHook<T>, C>, priority?: number): void;
  /** Offer a service to plugins that depend on this one; built after init. */
  provide<T>(name: string, factory: (ctx: PluginContext<C>) => T): void;
}

/** The core's parts, as plugins see them. */
export interface CoreServices {
  config: ColophonConfig;
  ds: DataSource;
  hooks: HookBus;
  logger: Logger;
  storage: StorageRegistry;
  formats: FormatRegistry;
  host: PluginHost;
  scheduler: JobScheduler;
  apiKeys: ApiKeyService;
  /** Run domain writes as one transaction with their change events. */
  unitOfWork<T>(fn: (uow: UnitOfWork) => Promise<T>, meta?: HookMeta): Promise<T>;
  /** Absolute URL under the configured public base URL. */
  url(path: string): string;
}

/** Per-instance context of one plugin. */
export interface PluginContext<C = Record<string, unknown>> {
  id: string;
  config: Readonly<C>;
  logger: Logger;
  core: CoreServices;
  /** A service some enabled plugin provides (declare that plugin in dependsOn). */
  service<T>(name: string): T;
  /** Per-instance state a plugin keeps between init and close. */
  state: Map<string, unknown>;
}

/** A plugin of any config type (for lists of installed plugins). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPlugin = Plugin<any>;
