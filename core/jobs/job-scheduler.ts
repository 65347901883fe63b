import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { LessThan, Not, type DataSource } from 'typeorm';
import { JobRun, type JobRunStatus } from '../db/entities/job-run.entity';
import { CoreErrors } from '../errors';
import type { JobDefinition, PluginContext } from '../plugin/types';
import type { Metrics } from '../http/metrics';

interface ScheduledJob {
  fullId: string;
  pluginId: string;
  def: JobDefinition;
  plugin: PluginContext;
  logger: Logger;
  task?: ScheduledTask;
}

/** The identity of this process among instances sharing a database. */
export const INSTANCE_ID = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code ?? '';
  return code === 'ER_DUP_ENTRY' || code.startsWith('SQLITE_CONSTRAINT');
}

/**
 * Runs plugins' scheduled jobs with node-cron. Each tick of a job is claimed by inserting its
 * JobRun with the tick's time: (job_id, tick_at) is unique, so when several instances share a
 * database exactly one of them runs it. A run holds a lease (timeout) so that a tick arriving
 * while the previous run still works is skipped, not stacked.
 */
export class JobScheduler {
  private readonly jobs = new Map<string, ScheduledJob>();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<unknown>; fullId: string }>();
  private stopped = false;

  constructor(
    private readonly ds: DataSource,
    readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly opts: { enabled: boolean; instance?: string },
  ) {}

  get instance(): string {
    return this.opts.instance ?? INSTANCE_ID;
  }

  /** Add a plugin's jobs; scheduling starts at once when this instance runs jobs. */
  addJobs(pluginId: string, defs: JobDefinition[], plugin: PluginContext): void {
    for (const def of defs) {
      const fullId = `${pluginId}.${def.id}`;
      if (!cron.validate(def.cron)) throw new Error(`job ${fullId}: invalid cron expression "${def.cron}"`);
      if (!(def.timeoutMs > 0)) throw new Error(`job ${fullId}: timeoutMs must be positive`);
      const job: ScheduledJob = { fullId, pluginId, def, plugin, logger: plugin.logger.child({ job: fullId }) };
      if (this.opts.enabled && !this.stopped) {
        job.task = cron.createTask(def.cron, (c) => this.onTick(job, c.date), { name: fullId });
        void job.task.start();
      }
      this.jobs.set(fullId, job);
    }
  }

  /** Stop a plugin's jobs and abort their running runs (waits for them to settle). */
  async removePlugin(pluginId: string): Promise<void> {
    const ids = [...this.jobs.values()].filter((j) => j.pluginId === pluginId).map((j) => j.fullId);
    await this.stopJobs(ids);
  }

  /** Stop every job (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopJobs([...this.jobs.keys()]);
  }

  private async stopJobs(ids: string[]): Promise<void> {
    for (const id of ids) {
      const j = this.jobs.get(id);
      if (j?.task) await j.task.destroy();
      this.jobs.delete(id);
    }
    const waits: Promise<unknown>[] = [];
    for (const r of this.running.values()) {
      if (ids.includes(r.fullId)) {
        r.controller.abort(new Error('job stopped'));
        waits.push(r.done);
      }
    }
    await Promise.allSettled(waits);
  }

  list(): { id: string; pluginId: string; cron: string; timeoutMs: number; description: string; nextRun: string | null }[] {
    return [...this.jobs.values()].map((j) => ({
      id: j.fullId,
      pluginId: j.pluginId,
      cron: j.def.cron,
      timeoutMs: j.def.timeoutMs,
      description: j.def.description ?? '',
      nextRun: j.task?.getNextRun()?.toISOString() ?? null,
    }));
  }

  /** Run a job now (manual trigger) and wait for it; answers with its JobRun. */
  async runNow(fullId: string): Promise<JobRun> {
    const job = this.jobs.get(fullId);
    if (!job) throw CoreErrors.NOT_FOUND(`No job "${fullId}" is scheduled (enabled jobs: ${[...this.jobs.keys()].join(', ') || 'none'})`);
    const run = await this.claim(job, null);
    if (!run) throw CoreErrors.CONFLICT(`Job ${fullId} is running already`);
    return this.execute(job, run);
  }

  private async onTick(job: ScheduledJob, date: Date): Promise<void> {
    if (this.stopped) return;
    const tickAt = new Date(Math.floor(date.getTime() / 1000) * 1000);
    try {
      const run = await this.claim(job, tickAt);
      if (run) await this.execute(job, run);
    } catch (err) {
      job.logger.error({ err }, 'job tick failed');
    }
  }

  /** Insert the run row; null when another instance has this tick or a run still holds the lease. */
  private async claim(job: ScheduledJob, tickAt: Date | null): Promise<JobRun | null> {
    const repo = this.ds.getRepository(JobRun);
    const now = new Date();
    const busy = await repo.findOne({
      where: { jobId: job.fullId, status: 'running' },
      order: { startedAt: 'DESC' },
    });
    if (busy && busy.leaseUntil.getTime() > now.getTime()) {
      if (tickAt) job.logger.debug({ runId: busy.id }, 'previous run still holds the lease; tick skipped');
      return null;
    }
    if (busy) {
      // Its instance died or hung past the lease: record that, so the log tells the truth.
      await repo.update({ id: busy.id, status: 'running' }, { status: 'timed-out', endedAt: now, message: 'lease expired' });
    }
    try {
      return await repo.save(
        repo.create({
          jobId: job.fullId,
          tickAt,
          trigger: tickAt ? 'schedule' : 'manual',
          instance: this.instance,
          startedAt: now,
          endedAt: null,
          leaseUntil: new Date(now.getTime() + job.def.timeoutMs),
          status: 'running',
          progress: 0,
          message: null,
          outputLocation: null,
        }),
      );
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  private async execute(job: ScheduledJob, run: JobRun): Promise<JobRun> {
    const repo = this.ds.getRepository(JobRun);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${job.def.timeoutMs} ms`));
    }, job.def.timeoutMs);
    const logger = job.logger.child({ runId: run.id });
    const work = job.def.run({
      signal: controller.signal,
      logger,
      runId: run.id,
      progress: async (fraction, message) => {
        const p = Math.max(0, Math.min(1, fraction));
        await repo.update(
          { id: run.id },
          { progress: p, ...(message === undefined ? {} : { message }), leaseUntil: new Date(Date.now() + job.def.timeoutMs) },
        );
      },
    }, job.plugin);
    // A job that ignores its signal must not hold up shutdown past its timeout.
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true });
    });
    const done = Promise.race([work, aborted]);
    this.running.set(run.id, { controller, done: done.catch(() => undefined), fullId: job.fullId });
    let status: JobRunStatus = 'succeeded';
    let message: string | null;
    let outputLocation: string | null = null;
    try {
      const result = await done;
      message = result?.message ?? null;
      outputLocation = result?.outputLocation ?? null;
    } catch (err) {
      status = timedOut ? 'timed-out' : controller.signal.aborted ? 'aborted' : 'failed';
      message = timedOut ? `timed out after ${job.def.timeoutMs} ms` : ((err as Error)?.message ?? String(err));
      logger.warn({ err, status }, 'job run did not succeed');
    } finally {
      clearTimeout(timer);
      this.running.delete(run.id);
    }
    const endedAt = new Date();
    await repo.update(
      { id: run.id },
      { status, endedAt, message, outputLocation, ...(status === 'succeeded' ? { progress: 1 } : {}) },
    );
    this.metrics.jobRuns.inc({ job: job.fullId, status });
    return (await repo.findOneByOrFail({ id: run.id }));
  }

  /** Delete finished runs older than `days` (keeps the table small). */
  async prune(days: number): Promise<number> {
    const cutoff = new Date(Date.now() - days * 86_400_000);
    const res = await this.ds.getRepository(JobRun).delete({ startedAt: LessThan(cutoff), status: Not('running') });
    return res.affected ?? 0;
  }
}
