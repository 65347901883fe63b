import { PluginBootError } from './plugin-errors';

/**
 * Order plugins so that each comes after what it depends on (stable: otherwise as given).
 * A missing dependency or a cycle throws, naming the plugins involved.
 */
export function orderByDependencies<T extends { id: string; dependsOn: readonly string[] }>(items: T[]): T[] {
  const byId = new Map(items.map((i) => [i.id, i]));
  for (const i of items) {
    for (const d of i.dependsOn) {
      if (!byId.has(d)) throw new PluginBootError(`plugin ${i.id} depends on plugin ${d}, which is not installed`);
    }
  }
  const out: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (i: T, trail: string[]): void => {
    const s = state.get(i.id);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(i.id)), i.id];
      throw new PluginBootError(`plugins have a dependency cycle: ${cycle.join(' -> ')}`);
    }
    state.set(i.id, 'visiting');
    for (const d of i.dependsOn) visit(byId.get(d) as T, [...trail, i.id]);
    state.set(i.id, 'done');
    out.push(i);
  };
  for (const i of items) visit(i, []);
  return out;
}
