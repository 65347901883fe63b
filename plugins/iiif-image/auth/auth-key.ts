import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { IiifAuthSetting } from './iiif-auth-setting.entity';

/**
 * The master key of the Authorization Flow services: `secrets.signingKey` when configured
 * (prefixed, so it never equals the OAI-PMH key), else a random key stored in the database on
 * first use, which every instance sharing the database then reads. Removing or changing the
 * configured key signs everyone out.
 */
export async function loadAuthKey(ds: DataSource, configured: string | undefined): Promise<Buffer> {
  if (configured) return Buffer.from(`iiif-auth:${configured}`);
  const repo = ds.getRepository(IiifAuthSetting);
  let row = await repo.findOneBy({ name: 'key' });
  if (!row) {
    // Two instances booting at once: one insert wins, both read the winner.
    await repo.createQueryBuilder().insert().values({ name: 'key', value: randomBytes(32).toString('base64') }).orIgnore().execute();
    row = await repo.findOneByOrFail({ name: 'key' });
  }
  return Buffer.from(row.value, 'base64');
}
