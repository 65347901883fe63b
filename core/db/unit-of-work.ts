import { In, type DataSource, type EntityManager } from 'typeorm';
import type { HookBus, HookMeta } from '../events';
import { ChangeEvent, type ChangeAction } from './entities/change-event.entity';
import { Title } from './entities/title.entity';
import { isMysql } from './data-source';

/** Action hook event fired after every committed unit of work, with its change events. */
export const CHANGES_COMMITTED = 'changes.committed';

/**
 * One transaction of domain writes. Every write records its ChangeEvent here, in the same
 * transaction, and names the titles whose disseminated content it changes; their datestamps
 * are bumped before commit. After commit the `changes.committed` action hooks run.
 */
export class UnitOfWork {
  readonly events: ChangeEvent[] = [];
  private readonly touched = new Set<string>();
  private readonly after: (() => Promise<void> | void)[] = [];
  /** One clock reading for the whole unit, so every datestamp and event of it agree. */
  readonly now = new Date();

  constructor(
    readonly manager: EntityManager,
    readonly hooks: HookBus,
    readonly meta: HookMeta,
  ) {}

  /** Run the filter hooks of an event (they may change the payload or veto the write). */
  filter<T>(event: string, payload: T): Promise<T> {
    return this.hooks.filter(event, payload, { ...this.meta, uow: this });
  }

  /** Record a change; `titleId` also bumps that title's datestamp (unless the title was deleted). */
  async record(
    objectType: string,
    objectId: string,
    action: ChangeAction,
    opts: { titleId?: string | null; payload?: Record<string, unknown> } = {},
  ): Promise<ChangeEvent> {
    const ev = this.manager.create(ChangeEvent, {
      at: this.now,
      objectType,
      objectId,
      action,
      titleId: opts.titleId ?? null,
      payload: opts.payload ?? null,
    });
    const saved = await this.manager.save(ChangeEvent, ev);
    this.events.push(saved);
    if (opts.titleId && !(objectType === 'title' && action === 'delete')) this.touched.add(opts.titleId);
    return saved;
  }

  /** Mark titles whose disseminated content changed without an event of their own. */
  touchTitles(...ids: string[]): void {
    for (const id of ids) this.touched.add(id);
  }

  /** Run something after commit (e.g. delete a stored object that the transaction unlinked). */
  afterCommit(fn: () => Promise<void> | void): void {
    this.after.push(fn);
  }

  /** @internal bump datestamps of touched titles. */
  async flush(): Promise<void> {
    if (this.touched.size === 0) return;
    await this.manager.update(Title, { id: In([...this.touched]) }, { datestamp: this.now });
  }

  /** @internal */
  async runAfterCommit(): Promise<void> {
    for (const fn of this.after) await fn();
    if (this.events.length) await this.hooks.action(CHANGES_COMMITTED, this.events, this.meta);
  }
}

// better-sqlite3 has one connection: TypeORM cannot run two transactions on it at once, so
// SQLite transactions of this process queue here. MariaDB uses its pool and row locks.
const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

/** Run `fn` in a transaction (queued on SQLite). */
export async function transaction<T>(ds: DataSource, fn: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (isMysql(ds)) return ds.transaction(fn);
  const prev = sqliteQueues.get(ds) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(() => ds.transaction(fn));
  sqliteQueues.set(ds, run);
  return run;
}

/** Run domain writes as one unit of work: one transaction with its change events, then the action hooks. */
export async function withUnitOfWork<T>(
  ds: DataSource,
  hooks: HookBus,
  fn: (uow: UnitOfWork) => Promise<T>,
  meta: HookMeta = {},
): Promise<T> {
  let uow: UnitOfWork | undefined;
  const result = await transaction(ds, async (manager) => {
    uow = new UnitOfWork(manager, hooks, meta);
    const r = await fn(uow);
    await uow.flush();
    return r;
  });
  if (uow) await uow.runAfterCommit();
  return result;
}
