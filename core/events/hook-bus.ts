import type { Logger } from 'pino';
import { ColophonError, CoreErrors } from '../errors';

/** Context passed to every hook. */
export interface HookMeta {
  /** Who triggered the write, if known (API key id or user id). */
  actor?: string;
  [key: string]: unknown;
}

/** A filter runs before a write: it may return a changed payload, or throw a Veto to stop it. */
export type FilterHook<T = unknown> = (payload: T, meta: HookMeta) => T | void | Promise<T | void>;
/** An action runs after commit; its failure is logged and never undoes the write. */
export type ActionHook<T = unknown> = (payload: T, meta: HookMeta) => void | Promise<void>;

/** Thrown by a filter hook to refuse a write; the client gets 422 naming the plugin. */
export class Veto extends Error {
  constructor(
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'Veto';
  }
}

interface Entry<F> {
  pluginId: string;
  fn: F;
  priority: number;
}

/** Filter and action hooks by event name; only enabled plugins' hooks are present. */
export class HookBus {
  private readonly filters = new Map<string, Entry<FilterHook>[]>();
  private readonly actions = new Map<string, Entry<ActionHook>[]>();

  constructor(private readonly logger: Logger) {}

  addFilter(pluginId: string, event: string, fn: FilterHook, priority = 100): void {
    const list = this.filters.get(event) ?? [];
    list.push({ pluginId, fn, priority });
    list.sort((a, b) => a.priority - b.priority);
    this.filters.set(event, list);
  }

  addAction(pluginId: string, event: string, fn: ActionHook, priority = 100): void {
    const list = this.actions.get(event) ?? [];
    list.push({ pluginId, fn, priority });
    list.sort((a, b) => a.priority - b.priority);
    this.actions.set(event, list);
  }

  /** Drop every hook a plugin added (on disable or reconfigure). */
  removePlugin(pluginId: string): void {
    for (const map of [this.filters, this.actions] as Map<string, Entry<unknown>[]>[]) {
      for (const [event, list] of map) map.set(event, list.filter((e) => e.pluginId !== pluginId));
    }
  }

  /** Run the filters of an event in priority order; a Veto becomes a 422 problem naming the plugin. */
  async filter<T>(event: string, payload: T, meta: HookMeta = {}): Promise<T> {
    let current = payload;
    for (const entry of this.filters.get(event) ?? []) {
      try {
        const out = await (entry.fn as FilterHook<T>)(current, meta);
        if (out !== undefined) current = out;
      } catch (err) {
        if (err instanceof Veto) {
          throw CoreErrors.VETOED(`${entry.pluginId}: ${err.message}`, {
            extensions: { plugin: entry.pluginId, event, ...err.extensions },
          });
        }
        if (err instanceof ColophonError) throw err;
        throw CoreErrors.INTERNAL(`filter hook of plugin ${entry.pluginId} failed on ${event}`, { cause: err });
      }
    }
    return current;
  }

  /** Run the actions of an event; failures are logged, never thrown. */
  async action<T>(event: string, payload: T, meta: HookMeta = {}): Promise<void> {
    for (const entry of this.actions.get(event) ?? []) {
      try {
        await (entry.fn as ActionHook<T>)(payload, meta);
      } catch (err) {
        this.logger.error({ err, plugin: entry.pluginId, event }, 'action hook failed');
      }
    }
  }

  /** Names of events that have hooks (for the admin API). */
  describe(): { filters: Record<string, string[]>; actions: Record<string, string[]> } {
    const d = (m: Map<string, Entry<unknown>[]>): Record<string, string[]> =>
      Object.fromEntries([...m].filter(([, l]) => l.length).map(([e, l]) => [e, l.map((x) => x.pluginId)]));
    return { filters: d(this.filters as Map<string, Entry<unknown>[]>), actions: d(this.actions as Map<string, Entry<unknown>[]>) };
  }
}
