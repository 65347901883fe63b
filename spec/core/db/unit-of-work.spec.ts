import { expect } from 'chai';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { describeDatabase } from '../../../core/db/data-source';
import { ChangeEvent } from '../../../core/db/entities/change-event.entity';
import { Title } from '../../../core/db/entities/title.entity';
import { CHANGES_COMMITTED, nextDatestamp, type UnitOfWork } from '../../../core/db/unit-of-work';
import { ColophonError } from '../../../core/errors';
import { Veto } from '../../../core/events';
import { startTestApp, type TestApp } from '../../helpers/test-app';

/**
 * Reads through a connection of its own, outside the app's DataSource, so it sees only what
 * is committed (on SQLite the app's one connection would also see its open transaction).
 */
interface CommittedReader {
  count(sql: string, params: unknown[]): Promise<number>;
  close(): Promise<void>;
}

async function committedReader(url: string): Promise<CommittedReader> {
  const db = describeDatabase(url);
  if (db.kind === 'sqlite') {
    const conn = new Database(db.path ?? '', { fileMustExist: true });
    return {
      count: async (sql, params) => Number((conn.prepare(sql).get(...params) as { n: number | bigint }).n),
      close: async () => {
        conn.close();
      },
    };
  }
  const conn = await createConnection(url);
  return {
    count: async (sql, params) => {
      const [rows] = await conn.query(sql, params);
      return Number((rows as { n: number | string }[])[0]?.n);
    },
    close: () => conn.end(),
  };
}

/** A title with the required fields filled. */
function newTitle(uow: UnitOfWork, displayTitle = 'T'): Title {
  return uow.manager.create(Title, {
    sourceFormat: 'dc',
    sourceRecord: '<x/>',
    sourceId: null,
    dc: { title: [displayTitle] },
    displayTitle,
    suppressed: false,
    datestamp: new Date(0),
  });
}

