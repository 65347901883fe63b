import type { Contributions, Registrar } from './types';

/** Collect a plugin's contributions; every method throws once register() has returned. */
export function collectContributions<C>(pluginId: string, register: (r: Registrar<C>) => void): Contributions<C> {
  const c: Contributions<C> = {
    routes: [], entities: [], migrations: [], storageConnectors: [], formats: [], jobs: [],
    filters: [], actions: [], services: [],
  };
  let open = true;
  const guard = (what: string): void => {
    if (!open) throw new Error(`plugin ${pluginId}: ${what}() called after register() returned; contribute only during register()`);
  };
  const r: Registrar<C> = {
    route: (def) => {
      guard('route');
      if (!def.path.startsWith('/')) throw new Error(`plugin ${pluginId}: route path "${def.path}" must start with /`);
      c.routes.push(def);
    },
    errorRenderer: (fn) => { guard('errorRenderer'); c.errorRenderer = fn; },
    entities: (...cls) => { guard('entities'); c.entities.push(...cls); },
    migrations: (...cls) => { guard('migrations'); c.migrations.push(...cls); },
    storageConnector: (f) => { guard('storageConnector'); c.storageConnectors.push(f); },
    metadataFormat: (f) => { guard('metadataFormat'); c.formats.push(f); },
    job: (def) => {
      guard('job');
      if (!/^[a-z0-9][a-z0-9-]*$/.test(def.id)) throw new Error(`plugin ${pluginId}: job id "${def.id}" must be kebab-case`);
      if (c.jobs.some((j) => j.id === def.id)) throw new Error(`plugin ${pluginId}: job "${def.id}" registered twice`);
      c.jobs.push(def);
    },
    filter: (event, fn, priority = 100) => { guard('filter'); c.filters.push({ event, fn: fn as never, priority }); },
    action: (event, fn, priority = 100) => { guard('action'); c.actions.push({ event, fn: fn as never, priority }); },
    provide: (name, factory) => {
      guard('provide');
      if (c.services.some((s) => s.name === name)) throw new Error(`plugin ${pluginId}: service "${name}" provided twice`);
      c.services.push({ name, factory });
    },
  };
  register(r);
  open = false;
  return c;
}
