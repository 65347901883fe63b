import { expect } from 'chai';
import { Title } from '../../../core/db/entities/title.entity';
import { startTestApp, type TestApp } from '../../helpers/test-app';

describe('inventory: GET /api/v1/titles?q=', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await startTestApp();
    key = await t.key('digital-inventory-operator');
    const repo = t.app.ds.getRepository(Title);
    for (const name of ['50% Off the Presses', '500 Offprints', 'snake_case Manual', 'snakes and ladders', 'Wow! A Catalogue']) {
      await repo.save(repo.create({
        sourceFormat: 'dc', sourceRecord: '<x/>', sourceId: null, dc: { title: [name] }, displayTitle: name, suppressed: false, datestamp: new Date(),
      }));
    }
  });
  after(async () => t.close());

  const search = async (q: string): Promise<string[]> => {
    const res = await t.http.get('/api/v1/titles').query({ q }).set('Authorization', `Bearer ${key}`).expect(200);
    return (res.body.items as { title: string }[]).map((i) => i.title);
  };

  it('treats LIKE wildcards in the query literally, on every engine', async () => {
    expect(await search('50%')).to.deep.equal(['50% Off the Presses']);
    expect(await search('snake_')).to.deep.equal(['snake_case Manual']);
    expect(await search('wow!')).to.deep.equal(['Wow! A Catalogue']);
    expect(await search('OFF')).to.have.members(['50% Off the Presses', '500 Offprints']);
  });

  it('rejects unknown or malformed query parameters with 400 problem+json', async () => {
    const res = await t.http.get('/api/v1/titles').query({ limit: 'many' }).set('Authorization', `Bearer ${key}`).expect(400);
    expect(res.type).to.equal('application/problem+json');
    await t.http.get('/api/v1/titles').query({ sort: 'x' }).set('Authorization', `Bearer ${key}`).expect(400);
  });
});
