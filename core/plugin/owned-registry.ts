/**
 * Things plugins contribute under a unique key (storage connectors by id, metadata formats by
 * prefix), remembered with the plugin that owns them so that disabling it takes them away.
 */
export class OwnedRegistry<T> {
  private readonly entries = new Map<string, { pluginId: string; value: T }>();

  constructor(private readonly what: string) {}

  /** Add or replace a plugin's entry; another plugin's key is refused, naming both plugins. */
  add(pluginId: string, key: string, value: T): void {
    const prev = this.entries.get(key);
    if (prev && prev.pluginId !== pluginId) {
      throw new Error(`${this.what} "${key}" of plugin ${pluginId} is already provided by plugin ${prev.pluginId}`);
    }
    this.entries.set(key, { pluginId, value });
  }

  /** Remove a plugin's entries and return them (e.g. to destroy connectors). */
  removePlugin(pluginId: string): T[] {
    const gone: T[] = [];
    for (const [key, e] of this.entries) {
      if (e.pluginId === pluginId) {
        this.entries.delete(key);
        gone.push(e.value);
      }
    }
    return gone;
  }

  get(key: string): T | undefined {
    return this.entries.get(key)?.value;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  values(): T[] {
    return [...this.entries.values()].map((e) => e.value);
  }
}