describe('core/db/unit-of-work', function () {
  let t: TestApp;
  let reader: CommittedReader;

  const titleCount = (): Promise<number> => t.app.ds.getRepository(Title).count();
  const eventCount = (): Promise<number> => t.app.ds.getRepository(ChangeEvent).count();

  before(async function () {
    t = await startTestApp();
    reader = await committedReader(t.db.url);
  });

  after(async function () {
    await reader?.close();
    await t?.close();
  });

  afterEach(function () {
    t.app.hooks.removePlugin('spec');
  });

  describe('commit', function () {
    it('writes the title and its change event, stamping both with the change clock at commit', async function () {
      let began: Date | undefined;
      let uowRef: { datestamp: Date | null } | undefined;
      const { title, event } = await t.app.core.unitOfWork(async (uow) => {
        began = uow.now;
        uowRef = uow;
        const title = await uow.manager.save(newTitle(uow, 'Committed'));
        const event = await uow.record('title', title.id, 'create', { titleId: title.id });
        return { title, event };
      });

      const row = await t.app.ds.getRepository(Title).findOneByOrFail({ id: title.id });
      expect(row.displayTitle).to.equal('Committed');
      const stamp = uowRef?.datestamp;
      expect(stamp).to.be.instanceOf(Date);
      expect(row.datestamp.toISOString()).to.equal(stamp?.toISOString());
      expect(row.datestamp.getTime()).to.be.at.least(began?.getTime() ?? Infinity);

      const events = await t.app.ds.getRepository(ChangeEvent).find({ where: { objectId: title.id } });
      expect(events).to.have.length(1);
      const [ev] = events;
      expect(Number(ev?.seq)).to.equal(Number(event.seq));
      expect(ev).to.include({ objectType: 'title', action: 'create', titleId: title.id });
      expect(ev?.at.toISOString()).to.equal(stamp?.toISOString());
    });

    it('hands out datestamps in commit order, even when an instance clock lags behind', async function () {
      const first = await t.app.core.unitOfWork(async (uow) => {
        const title = await uow.manager.save(newTitle(uow, 'Clock 1'));
        await uow.record('title', title.id, 'create', { titleId: title.id });
        return title.id;
      });
      const a = (await t.app.ds.getRepository(Title).findOneByOrFail({ id: first })).datestamp.getTime();
      // Push the clock an hour ahead, as another instance with a fast clock would.
      await t.app.core.unitOfWork(async (uow) => {
        await nextDatestamp(uow.manager, new Date(a + 3_600_000));
      });
      const second = await t.app.core.unitOfWork(async (uow) => {
        const title = await uow.manager.save(newTitle(uow, 'Clock 2'));
        await uow.record('title', title.id, 'create', { titleId: title.id });
        return title.id;
      });
      const b = (await t.app.ds.getRepository(Title).findOneByOrFail({ id: second })).datestamp.getTime();
      expect(b).to.be.at.least(a + 3_600_000);
    });

    it('gives every later event a greater seq', async function () {
      const seqs: number[] = [];
      for (let i = 0; i < 3; i++) {
        const ev = await t.app.core.unitOfWork(async (uow) => {
          const title = await uow.manager.save(newTitle(uow, `Seq ${i}`));
          return uow.record('title', title.id, 'create', { titleId: title.id });
        });
        seqs.push(Number(ev.seq));
      }
      expect(seqs[1]).to.be.greaterThan(seqs[0] as number);
      expect(seqs[2]).to.be.greaterThan(seqs[1] as number);
      const stored = await t.app.ds.getRepository(ChangeEvent).find({ order: { seq: 'ASC' } });
      expect(stored.slice(-3).map((e) => Number(e.seq))).to.deep.equal(seqs);
    });

    it('hands out seq as a number, as ChangeEvent declares, both from record() and when read back', async function () {
      const ev = await t.app.core.unitOfWork((uow) => uow.record('collection', 'c-seq', 'update'));
      const read = await t.app.ds.getRepository(ChangeEvent).findOneByOrFail({ objectId: 'c-seq' });
      expect(read.seq, 'read back').to.be.a('number');
      // TypeORM turns generated bigint keys into strings after an insert (typeorm#720), so the
      // events that record() returns and CHANGES_COMMITTED hooks receive would compare as text.
      expect(ev.seq, 'returned by record()').to.be.a('number');
      expect(ev.seq).to.equal(read.seq);
    });
  });

  describe('rollback', function () {
    it('leaves neither the title nor the event when the unit throws after writing', async function () {
      const [titles, events] = [await titleCount(), await eventCount()];
      let titleId: string | undefined;
      const boom = new Error('changed my mind');
      let caught: unknown;
      try {
        await t.app.core.unitOfWork(async (uow) => {
          const title = await uow.manager.save(newTitle(uow, 'Rolled back'));
          titleId = title.id;
          await uow.record('title', title.id, 'create', { titleId: title.id });
          throw boom;
        });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.equal(boom);
      expect(titleId).to.be.a('string');
      expect(await titleCount()).to.equal(titles);
      expect(await eventCount()).to.equal(events);
      expect(await t.app.ds.getRepository(Title).findOneBy({ id: titleId ?? '' })).to.equal(null);
    });
  });

  describe('filter hooks', function () {
    it('turn a Veto into a 422 ColophonError naming the plugin, and nothing is written', async function () {
      t.app.hooks.addFilter('spec', 'title.save', () => {
        throw new Veto('no');
      });
      const [titles, events] = [await titleCount(), await eventCount()];
      let fromFilter: unknown;
      let fromUnit: unknown;
      try {
        await t.app.core.unitOfWork(async (uow) => {
          // A write before the filter, so the veto must also undo it.
          await uow.record('title', 'pending', 'update');
          try {
            await uow.filter('title.save', { displayTitle: 'Vetoed' });
          } catch (err) {
            fromFilter = err;
            throw err;
          }
          const title = await uow.manager.save(newTitle(uow, 'Vetoed'));
          await uow.record('title', title.id, 'create', { titleId: title.id });
        });
      } catch (err) {
        fromUnit = err;
      }
      expect(fromFilter).to.be.instanceOf(ColophonError);
      const e = fromFilter as ColophonError;
      expect(e.status).to.equal(422);
      expect(e.message).to.contain('spec');
      expect(e.message).to.contain('no');
      expect(e.extensions).to.include({ plugin: 'spec', event: 'title.save' });
      expect(fromUnit).to.equal(fromFilter);
      expect(await titleCount()).to.equal(titles);
      expect(await eventCount()).to.equal(events);
    });

    it('may change the payload', async function () {
      t.app.hooks.addFilter('spec', 'title.save', (p) => ({ ...(p as { displayTitle: string }), displayTitle: 'Changed' }));
      const out = await t.app.core.unitOfWork((uow) => uow.filter('title.save', { displayTitle: 'Original' }));
      expect(out).to.deep.equal({ displayTitle: 'Changed' });
    });
  });

  describe('action hooks on changes.committed', function () {
    it('receive the events only after commit', async function () {
      let unit: UnitOfWork | undefined;
      const calls: { seqs: number[]; visible: number; inTransaction: boolean | undefined }[] = [];
      t.app.hooks.addAction('spec', CHANGES_COMMITTED, async (payload) => {
        const seqs = (payload as ChangeEvent[]).map((e) => Number(e.seq));
        const visible = await reader.count(
          `SELECT COUNT(*) AS n FROM change_event WHERE seq IN (${seqs.map(() => '?').join(', ')})`, seqs,
        );
        calls.push({ seqs, visible, inTransaction: unit?.manager.queryRunner?.isTransactionActive });
      });

      const events = await t.app.core.unitOfWork(async (uow) => {
        unit = uow;
        const title = await uow.manager.save(newTitle(uow, 'Announced'));
        const a = await uow.record('title', title.id, 'create', { titleId: title.id });
        const b = await uow.record('collection', 'c-1', 'update');
        expect(calls, 'no action hook runs before commit').to.have.length(0);
        return [a, b];
      });

      expect(calls).to.have.length(1);
      expect(calls[0]?.seqs).to.deep.equal(events.map((e) => Number(e.seq)));
      expect(calls[0]?.visible, 'events committed when the hook runs').to.equal(2);
      expect(calls[0]?.inTransaction).to.equal(false);
    });

    it('never fire for a rolled-back unit', async function () {
      let calls = 0;
      t.app.hooks.addAction('spec', CHANGES_COMMITTED, () => {
        calls++;
      });
      let failed = false;
      await t.app.core
        .unitOfWork(async (uow) => {
          await uow.record('title', 'x', 'update');
          throw new Error('rollback');
        })
        .catch(() => {
          failed = true;
        });
      expect(failed).to.equal(true);
      expect(calls).to.equal(0);
    });

    it('do not fail the unit of work when they throw', async function () {
      let ran = false;
      t.app.hooks.addAction('spec', CHANGES_COMMITTED, () => {
        ran = true;
        throw new Error('hook broke');
      });
      const events = await eventCount();
      const title = await t.app.core.unitOfWork(async (uow) => {
        const title = await uow.manager.save(newTitle(uow, 'Survives'));
        await uow.record('title', title.id, 'create', { titleId: title.id });
        return title;
      });
      expect(ran).to.equal(true);
      expect(await t.app.ds.getRepository(Title).findOneBy({ id: title.id })).to.not.equal(null);
      expect(await eventCount()).to.equal(events + 1);
    });
  });

  describe('concurrency', function () {
    it('commits 20 units started together, with 20 distinct, increasing seq values', async function () {
      const before = await t.app.ds.getRepository(ChangeEvent).find({ order: { seq: 'DESC' }, take: 1 });
      const floor = Number(before[0]?.seq ?? 0);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.app.core.unitOfWork(async (uow) => {
            const title = await uow.manager.save(newTitle(uow, `Concurrent ${i}`));
            const ev = await uow.record('title', title.id, 'create', { titleId: title.id });
            return { title, ev };
          }),
        ),
      );
      const seqs = results.map((r) => Number(r.ev.seq));
      expect(new Set(seqs).size).to.equal(20);
      for (const s of seqs) expect(s).to.be.greaterThan(floor);

      const stored = await t.app.ds.getRepository(ChangeEvent).find({ order: { seq: 'ASC' } });
      const after = stored.map((e) => ({ seq: Number(e.seq), titleId: e.titleId })).filter((e) => e.seq > floor);
      expect(after).to.have.length(20);
      expect(after.map((e) => e.seq)).to.deep.equal([...seqs].sort((a, b) => a - b));
      for (let i = 1; i < after.length; i++) expect(after[i]?.seq).to.be.greaterThan(after[i - 1]?.seq as number);
      const titleIds = new Set(results.map((r) => r.title.id));
      expect(new Set(after.map((e) => e.titleId))).to.deep.equal(titleIds);
    });
  });
});
