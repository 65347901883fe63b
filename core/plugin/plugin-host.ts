import Router, { type RouterMiddleware } from '@koa/router';
import type Koa from 'koa';
import type { Logger } from 'pino';
import semver from 'semver';
import type { ZodType } from 'zod';
import type { Guard, RouteAuth } from '../auth/authenticate';
import { PluginState } from '../db/entities/plugin-state.entity';
import { CORE_VERSION } from '../version';
import { orderByDependencies } from './dependency-order';
import { PluginBootError, PluginErrors } from './plugin-errors';
import { collectContributions } from './registrar';
import type { Contributions, CoreServices, Plugin, PluginContext, RouteDefinition, RouteDocs } from './types';

type AnyPlugin = Plugin<Record<string, unknown>>;

interface Slot {
  plugin: AnyPlugin;
  id: string;
  dependsOn: string[];
  /** Settings from the config file (without `enabled`). */
  fileConfig: Record<string, unknown>;
  fileEnabled: boolean | undefined;
  /** Active instance, when enabled. */
  active?: { config: Record<string, unknown>; contributions: Contributions; ctx: PluginContext };
  /** Revision of PluginState last applied here (0: none). */
  revision: number;
  /** Last start failure, shown by the admin API. */
  error?: string;
}

/** A route as seen from outside: for the admin API, OpenAPI and the role matrix spec. */
export interface MountedRoute {
  pluginId: string;
  method: string;
  path: string;
  auth: RouteAuth;
  summary?: string;
  docs?: RouteDocs;
}

export const KEBAB_ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * Loads, orders, boots and closes plugins, and enables, disables and reconfigures them at run
 * time. Every change is persisted in plugin_state first and then applied, so other instances
 * (and the CLI) converge on it through sync().
 */
export class PluginHost {
  private readonly slots: Slot[];
  private readonly byId: Map<string, Slot>;
  private core?: CoreServices;
  private guard?: Guard;
  private routerMiddleware: Koa.Middleware = async (_ctx, next) => next();
  private routeList: MountedRoute[] = [];
  private services = new Map<string, { pluginId: string; value: unknown }>();
  private queue: Promise<unknown> = Promise.resolve();

  /** Validate manifests, dependencies and file config, and collect contributions. Throws PluginBootError. */
  constructor(
    plugins: AnyPlugin[],
    settings: Record<string, Record<string, unknown>>,
    private readonly logger: Logger,
  ) {
    const seen = new Set<string>();
    for (const p of plugins) {
      const m = p.manifest;
      if (!m || typeof m.id !== 'string' || !KEBAB_ID.test(m.id)) {
        throw new PluginBootError(`plugin ${String(m?.id)}: id must be kebab-case`);
      }
      if (seen.has(m.id)) throw new PluginBootError(`plugin ${m.id}: installed twice`);
      seen.add(m.id);
      if (!semver.valid(m.version)) throw new PluginBootError(`plugin ${m.id}: version "${m.version}" is not semver`);
      if (!semver.validRange(m.core)) throw new PluginBootError(`plugin ${m.id}: core range "${m.core}" is not a semver range`);
      if (!semver.satisfies(CORE_VERSION, m.core, { includePrerelease: true })) {
        throw new PluginBootError(`plugin ${m.id}@${m.version} needs core ${m.core}, but this core is ${CORE_VERSION}`);
      }
    }
    for (const id of Object.keys(settings)) {
      if (!seen.has(id)) throw new PluginBootError(`config plugins.settings.${id}: no plugin with id ${id} is installed`);
    }
    const unordered: Slot[] = plugins.map((p) => {
      const raw = { ...(settings[p.manifest.id] ?? {}) };
      const fileEnabled = raw.enabled;
      delete raw.enabled;
      if (fileEnabled !== undefined && typeof fileEnabled !== 'boolean') {
        throw new PluginBootError(`plugin ${p.manifest.id}: config enabled: expected true or false`);
      }
      if (p.manifest.required && fileEnabled === false) {
        throw new PluginBootError(`plugin ${p.manifest.id}: is part of the core and cannot be disabled`);
      }
      return { plugin: p, id: p.manifest.id, dependsOn: p.manifest.dependsOn ?? [], fileConfig: raw, fileEnabled, revision: 0 };
    });
    this.slots = orderByDependencies(unordered);
    this.byId = new Map(this.slots.map((s) => [s.id, s]));
    // Validate file config now so a bad key stops boot before the database is touched.
    for (const s of this.slots) this.resolveConfig(s, {}, true);
  }

