import Koa from 'koa';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { ApiKeyService } from './auth/api-keys';
import { Guard } from './auth/authenticate';
import type { ColophonConfig } from './config';
import { buildDataSource } from './db/data-source';
import { coreEntities } from './db/entities';
import { migrate } from './db/migrate';
import { coreMigrations } from './db/migrations';
import { withUnitOfWork } from './db/unit-of-work';
import { CoreErrors, sendProblem, toColophonError } from './errors';
import { HookBus } from './events';
import { FormatRegistry } from './formats';
import { Metrics } from './http/metrics';
import { requestContext } from './http/request-context';
import { JobScheduler } from './jobs/job-scheduler';
import { createLogger } from './logger';
import { PluginHost } from './plugin/plugin-host';
import type { AnyPlugin, CoreServices, Plugin } from './plugin/types';
import { StorageRegistry } from './storage';
import { adminPlugin } from './admin/admin-plugin';

export interface CreateAppOptions {
  /** Installed plugins (default: the built-in list; tests pass their own). */
  plugins?: AnyPlugin[];
  logger?: Logger;
  /** Run scheduled jobs here (default: config.jobs.enabled). */
  jobs?: boolean;
  /** Apply pending migrations at boot (default true). */
  migrate?: boolean;
  /** Name of this instance in JobRun rows (tests run several in one process). */
  instance?: string;
}

/** A booted Colophon: everything the server, the CLI and the specs drive. It never listens. */
export interface ColophonApp {
  config: ColophonConfig;
  koa: Koa;
  ds: DataSource;
  host: PluginHost;
  scheduler: JobScheduler;
  hooks: HookBus;
  logger: Logger;
  metrics: Metrics;
  core: CoreServices;
  apiKeys: ApiKeyService;
  /** Node request listener for http.createServer or supertest. */
  callback(): ReturnType<Koa['callback']>;
  /** True once close() has begun (readiness turns 503). */
  readonly closing: boolean;
  /** Stop jobs, close plugins in reverse order, close the database. */
  close(): Promise<void>;
}

/**
 * Boot: validate plugins and their config → build one DataSource from every contributed entity
 * and migration → migrate → init plugins in dependency order → mount routes and start jobs.
 */
export async function createApp(config: ColophonConfig, opts: CreateAppOptions = {}): Promise<ColophonApp> {
  const logger = opts.logger ?? createLogger(config.log.level);
  const { host, ds } = await openDatabase(config, { plugins: opts.plugins, logger });
  let closing = false;
  let syncTimer: NodeJS.Timeout | undefined;
  try {
    if (opts.migrate !== false) await migrate(ds);
    const metrics = new Metrics();
    const hooks = new HookBus(logger);
    const scheduler = new JobScheduler(ds, logger.child({ part: 'jobs' }), metrics, {
      enabled: opts.jobs ?? config.jobs.enabled,
      instance: opts.instance,
    });
    const apiKeys = new ApiKeyService(ds);
    const guard = new Guard(apiKeys);
    const core: CoreServices = {
      config,
      ds,
      hooks,
      logger,
      storage: new StorageRegistry(),
      formats: new FormatRegistry(),
      host,
      scheduler,
      apiKeys,
      unitOfWork: (fn, meta) => withUnitOfWork(ds, hooks, fn, meta),
      url: (path) => `${config.server.baseUrl}${path.startsWith('/') ? '' : '/'}${path}`,
    };
    await host.start(core, guard);

    const koa = new Koa({ proxy: config.server.trustProxy });
    koa.silent = true;
    koa.use(requestContext(logger, metrics));
    koa.use(async (ctx, next) => {
      try {
        await next();
        if (ctx.status === 404 && ctx.body == null) throw CoreErrors.NOT_FOUND(`Nothing at ${ctx.method} ${ctx.path}`);
        if (ctx.status === 405 && ctx.body == null) {
          throw CoreErrors.METHOD_NOT_ALLOWED(`${ctx.method} is not allowed on ${ctx.path}`, { headers: { Allow: ctx.response.get('Allow') } });
        }
      } catch (err) {
        const e = toColophonError(err);
        if (e.status >= 500) (ctx.state.logger as Logger | undefined ?? logger).error({ err }, 'request failed');
        sendProblem(ctx, e, config.server.baseUrl);
      }
    });
    koa.use(async (ctx, next) => {
      if (ctx.path === '/healthz' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
        ctx.state.route = '/healthz';
        ctx.body = { status: 'ok' };
        return;
      }
      if (ctx.path === '/readyz' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
        ctx.state.route = '/readyz';
        if (closing) throw CoreErrors.UNAVAILABLE('Shutting down');
        try {
          await ds.query('SELECT 1');
        } catch (err) {
          throw CoreErrors.UNAVAILABLE(`Database unreachable: ${(err as Error).message}`);
        }
        ctx.body = { status: 'ready', database: ds.options.type };
        return;
      }
      if (ctx.path === '/metrics' && ctx.method === 'GET') {
        ctx.state.route = '/metrics';
        ctx.type = metrics.registry.contentType;
        ctx.body = await metrics.registry.metrics();
        return;
      }
      await next();
    });
    koa.use(host.middleware());

    if (config.plugins.syncIntervalMs > 0) {
      syncTimer = setInterval(() => {
        host.sync().catch((err: unknown) => logger.error({ err }, 'plugin state sync failed'));
      }, config.plugins.syncIntervalMs);
      syncTimer.unref();
    }

    let closed: Promise<void> | undefined;
    const app: ColophonApp = {
      config, koa, ds, host, scheduler, hooks, logger, metrics, core, apiKeys,
      callback: () => koa.callback(),
      get closing() {
        return closing;
      },
      close: () => {
        closed ??= (async () => {
          closing = true;
          if (syncTimer) clearInterval(syncTimer);
          await scheduler.stop();
          await host.close();
          await ds.destroy();
        })();
        return closed;
      },
    };
    return app;
  } catch (err) {
    if (syncTimer) clearInterval(syncTimer);
    await host.close().catch(() => undefined);
    await ds.destroy().catch(() => undefined);
    throw err;
  }
}

/**
 * Validate the plugins and open the one DataSource built from the core's and every installed
 * plugin's entities and migrations, without migrating or starting anything (`colophon migrate`).
 */
export async function openDatabase(
  config: ColophonConfig,
  opts: { plugins?: AnyPlugin[]; logger?: Logger } = {},
): Promise<{ host: PluginHost; ds: DataSource }> {
  const logger = opts.logger ?? createLogger(config.log.level);
  const plugins = (opts.plugins ?? (await loadBuiltinPlugins())) as Plugin[];
  const host = new PluginHost([adminPlugin as Plugin, ...plugins], config.plugins.settings, logger);
  const [entities, migrations] = host.schemaParts();
  const ds = buildDataSource(config, {
    entities: [...coreEntities, ...entities],
    migrations: [...coreMigrations, ...migrations],
  });
  await ds.initialize();
  return { host, ds };
}

async function loadBuiltinPlugins(): Promise<Plugin[]> {
  // Loaded lazily so the core does not import plugins at module load (and tests can run without them).
  const mod = (await import('../plugins/index.js')) as { builtinPlugins: Plugin[] };
  return mod.builtinPlugins;
}
