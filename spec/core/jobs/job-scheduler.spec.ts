import { expect } from 'chai';
import { definePlugin } from '../../../core/plugin';
import { JobRun } from '../../../core/db/entities/job-run.entity';
import { CORE_VERSION } from '../../../core/version';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { createTestDatabase } from '../../helpers/test-db';

/** Every execution, from every instance: [instance, tick]. */
const executions: { instance: string; runId: string }[] = [];

const tickerPlugin = definePlugin({
  manifest: { id: 'ticker', version: '1.0.0', core: `^${CORE_VERSION}` },
  register(r) {
    r.job({
      id: 'every-second',
      cron: '* * * * * *',
      timeoutMs: 5000,
      run: async (job, p) => {
        executions.push({ instance: p.core.scheduler.instance, runId: job.runId });
        await job.progress(0.5, 'half way');
        // Long enough that both instances are awake for the same tick.
        await new Promise((r) => setTimeout(r, 150));
        return { message: 'ticked' };
      },
    });
    r.job({
      id: 'slowpoke',
      cron: '0 0 1 1 *',
      timeoutMs: 200,
      run: (job) => new Promise((_resolve, reject) => {
        job.signal.addEventListener('abort', () => reject(new Error('gave up')));
      }),
    });
    r.job({
      id: 'broken',
      cron: '0 0 1 1 *',
      timeoutMs: 1000,
      run: async () => {
        throw new Error('disk on fire');
      },
    });
  },
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('job scheduler', function () {
  this.timeout(60000);

  it('two instances on one database run a scheduled job once per tick', async () => {
    const db = await createTestDatabase();
    let a: TestApp | undefined;
    let b: TestApp | undefined;
    try {
      a = await startTestApp({ db, app: { plugins: [tickerPlugin], jobs: true, instance: 'instance-a' } });
      b = await startTestApp({ db, app: { plugins: [tickerPlugin], jobs: true, instance: 'instance-b' } });
      executions.length = 0;
      await sleep(4500);
      await a.app.scheduler.stop();
      await b.app.scheduler.stop();
      const runs = await a.app.ds.getRepository(JobRun).find({ where: { jobId: 'ticker.every-second' }, order: { tickAt: 'ASC' } });
      const ticks = runs.map((r) => r.tickAt?.getTime());
      expect(runs.length, 'ticks seen').to.be.at.least(3);
      expect(new Set(ticks).size, 'one run per tick').to.equal(runs.length);
      expect(executions.length, 'executions equal runs').to.equal(runs.length);
      expect(new Set(executions.map((e) => e.runId)).size).to.equal(executions.length);
      for (const r of runs) {
        expect(r.trigger).to.equal('schedule');
        expect(r.tickAt?.getMilliseconds()).to.equal(0);
        expect(['instance-a', 'instance-b']).to.include(r.instance);
      }
      // Stopping the schedulers may abort the run of the last tick; every other run succeeded.
      expect(runs.filter((r) => r.status !== 'succeeded').length).to.be.at.most(1);
      for (const r of runs.slice(0, -1)) expect(r.status).to.equal('succeeded');
      const done = runs.filter((r) => r.status === 'succeeded');
      expect(done.length).to.be.at.least(2);
      expect(done[0]?.progress).to.equal(1);
      expect(done[0]?.message).to.equal('ticked');
    } finally {
      await a?.app.close();
      await b?.app.close();
      await db.drop();
    }
  });

  describe('runs', () => {
    let t: TestApp;
    let admin: string;
    before(async () => {
      t = await startTestApp({ app: { plugins: [tickerPlugin], jobs: false } });
      admin = await t.key('general-system-administrator');
    });
    after(async () => t.close());

    it('lists jobs with their cron and next run', async () => {
      const res = await t.http.get('/api/v1/admin/jobs').set('Authorization', `Bearer ${admin}`).expect(200);
      const ids = (res.body as { id: string }[]).map((j) => j.id);
      expect(ids).to.include.members(['admin.job-runs-prune', 'ticker.every-second', 'ticker.slowpoke', 'ticker.broken']);
    });

    it('a manual run records progress and its result', async () => {
      const res = await t.http.post('/api/v1/admin/jobs/ticker.every-second/run').set('Authorization', `Bearer ${admin}`).expect(200);
      expect(res.body).to.include({ jobId: 'ticker.every-second', trigger: 'manual', status: 'succeeded', progress: 1, message: 'ticked' });
      expect(res.body.tickAt).to.equal(null);
      const one = await t.http.get(`/api/v1/admin/job-runs/${res.body.id as string}`).set('Authorization', `Bearer ${admin}`).expect(200);
      expect(one.body.endedAt).to.be.a('string');
    });

    it('a run past its timeout is aborted and recorded as timed-out', async () => {
      const run = await t.app.scheduler.runNow('ticker.slowpoke');
      expect(run.status).to.equal('timed-out');
      expect(run.message).to.match(/timed out after 200 ms/);
    });

    it('a failing run is recorded as failed with its message', async () => {
      const run = await t.app.scheduler.runNow('ticker.broken');
      expect(run.status).to.equal('failed');
      expect(run.message).to.equal('disk on fire');
      const list = await t.http.get('/api/v1/admin/job-runs?jobId=ticker.broken').set('Authorization', `Bearer ${admin}`).expect(200);
      expect(list.body.total).to.equal(1);
    });

    it('an unknown job → 404 problem', async () => {
      const res = await t.http.post('/api/v1/admin/jobs/nope.nothing/run').set('Authorization', `Bearer ${admin}`).expect(404);
      expect(res.type).to.equal('application/problem+json');
    });

    it('disabling the plugin removes its jobs; enabling brings them back', async () => {
      await t.app.host.disable('ticker');
      expect(t.app.scheduler.list().map((j) => j.id)).to.not.include('ticker.every-second');
      await t.http.post('/api/v1/admin/jobs/ticker.every-second/run').set('Authorization', `Bearer ${admin}`).expect(404);
      await t.app.host.enable('ticker');
      expect(t.app.scheduler.list().map((j) => j.id)).to.include('ticker.every-second');
    });

    it('the prune job deletes old finished runs only', async () => {
      const repo = t.app.ds.getRepository(JobRun);
      const old = new Date(Date.now() - 90 * 86_400_000);
      await repo.save(repo.create({
        jobId: 'ticker.broken', tickAt: null, trigger: 'manual', instance: 'x', startedAt: old, endedAt: old,
        leaseUntil: old, status: 'failed', progress: 0, message: null, outputLocation: null,
      }));
      const before = await repo.countBy({ jobId: 'ticker.broken' });
      const run = await t.app.scheduler.runNow('admin.job-runs-prune');
      expect(run.status).to.equal('succeeded');
      expect(run.message).to.match(/^deleted 1 finished runs/);
      expect(await repo.countBy({ jobId: 'ticker.broken' })).to.equal(before - 1);
    });
  });
});