  /** Plugin ids in boot order. */
  get order(): string[] {
    return this.slots.map((s) => s.id);
  }

  /** Entities and migrations of every installed plugin (enabled or not, so enabling later needs no restart). */
  schemaParts(): [Contributions['entities'], Contributions['migrations']] {
    const entities: Contributions['entities'] = [];
    const migrations: Contributions['migrations'] = [];
    for (const s of this.slots) {
      const c = collectContributions(s.id, (r) => s.plugin.register(r, this.resolveConfig(s, {}, true)));
      entities.push(...c.entities);
      migrations.push(...c.migrations);
    }
    return [entities, migrations];
  }

  /** Defaults ← config file ← persisted settings, validated; errors name plugin and key. */
  private resolveConfig(s: Slot, persisted: Record<string, unknown>, boot: boolean): Record<string, unknown> {
    const schema = s.plugin.manifest.config as ZodType<Record<string, unknown>> | undefined;
    const merged = { ...s.fileConfig, ...persisted };
    if (!schema) {
      const keys = Object.keys(merged);
      if (keys.length) {
        const msg = `plugin ${s.id}: config ${keys[0]}: this plugin takes no configuration`;
        if (boot) throw new PluginBootError(msg);
        throw PluginErrors.INVALID_CONFIG(msg, { extensions: { plugin: s.id, key: keys[0] } });
      }
      return {};
    }
    const r = schema.safeParse(merged);
    if (!r.success) {
      const issue = r.error.issues[0];
      let key = issue?.path.map(String).join('.') ?? '';
      if (issue?.code === 'unrecognized_keys') key = [key, issue.keys[0]].filter(Boolean).join('.');
      const msg = `plugin ${s.id}: config ${key || '(root)'}: ${issue?.code === 'unrecognized_keys' ? 'unknown key' : (issue?.message ?? 'invalid')}`;
      if (boot) throw new PluginBootError(msg);
      throw PluginErrors.INVALID_CONFIG(msg, { extensions: { plugin: s.id, key } });
    }
    return Object.freeze(r.data) as Record<string, unknown>;
  }

  /** Boot: apply persisted state, init enabled plugins in dependency order, mount routes. */
  async start(core: CoreServices, guard: Guard): Promise<void> {
    this.core = core;
    this.guard = guard;
    const states = new Map((await core.ds.getRepository(PluginState).find()).map((s) => [s.pluginId, s]));
    for (const s of this.slots) {
      const st = states.get(s.id);
      const enabled = s.plugin.manifest.required ? true : (st?.enabled ?? s.fileEnabled ?? s.plugin.manifest.enabledByDefault ?? true);
      s.revision = st?.revision ?? 0;
      if (!enabled) continue;
      const config = this.resolveConfig(s, st?.config ?? {}, true);
      const off = s.dependsOn.filter((d) => !this.byId.get(d)?.active);
      if (off.length) throw new PluginBootError(`plugin ${s.id} is enabled but depends on disabled plugin ${off.join(', ')}`);
      try {
        await this.activate(s, config);
      } catch (err) {
        throw new PluginBootError(`plugin ${s.id}: init failed: ${(err as Error).message}`);
      }
    }
    this.rebuildRouter();
  }

  /** Close every active plugin, in reverse order. */
  async close(): Promise<void> {
    await this.serialize(async () => {
      for (const s of [...this.slots].reverse()) {
        if (s.active) await this.deactivate(s).catch((err: unknown) => this.logger.error({ err, plugin: s.id }, 'plugin close failed'));
      }
      this.rebuildRouter();
    });
  }

