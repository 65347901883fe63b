import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_SCRYPT, hashPassword, parsePasswordHash, verifyPassword } from '../../../core/auth/passwords';
import { User } from '../../../core/db/entities/user.entity';
import { PROJECT_ROOT } from '../../../core/version';
import { startTestApp } from '../../helpers/test-app';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-db';

const CHEAP = { N: 1024, r: 8, p: 1 };

describe('core/auth/passwords: scrypt hashes', () => {
  it('hashes in the scrypt$N$r$p$salt$hash format with the default cost, and verifies', async function () {
    this.timeout(20_000);
    const h = await hashPassword('correct horse battery staple');
    expect(h).to.match(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(parsePasswordHash(h)?.params).to.deep.equal(DEFAULT_SCRYPT);
    expect(await verifyPassword('correct horse battery staple', h)).to.equal(true);
    expect(await verifyPassword('correct horse battery stapler', h)).to.equal(false);
  });

  it('salts every hash: the same password hashes differently, each verifies', async () => {
    const a = await hashPassword('secret-password', CHEAP);
    const b = await hashPassword('secret-password', CHEAP);
    expect(a).not.to.equal(b);
    expect(await verifyPassword('secret-password', a)).to.equal(true);
    expect(await verifyPassword('secret-password', b)).to.equal(true);
    expect(await verifyPassword('Secret-password', a)).to.equal(false);
    expect(await verifyPassword('', a)).to.equal(false);
  });

  it('reads the cost from the stored hash (older, cheaper hashes still verify)', async () => {
    const h = await hashPassword('pässwörd-1', { N: 2048, r: 4, p: 2 });
    expect(h.startsWith('scrypt$2048$4$2$')).to.equal(true);
    expect(await verifyPassword('pässwörd-1', h)).to.equal(true);
  });

  it('normalizes to NFC: composed and decomposed accents are the same password', async () => {
    const composed = 'caf\u00e9-au-lait';
    const decomposed = 'cafe\u0301-au-lait';
    const h = await hashPassword(composed, CHEAP);
    expect(await verifyPassword(decomposed, h)).to.equal(true);
  });

  it('answers false (never throws) for no hash or a malformed one', async () => {
    const good = await hashPassword('secret-password', CHEAP);
    for (const bad of [null, undefined, '', 'plain', 'bcrypt$2b$10$abc', good.replace('scrypt$1024', 'scrypt$1000'), good.replace('$8$1$', '$8$99$'), 'scrypt$1024$8$1$short$short', `${good}x$`]) {
      expect(await verifyPassword('secret-password', bad), String(bad)).to.equal(false);
    }
  });

  it('refuses parameters that are not a power of two or would take too much memory', async () => {
    let err: unknown;
    try {
      await hashPassword('x', { N: 1000, r: 8, p: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(RangeError);
    expect(parsePasswordHash('scrypt$4194304$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).to.equal(null);
  });
});

describe('colophon users add / passwd (real processes)', function () {
  this.timeout(120_000);
  const BIN = join(PROJECT_ROOT, 'bin', 'colophon.js');
  let db: TestDatabase;
  let args: string[];
  const run = (argv: string[], input = ''): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [BIN, ...argv, ...args], { input, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  before(async () => {
    db = await createTestDatabase();
    args = ['--data-dir', db.dataDir, '--database-url', db.url];
  });
  after(async () => {
    await db?.drop();
  });

  it('creates a user with a hashed password from stdin, refuses duplicates and short passwords, changes the password', async () => {
    const add = run(['users', 'add', 'alice', '--password-stdin', '--groups', 'staff, faculty,staff', '--display-name', 'Alice A.'], 'first password\n');
    expect(add.status, add.stderr).to.equal(0);
    const view = JSON.parse(add.stdout) as Record<string, unknown>;
    expect(view).to.include({ username: 'alice', displayName: 'Alice A.', active: true, hasPassword: true });
    expect(view.groups).to.deep.equal(['staff', 'faculty']);
    expect(add.stdout).not.to.contain('scrypt$');

    const dup = run(['users', 'add', 'alice', '--password-stdin'], 'another password\n');
    expect(dup.status).to.equal(2);
    expect(dup.stderr).to.contain('user "alice" exists');
    const short = run(['users', 'add', 'bob', '--password-stdin'], 'short\n');
    expect(short.status).to.equal(2);
    expect(short.stderr).to.contain('at least 8 characters');
    const noPassword = run(['users', 'add', 'carol']);
    expect(noPassword.status, noPassword.stderr).to.equal(0);
    expect(JSON.parse(noPassword.stdout)).to.include({ username: 'carol', hasPassword: false });

    const check = async (password: string): Promise<boolean> => {
      const t = await startTestApp({ db });
      try {
        const u = await t.app.ds.getRepository(User).findOneByOrFail({ username: 'alice' });
        expect(u.passwordHash).to.match(/^scrypt\$32768\$8\$1\$/);
        return await verifyPassword(password, u.passwordHash);
      } finally {
        await t.close();
      }
    };
    expect(await check('first password')).to.equal(true);

    const passwd = run(['users', 'passwd', 'alice'], 'second password\r\n');
    expect(passwd.status, passwd.stderr).to.equal(0);
    expect(await check('first password')).to.equal(false);
    expect(await check('second password')).to.equal(true);
    const unknown = run(['users', 'passwd', 'nobody'], 'whatever password\n');
    expect(unknown.status).to.equal(2);
    expect(unknown.stderr).to.contain('no user "nobody"');
  });
});
