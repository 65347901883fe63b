import { Column, Entity, Index } from 'typeorm';
import { ColophonEntity, timestamp } from '../base.entity';

export const JOB_RUN_STATUSES = ['running', 'succeeded', 'failed', 'timed-out', 'aborted'] as const;
export type JobRunStatus = (typeof JOB_RUN_STATUSES)[number];

/**
 * One run of a job. For scheduled runs, (jobId, tickAt) is unique: the instance whose insert
 * wins runs that tick, so a job runs once per tick however many instances share the database.
 */
@Entity('job_run')
@Index('uq_job_run_tick', ['jobId', 'tickAt'], { unique: true })
@Index('idx_job_run_started', ['jobId', 'startedAt'])
export class JobRun extends ColophonEntity {
  @Column({ type: 'varchar', length: 128, name: 'job_id' })
  jobId: string;

  /** The scheduled tick this run serves; null for manual runs. */
  @Column({ ...timestamp, name: 'tick_at', nullable: true })
  tickAt: Date | null;

  @Column({ type: 'varchar', length: 16 })
  trigger: 'schedule' | 'manual';

  /** Which instance ran it (host:pid:random). */
  @Column({ type: 'varchar', length: 128 })
  instance: string;

  @Column({ ...timestamp, name: 'started_at' })
  startedAt: Date;

  @Column({ ...timestamp, name: 'ended_at', nullable: true })
  endedAt: Date | null;

  /** Until when the running instance holds this run; refreshed by progress reports. */
  @Column({ ...timestamp, name: 'lease_until' })
  leaseUntil: Date;

  @Column({ type: 'varchar', length: 16 })
  status: JobRunStatus;

  /** 0..1 */
  @Column({ type: 'double', default: 0 })
  progress: number;

  @Column({ type: 'text', nullable: true })
  message: string | null;

  /** Where the run's output is (a storage key or URL), if it produced one. */
  @Column({ type: 'varchar', length: 2048, name: 'output_location', nullable: true })
  outputLocation: string | null;
}