  private ctxFor(s: Slot, config: Record<string, unknown>): PluginContext {
    const core = this.requireCore();
    return {
      id: s.id,
      config,
      logger: this.logger.child({ plugin: s.id }),
      core,
      state: new Map(),
      service: <T>(name: string): T => {
        const e = this.services.get(name);
        if (!e) throw new Error(`plugin ${s.id}: no enabled plugin provides service "${name}"`);
        if (e.pluginId !== s.id && !this.dependsTransitively(s.id, e.pluginId)) {
          throw new Error(`plugin ${s.id}: uses service "${name}" of plugin ${e.pluginId} but does not declare it in dependsOn`);
        }
        return e.value as T;
      },
    };
  }

  private dependsTransitively(from: string, to: string): boolean {
    const s = this.byId.get(from);
    if (!s) return false;
    return s.dependsOn.includes(to) || s.dependsOn.some((d) => this.dependsTransitively(d, to));
  }

  private async activate(s: Slot, config: Record<string, unknown>): Promise<void> {
    const core = this.requireCore();
    const contributions = collectContributions(s.id, (r) => s.plugin.register(r, config));
    const ctx = this.ctxFor(s, config);
    await s.plugin.init?.(ctx);
    try {
      for (const svc of contributions.services) this.services.set(svc.name, { pluginId: s.id, value: svc.factory(ctx) });
      for (const f of contributions.storageConnectors) {
        const conn = f(ctx);
        await conn.init?.();
        core.storage.addConnector(s.id, conn);
      }
      for (const f of contributions.formats) core.formats.addFormat(s.id, f(ctx));
      for (const h of contributions.filters) core.hooks.addFilter(s.id, h.event, (payload, meta) => h.fn(payload, meta, ctx), h.priority);
      for (const h of contributions.actions) core.hooks.addAction(s.id, h.event, (payload, meta) => h.fn(payload, meta, ctx), h.priority);
      core.scheduler.addJobs(s.id, contributions.jobs, ctx);
    } catch (err) {
      await this.teardown(s.id, ctx, s.plugin).catch(() => undefined);
      throw err;
    }
    s.active = { config, contributions, ctx };
    s.error = undefined;
  }

  private async deactivate(s: Slot): Promise<void> {
    const a = s.active;
    if (!a) return;
    s.active = undefined;
    await this.teardown(s.id, a.ctx, s.plugin);
  }

  private async teardown(id: string, ctx: PluginContext, plugin: AnyPlugin): Promise<void> {
    const core = this.requireCore();
    await core.scheduler.removePlugin(id);
    core.hooks.removePlugin(id);
    core.formats.removePlugin(id);
    for (const conn of core.storage.removePlugin(id)) await conn.destroy?.();
    for (const [name, e] of this.services) if (e.pluginId === id) this.services.delete(name);
    await plugin.close?.(ctx);
  }

  private requireCore(): CoreServices {
    if (!this.core) throw new Error('plugin host not started');
    return this.core;
  }

  /** Rebuild the one router from the active plugins' routes (dispatch swaps it atomically). */
  private rebuildRouter(): void {
    const router = new Router();
    const list: MountedRoute[] = [];
    for (const s of this.slots) {
      const a = s.active;
      if (!a) continue;
      for (const def of a.contributions.routes) {
        list.push({ pluginId: s.id, method: def.method, path: def.path, auth: def.auth, summary: def.summary, docs: def.docs });
        router.register(def.path, [def.method], this.wrap(s.id, def, a.ctx, a.contributions));
      }
    }
    const routes = router.routes();
    const allowed = router.allowedMethods();
    this.routerMiddleware = async (ctx, next) => routes(ctx as never, async () => allowed(ctx as never, next));
    this.routeList = list;
  }

