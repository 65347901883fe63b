import { DigitalFile } from '../../core/db/entities/digital-file.entity';
import type { StorageConnector } from '../../core/storage';
import type { TestApp } from './test-app';

/** Every key a connector holds under a prefix, sorted. */
export async function storedKeys(c: StorageConnector, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const o of c.list(prefix)) out.push(o.key);
  return out.sort();
}

/** Wait until the thumbnail job has dealt with a file (its status is no longer pending). */
export async function waitForThumbnail(t: TestApp, fileId: string, timeoutMs = 30_000): Promise<DigitalFile> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const f = await t.app.ds.getRepository(DigitalFile).findOneByOrFail({ id: fileId });
    if (f.thumbnailStatus !== 'pending') return f;
    if (Date.now() > until) throw new Error(`thumbnail of ${fileId} still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
