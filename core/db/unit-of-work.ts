import { In, type DataSource, type EntityManager } from 'typeorm';
import type { HookBus, HookMeta } from '../events';
import { ChangeEvent, type ChangeAction } from './entities/change-event.entity';
import { Title } from './entities/title.entity';
import { isMysql } from './data-source';

/** Action hook event fired after every committed unit of work, with its change events. */
export const CHANGES_COMMITTED = 'changes.committed';

/**
 * Filter hook event run inside the transaction, just before commit, when titles changed: its
 * payload says which titles changed (or were deleted) and the datestamp they now carry, so a
 * publisher can bring its own tables up to date in the same transaction. Throwing aborts it.
 */
export const CHANGES_FLUSH = 'changes.flush';

export interface ChangesFlush {
  uow: UnitOfWork;
  /** The datestamp of this unit, from the commit-ordered clock (see nextDatestamp). */
  datestamp: Date;
  /** Titles whose disseminated content changed (they still exist). */
  changed: string[];
  /** Titles deleted by this unit, with their deletion events. */
  deleted: ChangeEvent[];
}

/**
 * Take the next datestamp from the change clock under a row lock held until commit: later
 * commits always carry later (or equal) datestamps, whatever the instance's own clock says.
 */
export async function nextDatestamp(manager: EntityManager, floor: Date): Promise<Date> {
  const mysql = isMysql(manager.connection);
  const rows = (await manager.query(`SELECT last FROM change_clock WHERE id = 1${mysql ? ' FOR UPDATE' : ''}`)) as { last: Date | string }[];
  const raw = rows[0]?.last;
  const last = raw instanceof Date ? raw : raw ? new Date(`${raw.replace(' ', 'T')}Z`) : new Date(0);
  const at = new Date(Math.max(floor.getTime(), last.getTime()));
  await manager.query('UPDATE change_clock SET last = ? WHERE id = 1', [mysql ? at : at.toISOString().replace('T', ' ').replace('Z', '')]);
  return at;
}

/**
 * One transaction of domain writes. Every write records its ChangeEvent here, in the same
 * transaction, and names the titles whose disseminated content it changes; their datestamps
 * are bumped before commit. After commit the `changes.committed` action hooks run.
 */
export class UnitOfWork {
  readonly events: ChangeEvent[] = [];
  private readonly touched = new Set<string>();
  private readonly after: (() => Promise<void> | void)[] = [];
  /** The time the unit began (initial values); datestamps and event times come from the change clock at flush. */
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

  /** The datestamp given to the titles of this unit (set at flush). */
  datestamp: Date | null = null;

  /** @internal bump datestamps of touched titles (from the change clock) and run the flush hooks. */
  async flush(): Promise<void> {
    const deleted = this.events.filter((e) => e.objectType === 'title' && e.action === 'delete');
    const gone = new Set(deleted.map((e) => e.objectId));
    const changed = [...this.touched].filter((id) => !gone.has(id));
    if (!changed.length && !this.events.length) return;
    if (changed.length && isMysql(this.manager.connection)) {
      // Lock the title rows first, in one order, then the clock: a unit still working on one of
      // these titles finishes before this one takes the clock, so the two cannot deadlock.
      await this.manager.query(`SELECT id FROM title WHERE id IN (${changed.map(() => '?').join(', ')}) ORDER BY id FOR UPDATE`, [...changed].sort());
    }
    this.datestamp = await nextDatestamp(this.manager, new Date());
    // Events carry the same commit-ordered time, so change feeds read in `at` order miss nothing.
    const seqs = this.events.map((e) => e.seq);
    if (seqs.length) await this.manager.update(ChangeEvent, { seq: In(seqs) }, { at: this.datestamp });
    for (const e of this.events) e.at = this.datestamp;
    if (changed.length) await this.manager.update(Title, { id: In(changed) }, { datestamp: this.datestamp });
    if (!changed.length && !deleted.length) return;
    await this.hooks.filter<ChangesFlush>(CHANGES_FLUSH, { uow: this, datestamp: this.datestamp, changed, deleted }, this.meta);
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