  private wrap(pluginId: string, def: RouteDefinition, pctx: PluginContext, c: Contributions): RouterMiddleware {
    const guard = this.guard;
    return async (ctx) => {
      ctx.state.pluginId = pluginId;
      ctx.state.route = def.path;
      try {
        await guard?.check(ctx as unknown as Koa.Context, def.auth);
        await def.handler(ctx as unknown as Koa.Context, pctx);
      } catch (err) {
        if (c.errorRenderer && (await c.errorRenderer(err, ctx as unknown as Koa.Context))) return;
        throw err;
      }
    };
  }

  /** Koa middleware dispatching to the active plugins' routes. */
  middleware(): Koa.Middleware {
    return async (ctx, next) => this.routerMiddleware(ctx, next);
  }

  /** Routes of the active plugins. */
  routes(): MountedRoute[] {
    return [...this.routeList];
  }

  /** A service provided by an enabled plugin (for the core and tests). */
  service<T>(name: string): T | undefined {
    return this.services.get(name)?.value as T | undefined;
  }

  isEnabled(id: string): boolean {
    return Boolean(this.byId.get(id)?.active);
  }

  /** Installed plugins and their state (admin API and CLI). */
  list(): Record<string, unknown>[] {
    return this.slots.map((s) => this.describe(s));
  }

  get(id: string): Record<string, unknown> {
    return this.describe(this.slot(id));
  }

  private describe(s: Slot): Record<string, unknown> {
    const m = s.plugin.manifest;
    return {
      id: s.id,
      version: m.version,
      core: m.core,
      description: m.description ?? '',
      dependsOn: s.dependsOn,
      required: Boolean(m.required),
      enabled: Boolean(s.active),
      config: s.active?.config ?? null,
      routes: s.active?.contributions.routes.map((r) => `${r.method} ${r.path}`) ?? [],
      jobs: s.active?.contributions.jobs.map((j) => `${s.id}.${j.id}`) ?? [],
      revision: s.revision,
      ...(s.error ? { error: s.error } : {}),
    };
  }

  private slot(id: string): Slot {
    const s = this.byId.get(id);
    if (!s) throw PluginErrors.UNKNOWN(`No plugin with id "${id}" is installed (installed: ${this.order.join(', ')})`);
    return s;
  }

  /** Run state changes one at a time. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.catch(() => undefined).then(fn);
    this.queue = run;
    return run;
  }

  /** Enable a plugin (persisted; takes effect at once here and on other instances at their next sync). */
  enable(id: string): Promise<Record<string, unknown>> {
    return this.serialize(async () => {
      const s = this.slot(id);
      const off = s.dependsOn.filter((d) => !this.byId.get(d)?.active);
      if (off.length) {
        throw PluginErrors.DEPENDENCY_DISABLED(`Plugin ${id} depends on ${off.join(', ')}; enable ${off.length > 1 ? 'them' : 'it'} first`, {
          extensions: { plugin: id, disabled: off },
        });
      }
      const st = await this.loadState(id);
      const config = this.resolveConfig(s, st?.config ?? {}, false);
      if (!s.active) await this.activateOrReport(s, config);
      await this.saveState(s, true, st?.config ?? {});
      this.rebuildRouter();
      return this.describe(s);
    });
  }

  /** Disable a plugin: its routes answer 404, its jobs stop, its hooks stop running. */
  disable(id: string): Promise<Record<string, unknown>> {
    return this.serialize(async () => {
      const s = this.slot(id);
      if (s.plugin.manifest.required) throw PluginErrors.REQUIRED(`Plugin ${id} is part of the core`);
      const dependents = this.slots.filter((o) => o.active && o.dependsOn.includes(id)).map((o) => o.id);
      if (dependents.length) {
        throw PluginErrors.HAS_DEPENDENTS(`Plugins ${dependents.join(', ')} depend on ${id}; disable them first`, {
          extensions: { plugin: id, dependents },
        });
      }
      const st = await this.loadState(id);
      await this.deactivate(s);
      await this.saveState(s, false, st?.config ?? {});
      this.rebuildRouter();
      return this.describe(s);
    });
  }

