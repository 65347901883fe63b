import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DigitalFile, FIXITY_STATUSES, type FixityStatus } from '../../../core/db/entities/digital-file.entity';
import { Representation } from '../../../core/db/entities/representation.entity';
import type { CoreServices, JobResult, JobRunContext } from '../../../core/plugin/types';
import { StorageNotFoundError } from '../../../core/storage';
import type { InventoryConfig } from '../config';
import { InventoryErrors } from '../errors';

export const fixityQuery = z.strictObject({
  status: z.enum(FIXITY_STATUSES).optional().describe('only files whose last check had this outcome (default: every failure)'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

/**
 * Fixity: stored files are read again and their sha256 compared with the one computed at
 * ingest. The scheduled job checks the files checked longest ago (never-checked first); the
 * outcome is kept on each file and summed up in the JobRun.
 */
export class FixityService {
  constructor(
    private readonly core: CoreServices,
    private readonly config: InventoryConfig,
  ) {}

  async run(job: JobRunContext): Promise<JobResult> {
    const files = await this.core.ds.getRepository(DigitalFile).find({
      order: { fixityCheckedAt: 'ASC', id: 'ASC' },
      take: this.config.fixityBatch,
    });
    const counts: Record<FixityStatus, number> = { ok: 0, mismatch: 0, missing: 0, error: 0 };
    const bad: string[] = [];
    let bytes = 0;
    for (const [i, f] of files.entries()) {
      if (job.signal.aborted) break;
      const status = await this.check(f, job.signal);
      counts[status]++;
      if (status === 'ok') bytes += f.size;
      else bad.push(`${f.id} (${status})`);
      if (i % 20 === 19) await job.progress((i + 1) / files.length, `${i + 1} of ${files.length} files`);
    }
    const checked = Object.values(counts).reduce((a, b) => a + b, 0);
    const failures = checked - counts.ok;
    return {
      message:
        `checked ${checked} files (${bytes} bytes verified): ok ${counts.ok}, mismatch ${counts.mismatch}, missing ${counts.missing}, error ${counts.error}` +
        (failures ? `; failing: ${bad.slice(0, 50).join(', ')}${bad.length > 50 ? `, and ${bad.length - 50} more` : ''}` : ''),
    };
  }

  /** Check one file now and keep the outcome on it. */
  async check(f: DigitalFile, signal?: AbortSignal): Promise<FixityStatus> {
    let status: FixityStatus;
    let detail: string | null = null;
    try {
      const rep = await this.core.ds.getRepository(Representation).findOneBy({ id: f.representationId });
      const connector = rep?.storageConnectorId ? this.core.storage.get(rep.storageConnectorId) : undefined;
      if (!connector) throw new Error(`storage connector ${rep?.storageConnectorId ?? '(none)'} is not enabled`);
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of await connector.get(f.storageKey, { signal }) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
      }
      const digest = hash.digest('hex');
      if (digest === f.sha256 && size === f.size) status = 'ok';
      else {
        status = 'mismatch';
        detail = `expected sha256 ${f.sha256} (${f.size} bytes), read ${digest} (${size} bytes)`;
      }
    } catch (err) {
      if (err instanceof StorageNotFoundError) {
        status = 'missing';
        detail = `no object at ${f.storageKey}`;
      } else {
        status = 'error';
        detail = (err as Error).message;
      }
    }
    const at = new Date();
    await this.core.ds.getRepository(DigitalFile).update({ id: f.id }, { fixityStatus: status, fixityCheckedAt: at, fixityDetail: detail });
    Object.assign(f, { fixityStatus: status, fixityCheckedAt: at, fixityDetail: detail });
    if (status !== 'ok') this.core.logger.error({ fileId: f.id, status, detail }, 'fixity check failed');
    return status;
  }

  async checkById(id: string): Promise<DigitalFile> {
    const f = await this.core.ds.getRepository(DigitalFile).findOneBy({ id });
    if (!f) throw InventoryErrors.FILE_NOT_FOUND(`No file ${id}`);
    await this.check(f);
    return f;
  }

  /** Files by the outcome of their last check (default: every failure). */
  async report(q: z.infer<typeof fixityQuery>): Promise<{ total: number; items: DigitalFile[] }> {
    const qb = this.core.ds.getRepository(DigitalFile).createQueryBuilder('f');
    if (q.status) qb.where('f.fixity_status = :s', { s: q.status });
    else qb.where('f.fixity_status IN (:...s)', { s: ['mismatch', 'missing', 'error'] });
    qb.orderBy('f.fixity_checked_at', 'DESC').addOrderBy('f.id', 'ASC').take(q.limit).skip(q.offset);
    const [items, total] = await qb.getManyAndCount();
    return { total, items };
  }
}
