import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DigitalFile } from '../../../core/db/entities/digital-file.entity';
import { Representation } from '../../../core/db/entities/representation.entity';
import { ColophonError } from '../../../core/errors';
import type { CoreServices, JobResult, JobRunContext } from '../../../core/plugin/types';
import type { InventoryConfig } from '../config';
import { formatIcon, makeThumbnail, type Thumbnail } from '../media';
import { withLocalCopy } from '../services/ingest-service';
import { connectorOf, StorageKeys } from '../services/stored-objects';

export const THUMBNAIL_JOB = 'inventory.thumbnails';

/**
 * Makes thumbnails of ingested files in the background: the `inventory.thumbnails` job runs on
 * its schedule (a sweep) and is started right after each ingest. One run takes pending files
 * until none are left (bounded per run); a staff-supplied thumbnail is never replaced.
 */
export class ThumbnailService {
  private retry: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly core: CoreServices,
    private readonly config: InventoryConfig,
  ) {}

  /** Start the job now, in the background; if a run is under way, try again shortly so nothing waits for the sweep. */
  kick(attempt = 0): void {
    if (this.closed) return;
    this.core.scheduler.runNow(THUMBNAIL_JOB).then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof ColophonError && err.status === 409 && attempt < 20 && !this.closed) {
          this.retry = setTimeout(() => this.kick(attempt + 1), 500);
          this.retry.unref();
        } else if (!(err instanceof ColophonError && err.status === 404)) {
          this.core.logger.warn({ err }, 'thumbnail job could not start');
        }
      },
    );
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
  }

  async run(job: JobRunContext): Promise<JobResult> {
    const counts = { generated: 0, icon: 0, failed: 0 };
    const cap = this.config.thumbnailBatch;
    let done = 0;
    while (done < cap && !job.signal.aborted) {
      const batch = await this.core.ds.getRepository(DigitalFile).find({
        where: { thumbnailStatus: 'pending' },
        order: { createdAt: 'ASC', id: 'ASC' },
        take: Math.min(20, cap - done),
      });
      if (!batch.length) break;
      for (const f of batch) {
        if (job.signal.aborted) break;
        const outcome = await this.one(f, job);
        counts[outcome]++;
        done++;
      }
      await job.progress(Math.min(1, done / cap), `${done} thumbnails`);
    }
    return { message: `generated ${counts.generated}, format icons ${counts.icon}, failed ${counts.failed}` };
  }

  /** Make and store the thumbnail of one file. */
  private async one(f: DigitalFile, job: JobRunContext): Promise<'generated' | 'icon' | 'failed'> {
    const rep = await this.core.ds.getRepository(Representation).findOneBy({ id: f.representationId });
    if (!rep) return 'failed';
    const tmpDir = join(this.core.config.dataDir, 'tmp');
    let thumb: Thumbnail;
    let status: 'generated' | 'icon' | 'failed';
    let connector;
    try {
      connector = connectorOf(this.core.storage, rep.storageConnectorId ?? this.config.defaultStorage);
    } catch (err) {
      job.logger.warn({ err, fileId: f.id }, 'thumbnail skipped: storage connector unavailable');
      return 'failed';
    }
    try {
      thumb = await withLocalCopy(connector, f.storageKey, tmpDir, (path) =>
        makeThumbnail(path, f.mimeType, { size: this.config.thumbnailSize, tools: this.config.tools, tmpDir, signal: job.signal }),
      );
      status = thumb.source === 'icon' ? 'icon' : 'generated';
    } catch (err) {
      job.logger.warn({ err, fileId: f.id }, 'thumbnail failed; a format icon stands in');
      thumb = await formatIcon(f.mimeType, this.config.thumbnailSize);
      status = 'failed';
    }
    const key = StorageKeys.fileThumbnail(rep.id, f.id);
    await connector.put(key, Readable.from([thumb.data]), { contentType: thumb.mimeType, size: thumb.data.length });
    await this.core.unitOfWork(async (uow) => {
      // Only a still-pending file: staff may have supplied a thumbnail meanwhile.
      const res = await uow.manager.update(DigitalFile, { id: f.id, thumbnailStatus: 'pending' }, { thumbnailKey: key, thumbnailStatus: status });
      if (res.affected) await uow.record('file', f.id, 'update', { titleId: rep.titleId, payload: { thumbnail: status } });
    });
    return status;
  }
}
