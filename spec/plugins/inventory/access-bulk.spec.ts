import { expect } from 'chai';
import sharp from 'sharp';
import { ChangeEvent } from '../../../core/db/entities/change-event.entity';
import { Representation } from '../../../core/db/entities/representation.entity';
import { Title } from '../../../core/db/entities/title.entity';
import { evaluateAccess } from '../../../plugins/inventory/services/access-profile-service';
import { waitForThumbnail } from '../../helpers/inventory-helpers';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const PROBLEM = /^application\/problem\+json/;

describe('inventory: access rights evaluation', () => {
  const rules = [
    { effect: 'deny' as const, ipRange: '203.0.113.0/24' },
    { effect: 'allow' as const, userGroup: 'faculty' },
    { effect: 'allow' as const, ipRange: '192.0.2.0/24' },
    { effect: 'allow' as const, ipRange: '2001:db8::/32', authenticated: true },
  ];
  it('applies the first matching rule; no rules is open; rules without a match deny', () => {
    expect(evaluateAccess(null, { authenticated: false })).to.deep.equal({ allowed: true, rule: null });
    expect(evaluateAccess({ rules: [] }, { authenticated: false }).allowed).to.equal(true);
    expect(evaluateAccess({ rules }, { ip: '203.0.113.9', userGroups: ['faculty'], authenticated: true })).to.deep.equal({ allowed: false, rule: 0 });
    expect(evaluateAccess({ rules }, { ip: '198.51.100.1', userGroups: ['faculty'], authenticated: true })).to.deep.equal({ allowed: true, rule: 1 });
    expect(evaluateAccess({ rules }, { ip: '192.0.2.77', authenticated: false })).to.deep.equal({ allowed: true, rule: 2 });
    expect(evaluateAccess({ rules }, { ip: '::ffff:192.0.2.77', authenticated: false }).allowed).to.equal(true);
    expect(evaluateAccess({ rules }, { ip: '2001:db8::1', authenticated: false })).to.deep.equal({ allowed: false, rule: null });
    expect(evaluateAccess({ rules }, { ip: '2001:db8::1', authenticated: true }).rule).to.equal(3);
    expect(evaluateAccess({ rules }, { authenticated: false }).allowed).to.equal(false);
  });
});