  /**
   * Change a plugin's settings. `patch` merges into the persisted settings (null removes a key);
   * `replace` sets them whole. Validated first; an enabled plugin restarts with the new config.
   */
  configure(id: string, settings: Record<string, unknown>, mode: 'patch' | 'replace' = 'patch'): Promise<Record<string, unknown>> {
    return this.serialize(async () => {
      const s = this.slot(id);
      const st = await this.loadState(id);
      const next: Record<string, unknown> = mode === 'replace' ? {} : { ...(st?.config ?? {}) };
      for (const [k, v] of Object.entries(settings)) {
        if (v === null) delete next[k];
        else next[k] = v;
      }
      if ('enabled' in next) {
        throw PluginErrors.INVALID_CONFIG(`plugin ${id}: config enabled: use enable/disable instead`, { extensions: { plugin: id, key: 'enabled' } });
      }
      const config = this.resolveConfig(s, next, false);
      const enabled = Boolean(s.active);
      if (s.active) {
        const old = s.active.config;
        await this.deactivate(s);
        try {
          await this.activateOrReport(s, config);
        } catch (err) {
          await this.activate(s, old).catch((e2: unknown) => this.logger.error({ err: e2, plugin: id }, 'could not restore plugin'));
          this.rebuildRouter();
          throw err;
        }
      }
      await this.saveState(s, enabled, next);
      this.rebuildRouter();
      return this.describe(s);
    });
  }

  private async activateOrReport(s: Slot, config: Record<string, unknown>): Promise<void> {
    try {
      await this.activate(s, config);
    } catch (err) {
      s.error = (err as Error).message;
      this.logger.error({ err, plugin: s.id }, 'plugin failed to start');
      throw PluginErrors.INIT_FAILED(`Plugin ${s.id} failed to start: ${(err as Error).message}`, { extensions: { plugin: s.id } });
    }
  }

  private loadState(id: string): Promise<PluginState | null> {
    return this.requireCore().ds.getRepository(PluginState).findOneBy({ pluginId: id });
  }

  private async saveState(s: Slot, enabled: boolean, config: Record<string, unknown>): Promise<void> {
    const repo = this.requireCore().ds.getRepository(PluginState);
    const prev = await repo.findOneBy({ pluginId: s.id });
    const revision = (prev?.revision ?? 0) + 1;
    await repo.save(repo.create({ pluginId: s.id, enabled, config, revision, updatedAt: new Date() }));
    s.revision = revision;
  }

  /**
   * Converge on state written by another instance or the CLI: disables first (dependents before
   * what they depend on), then enables and reconfigurations in dependency order.
   */
  sync(): Promise<void> {
    return this.serialize(async () => {
      const states = new Map((await this.requireCore().ds.getRepository(PluginState).find()).map((s) => [s.pluginId, s]));
      let changed = false;
      for (const s of [...this.slots].reverse()) {
        const st = states.get(s.id);
        if (!st || st.revision === s.revision || st.enabled || s.plugin.manifest.required) continue;
        await this.deactivate(s);
        s.revision = st.revision;
        changed = true;
        this.logger.info({ plugin: s.id }, 'plugin disabled (synced)');
      }
      for (const s of this.slots) {
        const st = states.get(s.id);
        if (!st || st.revision === s.revision) continue;
        try {
          const config = this.resolveConfig(s, st.config, false);
          if (s.active) await this.deactivate(s);
          if (st.enabled || s.plugin.manifest.required) await this.activate(s, config);
          s.revision = st.revision;
          changed = true;
          this.logger.info({ plugin: s.id, enabled: Boolean(s.active) }, 'plugin state synced');
        } catch (err) {
          s.error = (err as Error).message;
          s.revision = st.revision;
          this.logger.error({ err, plugin: s.id }, 'plugin state sync failed');
        }
      }
      if (changed) this.rebuildRouter();
    });
  }
}
