import { expect } from 'chai';
import { PluginBootError } from '../../../core/plugin/plugin-errors';
import { Veto } from '../../../core/events';
import {
  cycleA, cycleB, cycleC, failingInitPlugin, futureCorePlugin, helloDependentPlugin, helloPlugin,
  lateRegistrarError, lateRegistrarPlugin, lifecycle, missingDependencyPlugin, plugins,
} from '../../fixtures/plugins/fixture-plugins';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { createTestDatabase } from '../../helpers/test-db';

async function bootError(p: Parameters<typeof startTestApp>[0]): Promise<Error> {
  try {
    const t = await startTestApp(p);
    await t.close();
  } catch (err) {
    return err as Error;
  }
  throw new Error('boot succeeded but should have failed');
}

describe('plugin host', () => {
  describe('boot failures name the culprit', () => {
    it('a missing dependency stops boot and names both plugins', async () => {
      const err = await bootError({ app: { plugins: plugins(missingDependencyPlugin) } });
      expect(err).to.be.instanceOf(PluginBootError);
      expect(err.message).to.equal('plugin needs-ghost depends on plugin ghost, which is not installed');
    });

    it('a dependency cycle stops boot and names the cycle', async () => {
      const err = await bootError({ app: { plugins: plugins(cycleA, cycleB, cycleC) } });
      expect(err).to.be.instanceOf(PluginBootError);
      expect(err.message).to.equal('plugins have a dependency cycle: cycle-a -> cycle-b -> cycle-c -> cycle-a');
    });

    it('bad plugin config stops boot naming plugin and key', async () => {
      const err = await bootError({
        config: { plugins: { settings: { hello: { times: 'many' } } } },
        app: { plugins: plugins(helloPlugin) },
      });
      expect(err).to.be.instanceOf(PluginBootError);
      expect(err.message).to.match(/^plugin hello: config times: /);
    });

    it('an unknown plugin config key stops boot naming it', async () => {
      const err = await bootError({
        config: { plugins: { settings: { hello: { greting: 'typo' } } } },
        app: { plugins: plugins(helloPlugin) },
      });
      expect(err.message).to.equal('plugin hello: config greting: unknown key');
    });

    it('settings for a plugin that is not installed stop boot', async () => {
      const err = await bootError({ config: { plugins: { settings: { nosuch: {} } } }, app: { plugins: plugins(helloPlugin) } });
      expect(err.message).to.equal('config plugins.settings.nosuch: no plugin with id nosuch is installed');
    });

    it('a plugin for another core version stops boot', async () => {
      const err = await bootError({ app: { plugins: plugins(futureCorePlugin) } });
      expect(err.message).to.match(/^plugin from-the-future@3\.0\.0 needs core \^99\.0\.0, but this core is /);
    });

    it('an enabled plugin whose init throws stops boot naming it', async () => {
      const err = await bootError({
        config: { plugins: { settings: { 'failing-init': { enabled: true } } } },
        app: { plugins: plugins(failingInitPlugin) },
      });
      expect(err.message).to.equal('plugin failing-init: init failed: cannot reach the frobnicator');
    });

    it('contributing after register() returned throws', async () => {
      const t = await startTestApp({ app: { plugins: plugins(lateRegistrarPlugin) } });
      await new Promise((r) => setTimeout(r, 20));
      await t.close();
      expect(lateRegistrarError[0]).to.match(/route\(\) called after register\(\) returned/);
    });
  });

  describe('running', () => {
    let t: TestApp;
    let admin: string;
    beforeEach(async () => {
      lifecycle.length = 0;
      t = await startTestApp({ app: { plugins: plugins(helloDependentPlugin, helloPlugin) } });
      admin = await t.key('general-system-administrator');
    });
    afterEach(async () => t.close());

    it('orders by dependency: init in order, close in reverse', async () => {
      expect(t.app.host.order.indexOf('hello')).to.be.lessThan(t.app.host.order.indexOf('hello-dependent'));
      expect(lifecycle).to.deep.equal(['hello:init', 'hello-dependent:init']);
      await t.app.host.close();
      expect(lifecycle.slice(2)).to.deep.equal(['hello-dependent:close', 'hello:close']);
    });

    it('a plugin uses a service of the plugin it depends on', async () => {
      const res = await t.http.get('/hello-dependent').expect(200);
      expect(res.body).to.deep.equal({ text: 'hello, world' });
    });

    it('disable and enable at runtime: routes disappear and come back, no restart', async () => {
      await t.http.get('/hello').expect(200);
      // Dependents first.
      const refused = await t.http.post('/api/v1/admin/plugins/hello/disable').set('Authorization', `Bearer ${admin}`).expect(409);
      expect(refused.body.dependents).to.deep.equal(['hello-dependent']);
      await t.http.post('/api/v1/admin/plugins/hello-dependent/disable').set('Authorization', `Bearer ${admin}`).expect(200);
      const off = await t.http.post('/api/v1/admin/plugins/hello/disable').set('Authorization', `Bearer ${admin}`).expect(200);
      expect(off.body.enabled).to.equal(false);
      const gone = await t.http.get('/hello').expect(404);
      expect(gone.type).to.equal('application/problem+json');
      await t.http.get('/hello-dependent').expect(404);
      expect(t.app.host.routes().some((r) => r.pluginId === 'hello')).to.equal(false);
      expect(lifecycle).to.include.members(['hello-dependent:close', 'hello:close']);

      // Enabling the dependent before its dependency is refused, naming it.
      const early = await t.http.post('/api/v1/admin/plugins/hello-dependent/enable').set('Authorization', `Bearer ${admin}`).expect(409);
      expect(early.body.disabled).to.deep.equal(['hello']);
      await t.http.post('/api/v1/admin/plugins/hello/enable').set('Authorization', `Bearer ${admin}`).expect(200);
      await t.http.get('/hello').expect(200);
      await t.http.post('/api/v1/admin/plugins/hello-dependent/enable').set('Authorization', `Bearer ${admin}`).expect(200);
      await t.http.get('/hello-dependent').expect(200);
    });

    it('state persists: a new instance on the same database boots with the plugin disabled', async () => {
      await t.app.host.disable('hello-dependent');
      const other = await startTestApp({ db: t.db, app: { plugins: plugins(helloDependentPlugin, helloPlugin) } });
      try {
        await other.http.get('/hello-dependent').expect(404);
        await other.http.get('/hello').expect(200);
      } finally {
        await other.app.close();
      }
    });

    it('another instance picks up a change through sync()', async () => {
      const other = await startTestApp({ db: t.db, app: { plugins: plugins(helloDependentPlugin, helloPlugin) } });
      try {
        await other.http.get('/hello-dependent').expect(200);
        await t.app.host.disable('hello-dependent');
        await t.app.host.configure('hello', { greeting: 'bonjour' });
        await other.app.host.sync();
        await other.http.get('/hello-dependent').expect(404);
        const res = await other.http.get('/hello').expect(200);
        expect(res.body.message).to.equal('bonjour');
      } finally {
        await other.app.close();
      }
    });

    it('reconfigure takes effect without restart; invalid config is refused naming the key', async () => {
      const res = await t.http
        .patch('/api/v1/admin/plugins/hello/config')
        .set('Authorization', `Bearer ${admin}`)
        .send({ greeting: 'hi', times: 2 })
        .expect(200);
      expect(res.body.config).to.deep.equal({ greeting: 'hi', times: 2 });
      expect((await t.http.get('/hello').expect(200)).body.message).to.equal('hi hi');

      const bad = await t.http
        .patch('/api/v1/admin/plugins/hello/config')
        .set('Authorization', `Bearer ${admin}`)
        .send({ times: 99 })
        .expect(400);
      expect(bad.type).to.equal('application/problem+json');
      expect(bad.body.code).to.equal('plugin.invalid-config');
      expect(bad.body.key).to.equal('times');
      expect(bad.body.detail).to.match(/^plugin hello: config times: /);
      const unknown = await t.http
        .patch('/api/v1/admin/plugins/hello/config')
        .set('Authorization', `Bearer ${admin}`)
        .send({ colour: 'red' })
        .expect(400);
      expect(unknown.body.detail).to.equal('plugin hello: config colour: unknown key');
      // The refused changes left the running config alone.
      expect((await t.http.get('/hello').expect(200)).body.message).to.equal('hi hi');

      // null removes a persisted key: back to the default.
      await t.http.patch('/api/v1/admin/plugins/hello/config').set('Authorization', `Bearer ${admin}`).send({ times: null }).expect(200);
      expect((await t.http.get('/hello').expect(200)).body.message).to.equal('hi');
    });

    it('unknown plugin → 404 problem; core plugin cannot be disabled', async () => {
      const nf = await t.http.post('/api/v1/admin/plugins/nope/enable').set('Authorization', `Bearer ${admin}`).expect(404);
      expect(nf.body.code).to.equal('plugin.unknown');
      const req = await t.http.post('/api/v1/admin/plugins/admin/disable').set('Authorization', `Bearer ${admin}`).expect(409);
      expect(req.body.code).to.equal('plugin.required');
    });

    it('filter hooks veto writes with a 422 naming the plugin; disabled plugins\' hooks do not run', async () => {
      t.app.hooks.addFilter('hello', 'spec.write', () => {
        throw new Veto('not on Sundays');
      });
      let err: unknown;
      await t.app.core.unitOfWork((uow) => uow.filter('spec.write', {})).catch((e: unknown) => { err = e; });
      expect(err).to.include({ status: 422, message: 'hello: not on Sundays' });
      t.app.hooks.removePlugin('hello');
      expect(await t.app.core.unitOfWork((uow) => uow.filter('spec.write', { a: 1 }))).to.deep.equal({ a: 1 });
    });
  });

  describe('a plugin that fails to start at runtime', () => {
    it('answers 500 naming it, stays disabled, and the server stays up', async () => {
      const t = await startTestApp({ app: { plugins: plugins(failingInitPlugin) } });
      try {
        const admin = await t.key('general-system-administrator');
        const res = await t.http.post('/api/v1/admin/plugins/failing-init/enable').set('Authorization', `Bearer ${admin}`).expect(500);
        expect(res.body.code).to.equal('plugin.init-failed');
        expect(res.body.detail).to.contain('cannot reach the frobnicator');
        await t.http.get('/failing').expect(404);
        await t.http.get('/healthz').expect(200);
        const desc = await t.http.get('/api/v1/admin/plugins/failing-init').set('Authorization', `Bearer ${admin}`).expect(200);
        expect(desc.body.enabled).to.equal(false);
      } finally {
        await t.close();
      }
    });
  });

  it('two instances may boot against one fresh database at once (migrations take turns)', async () => {
    const db = await createTestDatabase();
    try {
      const [a, b] = await Promise.all([startTestApp({ db }), startTestApp({ db })]);
      await a.http.get('/readyz').expect(200);
      await b.http.get('/readyz').expect(200);
      await a.app.close();
      await b.app.close();
    } finally {
      await db.drop();
    }
  });
});
