import { expect } from 'chai';
import { PERMISSIONS, ROLE_IDS, ROLES, type Permission, type RoleId } from '../../../core/auth/roles';
import type { MountedRoute } from '../../../core/plugin/plugin-host';
import { helloPlugin } from '../../fixtures/plugins/fixture-plugins';
import { builtinPlugins } from '../../../plugins';
import { startTestApp, type TestApp } from '../../helpers/test-app';

/** Fill path parameters with a value that names nothing (a valid-looking UUID). */
const concrete = (path: string): string => path.replace(/:([A-Za-z]+)/g, '00000000-0000-4000-8000-000000000000');

/**
 * The role × route matrix: every staff route of every installed plugin (read from the host, so
 * a new route is covered the day it is added), against no key, a bad key, and each role.
 */
describe('role × route matrix', () => {
  let t: TestApp;
  const keys = new Map<RoleId, string>();
  let routes: MountedRoute[];

  before(async () => {
    t = await startTestApp({ app: { plugins: [...builtinPlugins, helloPlugin] } });
    for (const role of ROLE_IDS) keys.set(role, await t.key(role));
    routes = t.app.host.routes().filter((r) => r.auth !== 'public');
  });
  after(async () => t.close());

  it('covers the staff routes of every plugin', () => {
    const plugins = new Set(routes.map((r) => r.pluginId));
    expect([...plugins]).to.include.members(['admin', 'inventory', 'hello']);
    expect(routes.length).to.be.greaterThan(20);
  });

  it('every role id is kebab-case and every role has a label and known permissions', () => {
    for (const id of ROLE_IDS) {
      expect(id).to.match(/^[a-z]+(-[a-z]+)*$/);
      for (const p of ROLES[id].permissions) expect(PERMISSIONS).to.include(p);
    }
    expect(ROLE_IDS).to.have.members([
      'digital-inventory-operator', 'digital-inventory-operator-extended', 'collection-inventory-operator',
      'deposit-manager', 'deposit-operator', 'deposit-operator-extended', 'general-system-administrator',
    ]);
  });

  it('refuses every staff route without a key (401, WWW-Authenticate, problem+json)', async () => {
    for (const r of routes) {
      const res = await t.http[r.method.toLowerCase() as 'get'](concrete(r.path)).send();
      expect(res.status, `${r.method} ${r.path}`).to.equal(401);
      expect(res.type).to.equal('application/problem+json');
      expect(res.headers['www-authenticate']).to.match(/^Bearer/);
    }
  });

  it('refuses every staff route with a malformed, unknown or revoked key (401)', async () => {
    const revoked = await t.app.apiKeys.create({ roles: ['general-system-administrator'] });
    await t.app.apiKeys.revoke(revoked.record.id);
    const bad = ['Basic Zm9vOmJhcg==', 'Bearer', 'Bearer col_abcdefghijkl_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', `Bearer ${revoked.key}`];
    for (const r of routes) {
      for (const header of bad) {
        const res = await t.http[r.method.toLowerCase() as 'get'](concrete(r.path)).set('Authorization', header).send();
        expect(res.status, `${r.method} ${r.path} with ${header.slice(0, 12)}`).to.equal(401);
      }
    }
  });

  it('every role: 403 where it lacks a permission, never 401/403 where it holds them', async () => {
    let refused = 0;
    let allowed = 0;
    for (const role of ROLE_IDS) {
      const granted = new Set<Permission>(ROLES[role].permissions);
      for (const r of routes) {
        const needs = r.auth as readonly Permission[];
        const ok = needs.every((p) => granted.has(p));
        const res = await t.http[r.method.toLowerCase() as 'get'](concrete(r.path))
          .set('Authorization', `Bearer ${keys.get(role) ?? ''}`)
          .send();
        const where = `${role} → ${r.method} ${r.path}`;
        if (ok) {
          expect(res.status, where).to.not.be.oneOf([401, 403]);
          expect(res.status, `${where}: ${JSON.stringify(res.body)}`).to.be.lessThan(500);
          allowed++;
        } else {
          expect(res.status, where).to.equal(403);
          expect(res.body.code).to.equal('core.forbidden');
          expect(res.body.missing).to.be.an('array').with.length.greaterThan(0);
          refused++;
        }
      }
    }
    expect(refused).to.be.greaterThan(0);
    expect(allowed).to.be.greaterThan(0);
  });

  it('grants what the roles promise', () => {
    const has = (role: RoleId, p: Permission): boolean => (ROLES[role].permissions as readonly string[]).includes(p);
    expect(has('digital-inventory-operator', 'inventory:write')).to.equal(true);
    expect(has('digital-inventory-operator', 'inventory:delete')).to.equal(false);
    expect(has('digital-inventory-operator-extended', 'inventory:delete')).to.equal(true);
    expect(has('collection-inventory-operator', 'collections:manage')).to.equal(true);
    expect(has('digital-inventory-operator', 'collections:manage')).to.equal(false);
    expect(has('deposit-operator', 'deposit:operate-extended')).to.equal(false);
    expect(has('deposit-operator-extended', 'deposit:operate-extended')).to.equal(true);
    for (const p of PERMISSIONS) expect(has('general-system-administrator', p)).to.equal(true);
    for (const role of ROLE_IDS) if (role !== 'general-system-administrator') expect(has(role, 'system:admin')).to.equal(false);
  });

  it('an expired key is refused', async () => {
    const { key } = await t.app.apiKeys.create({ roles: ['general-system-administrator'], expiresAt: new Date(Date.now() - 1000) });
    await t.http.get('/api/v1/whoami').set('Authorization', `Bearer ${key}`).expect(401);
  });

  it('API keys are stored hashed and listed without secrets', async () => {
    const admin = keys.get('general-system-administrator') ?? '';
    const created = await t.http
      .post('/api/v1/admin/api-keys')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name: 'harvester', roles: ['digital-inventory-operator'] })
      .expect(201);
    expect(created.body.key).to.match(/^col_/);
    const rows = (await t.app.ds.query('SELECT key_hash FROM api_key WHERE id = ?', [created.body.id])) as { key_hash: string }[];
    expect(rows[0]?.key_hash).to.match(/^[0-9a-f]{64}$/).and.not.equal(created.body.key);
    const list = await t.http.get('/api/v1/admin/api-keys').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(JSON.stringify(list.body)).to.not.contain(created.body.key).and.not.contain(rows[0]?.key_hash);
    await t.http.get('/api/v1/whoami').set('Authorization', `Bearer ${created.body.key as string}`).expect(200);
    await t.http.delete(`/api/v1/admin/api-keys/${created.body.id as string}`).set('Authorization', `Bearer ${admin}`).expect(200);
    await t.http.get('/api/v1/whoami').set('Authorization', `Bearer ${created.body.key as string}`).expect(401);
    const badRole = await t.http
      .post('/api/v1/admin/api-keys')
      .set('Authorization', `Bearer ${admin}`)
      .send({ roles: ['librarian'] })
      .expect(400);
    expect(badRole.body.detail).to.contain('unknown role "librarian"');
  });
});
