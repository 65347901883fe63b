import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { coreMigrations } from '../../core/db/migrations';
import { OaiPmh1764700000000 } from '../../plugins/oai-pmh/migrations/1764700000000-oai-pmh';
import { OaiRecordPrefixIndex1764700000001 } from '../../plugins/oai-pmh/migrations/1764700000001-oai-record-prefix-index';
import { IiifImage1764800000000 } from '../../plugins/iiif-image/migrations/1764800000000-iiif-image';
import { IiifRenderCache1764800000001 } from '../../plugins/iiif-image/migrations/1764800000001-iiif-render-cache';
import { IiifAuth1764800000100 } from '../../plugins/iiif-image/auth/iiif-auth-migration';
import { IiifPresentation1764900000000 } from '../../plugins/iiif-presentation/migrations/1764900000000-iiif-presentation';
import { PROJECT_ROOT } from '../../core/version';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';

const BIN = join(PROJECT_ROOT, 'bin', 'colophon.js');

function run(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, ms = 30000): Promise<Response> {
  const until = Date.now() + ms;
  let last: unknown;
  while (Date.now() < until) {
    try {
      return await fetch(url);
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not answer: ${String(last)}`);
}

async function until(cond: () => Promise<boolean>, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  let last: unknown = null;
  while (Date.now() < end) {
    // A kept-alive connection the server just closed fails one fetch; the next one reconnects.
    if (await cond().catch((err: unknown) => ((last = err), false))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met in time${last ? ` (last error: ${String(last)})` : ''}`);
}

describe('colophon CLI (real processes)', function () {
  this.timeout(120000);
  let db: TestDatabase;
  let dbArgs: string[];
  let server: ChildProcess | undefined;

  before(async () => {
    db = await createTestDatabase();
    dbArgs = ['--data-dir', db.dataDir, '--database-url', db.url];
  });
  after(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await db.drop();
  });

  it('migrate on a fresh database applies the migrations; --check then finds none pending', async () => {
    const fresh = await createTestDatabase();
    try {
      const args = ['--data-dir', fresh.dataDir, '--database-url', fresh.url];
      const pending = run(['migrate', '--check', ...args]);
      expect(pending.status, pending.stderr).to.equal(3);
      expect(pending.stdout).to.contain('CoreInitial1764400000000');
      const applied = run(['migrate', ...args]);
      expect(applied.status, applied.stderr).to.equal(0);
      // Every migration of the core and the installed plugins.
      const names = [
        ...coreMigrations,
        OaiPmh1764700000000,
        OaiRecordPrefixIndex1764700000001,
        IiifImage1764800000000,
        IiifRenderCache1764800000001,
        IiifAuth1764800000100,
        IiifPresentation1764900000000,
      ].map((m) => m.name);
      expect(applied.stdout.trim().split('\n').sort()).to.deep.equal(names.map((n) => `applied ${n}`).sort());
      expect(run(['migrate', ...args]).stdout).to.equal('database is up to date\n');
      expect(run(['migrate', '--check', ...args]).status).to.equal(0);
    } finally {
      await fresh.drop();
    }
  });

  it('apikey create prints only the new key', () => {
    const r = run(['apikey', 'create', '--role', 'general-system-administrator', ...dbArgs]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^col_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}\n$/);
  });

  it('apikey create with an unknown role fails with a clear message', () => {
    const r = run(['apikey', 'create', '--role', 'librarian', ...dbArgs]);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.contain('unknown role "librarian"');
  });

  it('serve --demo on a fresh data dir: /healthz 200 and the demo titles; plugins toggled from the CLI take effect without restart; SIGTERM drains and exits 0', async () => {
    const port = await freePort();
    const key = run(['apikey', 'create', '--role', 'digital-inventory-operator', ...dbArgs]).stdout.trim();
    server = spawn(process.execPath, [BIN, 'serve', '--demo', '--port', String(port), '--base-url', `http://127.0.0.1:${port}`, ...dbArgs], {
      env: { ...process.env, COLOPHON_PLUGINS__SYNC_INTERVAL_MS: '200', COLOPHON_LOG__LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    server.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const health = await waitFor(`http://127.0.0.1:${port}/healthz`);
    expect(health.status, stderr).to.equal(200);
    const home = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(home).to.contain('Survey of the Harbour and Approaches').and.contain('4 titles published');
    const titles = (await (await fetch(`http://127.0.0.1:${port}/api/v1/titles`, { headers: { Authorization: `Bearer ${key}` } })).json()) as {
      total: number; items: { id: string }[];
    };
    expect(titles.total).to.equal(4);
    const one = (await (await fetch(`http://127.0.0.1:${port}/api/v1/titles/${titles.items[0]?.id ?? ''}`, { headers: { Authorization: `Bearer ${key}` } })).json()) as {
      representations: { files: { width: number; sha256: string }[] }[];
    };
    expect(one.representations[0]?.files[0]?.width).to.be.greaterThan(0);
    expect(one.representations[0]?.files[0]?.sha256).to.match(/^[0-9a-f]{64}$/);

    // A second process (the CLI) disables the inventory plugin; the server follows.
    // oai-pmh and the IIIF plugins depend on inventory: they go first.
    expect(run(['plugins', 'disable', 'inventory', ...dbArgs]).status).to.not.equal(0);
    for (const id of ['oai-pmh', 'iiif-presentation', 'iiif-image', 'inventory']) expect(run(['plugins', 'disable', id, ...dbArgs]).status, id).to.equal(0);
    await until(async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 404);
    expect(run(['plugins', 'enable', 'inventory', ...dbArgs]).status).to.equal(0);
    await until(async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 200);
    for (const id of ['oai-pmh', 'iiif-image', 'iiif-presentation']) expect(run(['plugins', 'enable', id, ...dbArgs]).status, id).to.equal(0);
    await until(async () => (await fetch(`http://127.0.0.1:${port}/oai?verb=Identify`)).status === 200);
    await until(async () => (await fetch(`http://127.0.0.1:${port}/iiif/presentation/3/collection/top`)).status === 200);

    const exited = new Promise<number | null>((resolve) => server?.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });

  it('demo is idempotent', () => {
    const r = run(['demo', ...dbArgs]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal('demo content already present');
  });

  it('plugins list / config; jobs list / run; migrate --check', () => {
    const list = run(['plugins', 'list', ...dbArgs]);
    expect(list.stdout).to.match(/^enabled +admin@/m).and.match(/^enabled +inventory@/m);
    const conf = run(['plugins', 'config', 'inventory', 'homePageSize=7', ...dbArgs]);
    expect(conf.status, conf.stderr).to.equal(0);
    expect((JSON.parse(conf.stdout) as { config: { homePageSize: number } }).config.homePageSize).to.equal(7);
    const bad = run(['plugins', 'config', 'inventory', 'homePageSize=lots', ...dbArgs]);
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain('plugin inventory: config homePageSize');
    const jobs = run(['jobs', 'list', ...dbArgs]);
    expect(jobs.stdout).to.contain('admin.job-runs-prune');
    const job = run(['jobs', 'run', 'admin.job-runs-prune', ...dbArgs]);
    expect(job.status, job.stderr).to.equal(0);
    expect((JSON.parse(job.stdout) as { status: string }).status).to.equal('succeeded');
    const check = run(['migrate', '--check', ...dbArgs]);
    expect(check.stdout.trim()).to.equal('no pending migrations');
  });

  it('bad config stops the server with a message naming the key (exit 2)', () => {
    const file = join(db.dataDir, 'bad.json');
    writeFileSync(file, JSON.stringify({ server: { port: 'http' } }));
    const r = run(['serve', '--config', file, ...dbArgs]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/^colophon: config server\.port \(from .*bad\.json\): /);
    const env = run(['serve', ...dbArgs], { COLOPHON_PLUGINS__SETTINGS: '{"inventory":{"homePageSiz":3}}' });
    expect(env.status).to.equal(2);
    expect(env.stderr).to.contain('plugin inventory: config homePageSiz: unknown key');
  });
});