describe('inventory: access rights profiles and bulk updates', function () {
  this.timeout(30_000);
  let t: TestApp;
  let admin: string;
  let op: string;
  let colOp: string;
  let reader: string;
  const auth = (k: string): Record<string, string> => ({ Authorization: `Bearer ${k}` });

  before(async () => {
    t = await startTestApp();
    admin = await t.key('general-system-administrator');
    op = await t.key('digital-inventory-operator');
    colOp = await t.key('collection-inventory-operator');
    reader = await t.key('deposit-operator');
  });
  after(async () => t?.close());

  async function title(name: string): Promise<string> {
    return (await t.http.post('/api/v1/titles').set(auth(op)).type('application/json').send({ title: name })).body.id as string;
  }
  async function rep(titleId: string, usageType = 'primary'): Promise<string> {
    return (await t.http.post(`/api/v1/titles/${titleId}/representations`).set(auth(op)).send({ usageType })).body.id as string;
  }

  it('creates, validates, updates and deletes profiles; only administrators may', async () => {
    const body = {
      name: 'Campus only', rules: [{ effect: 'allow', ipRange: '192.0.2.0/24' }],
      rightsUri: 'http://rightsstatements.org/vocab/InC/1.0/', copyrightStatement: '© The Library', deniedNote: 'On campus only',
    };
    expect((await t.http.post('/api/v1/access-rights-profiles').set(auth(op)).send(body)).status).to.equal(403);
    const res = await t.http.post('/api/v1/access-rights-profiles').set(auth(admin)).send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ name: 'Campus only', isDefault: false });
    expect((await t.http.post('/api/v1/access-rights-profiles').set(auth(admin)).send(body)).status).to.equal(409);
    for (const bad of [
      { name: 'x', rules: [{ effect: 'allow', ipRange: '192.0.2.0/33' }] },
      { name: 'y', rules: [{ effect: 'maybe' }] },
      { name: 'z', rightsUri: 'https://example.org/my-licence' },
      { name: 'w', rules: [{ effect: 'allow', colour: 'blue' }] },
    ]) {
      const r = await t.http.post('/api/v1/access-rights-profiles').set(auth(admin)).send(bad);
      expect(r.status, JSON.stringify(bad)).to.equal(400);
      expect(r.type).to.match(PROBLEM);
    }
    const list = await t.http.get('/api/v1/access-rights-profiles').set(auth(reader));
    expect(list.body.map((p: { name: string }) => p.name)).to.include('Campus only');
    const patched = await t.http.patch(`/api/v1/access-rights-profiles/${res.body.id}`).set(auth(admin)).send({ deniedNote: 'Campus network only' });
    expect(patched.body.deniedNote).to.equal('Campus network only');
    expect((await t.http.delete(`/api/v1/access-rights-profiles/${res.body.id}`).set(auth(admin))).status).to.equal(204);
  });

  it('keeps exactly one default profile', async () => {
    const a = await t.http.post('/api/v1/access-rights-profiles').set(auth(admin)).send({ name: 'Open A', isDefault: true });
    const b = await t.http.post('/api/v1/access-rights-profiles').set(auth(admin)).send({ name: 'Open B', isDefault: true });
    const list = (await t.http.get('/api/v1/access-rights-profiles').set(auth(reader))).body as { id: string; isDefault: boolean }[];
    expect(list.filter((p) => p.isDefault).map((p) => p.id)).to.deep.equal([b.body.id]);
    await t.http.patch(`/api/v1/access-rights-profiles/${a.body.id}`).set(auth(admin)).send({ isDefault: true });
    const again = (await t.http.get('/api/v1/access-rights-profiles').set(auth(reader))).body as { id: string; isDefault: boolean }[];
    expect(again.filter((p) => p.isDefault).map((p) => p.id)).to.deep.equal([a.body.id]);
    await t.http.patch(`/api/v1/access-rights-profiles/${a.body.id}`).set(auth(admin)).send({ isDefault: false });
  });

  it('assigns a profile to a representation, refuses deleting a profile in use, and enforces it on public thumbnails', async () => {
    const closed = await t.http.post('/api/v1/access-rights-profiles').set(auth(admin)).send({ name: 'Nobody', rules: [{ effect: 'deny' }], deniedNote: 'Closed archive' });
    const titleId = await title('Restricted');
    const repId = await rep(titleId);
    const jpeg = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#123' } }).jpeg().toBuffer();
    const f = await t.http.post(`/api/v1/representations/${repId}/files`).set(auth(op)).attach('file', jpeg, 'a.jpg');
    await waitForThumbnail(t, f.body.id as string);
    expect((await t.http.get(`/thumbnails/files/${f.body.id}`)).status).to.equal(200);
    const assigned = await t.http.patch(`/api/v1/representations/${repId}`).set(auth(op)).send({ accessRightsProfileId: closed.body.id });
    expect(assigned.status).to.equal(200);
    expect(assigned.body.accessRightsProfileId).to.equal(closed.body.id);
    const denied = await t.http.get(`/thumbnails/files/${f.body.id}`);
    expect(denied.status).to.equal(403);
    expect(denied.body.detail).to.equal('Closed archive');
    const inUse = await t.http.delete(`/api/v1/access-rights-profiles/${closed.body.id}`).set(auth(admin));
    expect(inUse.status).to.equal(409);
    expect(inUse.body.representations).to.equal(1);
    const unknown = await t.http.patch(`/api/v1/representations/${repId}`).set(auth(op)).send({ accessRightsProfileId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).to.equal(404);
  });

  it('bulk: one change to titles named by ids, answered per item, with events', async () => {
    const ids = [await title('Bulk 1'), await title('Bulk 2'), await title('Bulk 3')];
    await t.http.patch(`/api/v1/titles/${ids[2]}`).set(auth(op)).send({ suppressed: true });
    const eventsBefore = await t.app.ds.getRepository(ChangeEvent).count();
    const res = await t.http.post('/api/v1/bulk').set(auth(op)).send({ target: 'titles', ids, change: { suppressed: true } });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.include({ matched: 3, changed: 2, unchanged: 1 });
    expect(res.body.items.map((i: { status: string }) => i.status)).to.deep.equal(['changed', 'changed', 'unchanged']);
    expect(await t.app.ds.getRepository(ChangeEvent).count()).to.equal(eventsBefore + 2);
  });

  it('bulk: collection membership needs collections:manage too, and applies by filter', async () => {
    const col = await t.http.post('/api/v1/collections').set(auth(colOp)).send({ code: 'bulk-target', name: 'Bulk target' });
    const a = await title('Filterable alpha');
    const b = await title('Filterable beta');
    await title('Other');
    const body = { target: 'titles', filter: { q: 'filterable' }, change: { addToCollections: [col.body.id] } };
    const refused = await t.http.post('/api/v1/bulk').set(auth(op)).send(body);
    expect(refused.status).to.equal(403);
    const res = await t.http.post('/api/v1/bulk').set(auth(admin)).send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.items.map((i: { id: string }) => i.id).sort()).to.deep.equal([a, b].sort());
    const members = await t.http.get(`/api/v1/titles?collection=${col.body.id}`).set(auth(reader));
    expect(members.body.total).to.equal(2);
  });

  it('bulk: representations by filter get a profile and the active flag; titles pass them on', async () => {
    const prof = await t.http.post('/api/v1/access-rights-profiles').set(auth(admin)).send({ name: 'Bulk profile' });
    const tid = await title('Bulk reps');
    const r1 = await rep(tid, 'primary');
    const r2 = await rep(tid, 'derivative');
    const res = await t.http.post('/api/v1/bulk').set(auth(op)).send({ target: 'representations', filter: { titleId: tid, usageType: 'derivative' }, change: { active: false, accessRightsProfileId: prof.body.id } });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.items).to.deep.equal([{ id: r2, status: 'changed', changes: ['active', 'accessRightsProfileId'] }]);
    const byTitle = await t.http.post('/api/v1/bulk').set(auth(op)).send({ target: 'titles', ids: [tid], change: { accessRightsProfileId: prof.body.id } });
    expect(byTitle.body.items[0].changes).to.deep.equal([`representation:${r1}`]);
    const reps = await t.app.ds.getRepository(Representation).findBy({ titleId: tid });
    expect(reps.every((x) => x.accessRightsProfileId === prof.body.id)).to.equal(true);
  });

  it('bulk: an unknown item rolls everything back and the 422 lists the items', async () => {
    const a = await title('Atomic 1');
    const missing = '00000000-0000-4000-8000-000000000001';
    const res = await t.http.post('/api/v1/bulk').set(auth(op)).send({ target: 'titles', ids: [a, missing], change: { suppressed: true } });
    expect(res.status).to.equal(422);
    expect(res.type).to.match(PROBLEM);
    expect(res.body.items).to.deep.equal([
      { id: a, status: 'not-applied', detail: 'rolled back: another item failed' },
      { id: missing, status: 'not-found', detail: `No title ${missing}` },
    ]);
    expect((await t.app.ds.getRepository(Title).findOneByOrFail({ id: a })).suppressed).to.equal(false);
    for (const bad of [
      { target: 'titles', change: { suppressed: true } },
      { target: 'titles', ids: [a], filter: {}, change: { suppressed: true } },
      { target: 'titles', ids: [a], change: {} },
      { target: 'representations', ids: [a], change: { suppressed: true } },
      { target: 'titles', filter: { usageType: 'primary' }, change: { active: true } },
    ]) {
      const r = await t.http.post('/api/v1/bulk').set(auth(op)).send(bad);
      expect(r.status, JSON.stringify(bad)).to.be.oneOf([400, 422]);
      expect(r.type).to.match(PROBLEM);
    }
  });
});
