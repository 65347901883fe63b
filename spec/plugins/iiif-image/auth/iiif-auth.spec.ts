import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import Koa from 'koa';
import sharp from 'sharp';
import supertest from 'supertest';
import type { Response } from 'supertest';
import { z } from 'zod';
import { hashPassword } from '../../../../core/auth/passwords';
import { AccessRightsProfile, type AccessRule } from '../../../../core/db/entities/access-rights-profile.entity';
import { DigitalFile } from '../../../../core/db/entities/digital-file.entity';
import { Representation } from '../../../../core/db/entities/representation.entity';
import { Title } from '../../../../core/db/entities/title.entity';
import { User } from '../../../../core/db/entities/user.entity';
import { definePlugin } from '../../../../core/plugin';
import type { StorageConnector } from '../../../../core/storage';
import { CORE_VERSION } from '../../../../core/version';
import {
  authEntities,
  authMigrations,
  authOf,
  FileAccess,
  iiifAuthConfig,
  IiifAuth,
  loadAuthKey,
  registerAuthRoutes,
} from '../../../../plugins/iiif-image/auth';
import { storageLocalPlugin } from '../../../../plugins/storage-local';
import { startTestApp, type TestApp } from '../../../helpers/test-app';

const BASE = 'http://colophon.test';
const VIEWER = 'https://viewer.example.org';
const OTHER_VIEWER = 'https://other-viewer.example.net';
const CONTEXT = 'http://iiif.io/api/auth/2/context.json';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A plugin that mounts the auth services as the iiif-image plugin does, with a route showing requesterOf. */
const specConfig = z.strictObject({ auth: iiifAuthConfig.prefault({}) });
const authSpecPlugin = definePlugin<z.infer<typeof specConfig>>({
  manifest: { id: 'auth-spec', version: CORE_VERSION, core: `^${CORE_VERSION}`, config: specConfig },
  register(r) {
    r.entities(...authEntities);
    r.migrations(...authMigrations);
    registerAuthRoutes(r);
    r.route({
      method: 'GET',
      path: '/iiif/spec/requester',
      auth: 'public',
      handler: async (ctx, p) => {
        ctx.body = await authOf(p).requesterOf(ctx);
      },
    });
    r.provide('auth-spec.auth', (p) => authOf(p));
  },
  async init(ctx) {
    await IiifAuth.create(ctx, { defaultStorage: 'local' });
  },
});

/** Cookies of a response as name → value (the last Set-Cookie of each name wins). */
function cookiesOf(res: Response): Record<string, string> {
  const raw = res.headers['set-cookie'] as unknown;
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  const out: Record<string, string> = {};
  for (const c of list) {
    const m = /^([^=]+)=([^;]*)/.exec(c);
    if (m?.[1]) out[m[1]] = m[2] ?? '';
  }
  return out;
}

function setCookieHeaders(res: Response): string[] {
  const raw = res.headers['set-cookie'] as unknown;
  return Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
}

/** The message a token service page posts, and the target origin it names. */
function postedMessage(html: string): { message: Record<string, unknown>; target: string } {
  const m = /window\.parent\.postMessage\((\{.*\}), ("[^"]*")\);<\/script>/s.exec(html);
  if (!m?.[1] || !m[2]) throw new Error(`no postMessage in:\n${html}`);
  return { message: JSON.parse(m[1]) as Record<string, unknown>, target: JSON.parse(m[2]) as string };
}

describe('iiif-image auth: Authorization Flow 2.0 services on a real app', function () {
  this.timeout(60_000);
  let t: TestApp;
  let http: TestApp['http'];
  let auth: IiifAuth;
  let local: StorageConnector;
  const files: Record<string, { id: string; body: Buffer }> = {};
  const profiles: Record<string, AccessRightsProfile> = {};
  const pw = 'correct horse battery';

  async function addFile(name: string, rep: Representation, body: Buffer, mimeType: string, extra: Partial<DigitalFile> = {}): Promise<void> {
    const repo = t.app.ds.getRepository(DigitalFile);
    const f = repo.create({
      representationId: rep.id, sequence: Object.keys(files).length + 1, label: name, storageKey: `files/${rep.id}/${name}`,
      mimeType, size: body.length, sha256: sha(body), width: null, height: null, duration: null, pageCount: null,
      thumbnailKey: null, originalName: `${name}.bin`, section: null, thumbnailStatus: 'pending', fixityStatus: null,
      fixityCheckedAt: null, fixityDetail: null, ...extra,
    });
    await repo.save(f);
    await local.put(f.storageKey, Readable.from([body]), { size: body.length });
    files[name] = { id: f.id, body };
  }

  async function addRep(title: Title, profile: AccessRightsProfile | null, extra: Partial<Representation> = {}): Promise<Representation> {
    const repo = t.app.ds.getRepository(Representation);
    return repo.save(repo.create({
      titleId: title.id, usageType: 'primary', label: 'rep', active: true, remote: false, remoteRepository: null, linkingParameters: null,
      originatingRecordId: null, deliveryUrl: null, thumbnailUrl: null, storageConnectorId: 'local', accessRightsProfileId: profile?.id ?? null,
      remoteManifestUrl: null, thumbnailKey: null, publicNote: null, ...extra,
    }));
  }

  async function addProfile(name: string, rules: AccessRule[], extra: Partial<AccessRightsProfile> = {}): Promise<AccessRightsProfile> {
    const repo = t.app.ds.getRepository(AccessRightsProfile);
    const p = await repo.save(repo.create({ name, rules, copyrightStatement: null, rightsUri: null, deniedNote: null, isDefault: false, ...extra }));
    profiles[name] = p;
    return p;
  }

  async function addUser(username: string, groups: string[], extra: Partial<User> = {}): Promise<User> {
    const repo = t.app.ds.getRepository(User);
    // Cheap scrypt parameters: the format carries them, verification reads them back.
    const passwordHash = await hashPassword(pw, { N: 1024, r: 8, p: 1 });
    return repo.save(repo.create({ username, displayName: username, email: null, passwordHash, groups, roles: [], active: true, ...extra }));
  }

  /** Open the access page (as a viewer does, with ?origin), then post the form. */
  async function login(username: string, password: string, opts: { origin?: string; ip?: string } = {}): Promise<{ res: Response; session?: string }> {
    const ip = opts.ip ?? '203.0.113.10';
    const q = opts.origin ? `?origin=${encodeURIComponent(opts.origin)}` : '';
    const page = await http.get(`/iiif/auth/v2/access${q}`).set('X-Forwarded-For', ip).expect(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
    const pre = cookiesOf(page).colophon_iiif_pre;
    if (!csrf || !pre) throw new Error('no form');
    const res = await http
      .post(`/iiif/auth/v2/access${q}`)
      .set('X-Forwarded-For', ip)
      .set('Cookie', `colophon_iiif_pre=${pre}`)
      .type('form')
      .send({ username, password, csrf, ...(opts.origin ? { origin: opts.origin } : {}) });
    return { res, session: cookiesOf(res).colophon_iiif || undefined };
  }

  async function session(username: string, origin = VIEWER): Promise<string> {
    const { res, session: s } = await login(username, pw, { origin });
    expect(res.status, res.text).to.equal(200);
    if (!s) throw new Error('no session cookie');
    return s;
  }

  async function tokenFor(cookie: string | null, origin = VIEWER, messageId = 'm1'): Promise<{ message: Record<string, unknown>; target: string; res: Response }> {
    const req = http.get(`/iiif/auth/v2/token?messageId=${encodeURIComponent(messageId)}&origin=${encodeURIComponent(origin)}`);
    if (cookie) req.set('Cookie', `colophon_iiif=${cookie}`);
    const res = await req.expect(200);
    return { ...postedMessage(res.text), res };
  }

  async function probe(fileId: string, opts: { token?: string; origin?: string; cookie?: string; ip?: string } = {}): Promise<Record<string, unknown>> {
    const req = http.get(`/iiif/auth/v2/probe/${fileId}`).set('X-Forwarded-For', opts.ip ?? '203.0.113.10');
    if (opts.token) req.set('Authorization', `Bearer ${opts.token}`);
    if (opts.origin) req.set('Origin', opts.origin);
    if (opts.cookie) req.set('Cookie', `colophon_iiif=${opts.cookie}`);
    const res = await req;
    expect(res.status, 'the probe itself always answers 200').to.equal(200);
    expect(res.headers['access-control-allow-origin']).to.equal('*');
    expect(res.headers['cache-control']).to.equal('no-store');
    return res.body as Record<string, unknown>;
  }

  before(async function () {
    t = await startTestApp({
      config: {
        server: { baseUrl: BASE, trustProxy: true },
        repository: { name: 'Example Library <Special> & Co', adminEmail: 'admin@example.org' },
        plugins: { settings: { 'auth-spec': { auth: { degradedMaxSize: 100, loginAttemptsPerMinute: 3 } } } },
      },
      app: { plugins: [storageLocalPlugin, authSpecPlugin] },
    });
    http = t.http;
    const found = t.app.host.service<IiifAuth>('auth-spec.auth');
    if (!found) throw new Error('auth service missing');
    auth = found;
    const c = t.app.core.storage.get('local');
    if (!c) throw new Error('no local storage');
    local = c;

    const titles = t.app.ds.getRepository(Title);
    const mk = (name: string, suppressed: boolean): Promise<Title> =>
      titles.save(titles.create({ sourceFormat: 'dc', sourceRecord: '{}', sourceId: null, dc: { title: [name] }, displayTitle: name, suppressed, datestamp: new Date() }));
    const title = await mk('Published', false);
    const hidden = await mk('Suppressed', true);

    await addProfile('Open default', [], { isDefault: true });
    await addProfile('Staff only', [{ effect: 'allow', userGroup: 'staff' }], { deniedNote: 'Staff only: <ask> the "desk" & wait' });
    await addProfile('Signed in', [{ effect: 'allow', authenticated: true }]);
    await addProfile('Campus or faculty', [{ effect: 'allow', ipRange: '192.0.2.0/24' }, { effect: 'allow', userGroup: 'faculty' }]);
    await addProfile('Reading room', [{ effect: 'allow', ipRange: '198.51.100.0/24' }]);

    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(2000)]);
    const jpeg = await sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 10, g: 120, b: 200 } } }).jpeg().toBuffer();
    await addFile('open', await addRep(title, null), pdf, 'application/pdf');
    await addFile('staff', await addRep(title, profiles['Staff only'] ?? null), pdf, 'application/pdf');
    await addFile('staffImage', await addRep(title, profiles['Staff only'] ?? null), jpeg, 'image/jpeg', { width: 400, height: 300 });
    await addFile('signedIn', await addRep(title, profiles['Signed in'] ?? null), pdf, 'application/pdf');
    await addFile('campus', await addRep(title, profiles['Campus or faculty'] ?? null), pdf, 'application/pdf');
    await addFile('readingRoom', await addRep(title, profiles['Reading room'] ?? null), pdf, 'application/pdf');
    await addFile('inactive', await addRep(title, null, { active: false }), pdf, 'application/pdf');
    await addFile('suppressed', await addRep(hidden, null), pdf, 'application/pdf');
    await addFile('svg', await addRep(title, null), Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'image/svg+xml');

    await addUser('alice', ['staff']);
    await addUser('bob', ['faculty']);
    await addUser('carol', ['staff'], { active: false });
    await addUser('dave', ['staff'], { passwordHash: null });
  });

  after(async () => {
    await t?.close();
  });

  describe('access service (login page)', () => {
    it('renders an escaped form bound to a pre-session, never framed, not cached', async () => {
      const res = await http.get(`/iiif/auth/v2/access?origin=${encodeURIComponent(VIEWER)}`).expect(200);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expect(res.headers['x-frame-options']).to.equal('DENY');
      expect(res.headers['content-security-policy']).to.contain("frame-ancestors 'none'");
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.text).to.contain('<form method="post" action=""');
      expect(res.text).to.contain(`name="origin" value="${VIEWER}"`);
      // The repository name is escaped wherever it appears.
      expect(res.text).to.contain('Example Library &#60;Special&#62; &#38; Co');
      expect(res.text).not.to.contain('<Special>');
      const pre = setCookieHeaders(res).find((c) => c.startsWith('colophon_iiif_pre='));
      expect(pre).to.match(/; Path=\/iiif\/auth\/v2\/access; Max-Age=3600; HttpOnly; SameSite=Lax$/);
    });

    it('signs in with the right password: a session cookie and a page that closes itself', async () => {
      const { res, session: s } = await login('alice', pw, { origin: VIEWER });
      expect(res.status).to.equal(200);
      expect(res.text).to.match(/<script nonce="[^"]+">window\.close\(\);<\/script>/);
      expect(s).to.match(/^v1\./);
      const header = setCookieHeaders(res).find((c) => c.startsWith('colophon_iiif='));
      // http base URL: Lax (Secure/None only on https); the path covers images, content and the services.
      expect(header).to.match(/; Path=\/iiif; Max-Age=28800; HttpOnly; SameSite=Lax$/);
    });

    it('refuses a wrong password, an unknown, inactive or password-less user alike (401, form again)', async () => {
      for (const [user, password] of [['alice', 'wrong password'], ['nobody', pw], ['carol', pw], ['dave', pw]] as const) {
        const { res, session: s } = await login(user, password, { ip: '203.0.113.20' });
        expect(res.status, user).to.equal(401);
        expect(s, user).to.equal(undefined);
        expect(res.text).to.contain('Unknown username or wrong password.');
        expect(res.text).to.contain('name="csrf"');
      }
    });

    it('escapes what the user typed when the form comes back', async () => {
      const evil = '"><script>alert(1)</script>';
      const { res } = await login(evil, 'whatever', { ip: '203.0.113.21' });
      expect(res.status).to.equal(401);
      expect(res.text).not.to.contain('<script>alert(1)');
      expect(res.text).to.contain('value="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"');
    });

    it('refuses a post without the pre-session or with a token of another pre-session (403)', async () => {
      const a = await http.get('/iiif/auth/v2/access').expect(200);
      const b = await http.get('/iiif/auth/v2/access').expect(200);
      const csrfA = /name="csrf" value="([^"]+)"/.exec(a.text)?.[1] ?? '';
      const preB = cookiesOf(b).colophon_iiif_pre ?? '';
      const noCookie = await http.post('/iiif/auth/v2/access').type('form').send({ username: 'alice', password: pw, csrf: csrfA });
      expect(noCookie.status).to.equal(403);
      expect(cookiesOf(noCookie).colophon_iiif).to.equal(undefined);
      const crossed = await http.post('/iiif/auth/v2/access').set('Cookie', `colophon_iiif_pre=${preB}`).type('form').send({ username: 'alice', password: pw, csrf: csrfA });
      expect(crossed.status).to.equal(403);
      expect(crossed.text).to.contain('This form has expired');
      expect(cookiesOf(crossed).colophon_iiif).to.equal(undefined);
      const json = await http.post('/iiif/auth/v2/access').set('Cookie', `colophon_iiif_pre=${preB}`).send({ username: 'alice', password: pw });
      expect(json.status).to.equal(415);
    });

    it('rate-limits failed sign-ins per address and username (429), not other addresses', async () => {
      const ip = '203.0.113.30';
      for (let i = 0; i < 3; i++) expect((await login('alice', `wrong ${i}`, { ip })).res.status).to.equal(401);
      const blocked = await login('alice', pw, { ip });
      expect(blocked.res.status).to.equal(429);
      expect(Number(blocked.res.headers['retry-after'])).to.be.within(1, 60);
      expect(blocked.session).to.equal(undefined);
      expect((await login('alice', pw, { ip: '203.0.113.31' })).res.status).to.equal(200);
      expect((await login('bob', pw, { ip })).res.status).to.equal(200);
    });

    it('when already signed in, closes at once and remembers the new viewer origin', async () => {
      const s = await session('bob', VIEWER);
      expect((await tokenFor(s, OTHER_VIEWER)).message.profile).to.equal('invalidOrigin');
      const res = await http.get(`/iiif/auth/v2/access?origin=${encodeURIComponent(OTHER_VIEWER)}`).set('Cookie', `colophon_iiif=${s}`).expect(200);
      expect(res.text).to.contain('window.close()');
      expect(res.text).to.contain('as bob');
      const renewed = cookiesOf(res).colophon_iiif;
      expect(renewed).to.be.a('string');
      const ok = await tokenFor(renewed ?? '', OTHER_VIEWER);
      expect(ok.message.type).to.equal('AuthAccessToken2');
      // The same session (same expiry), not a longer one.
      expect(auth.sessions.current({ get: () => `colophon_iiif=${renewed}` } as never)?.expiresAt.getTime())
        .to.equal(auth.sessions.current({ get: () => `colophon_iiif=${s}` } as never)?.expiresAt.getTime());
    });
  });

  describe('session cookie → requester', () => {
    it('gives the user groups with a valid cookie, anonymous with none or a forged one', async () => {
      const s = await session('alice');
      const withCookie = await http.get('/iiif/spec/requester').set('X-Forwarded-For', '192.0.2.44').set('Cookie', `colophon_iiif=${s}`).expect(200);
      expect(withCookie.body).to.deep.equal({ ip: '192.0.2.44', authenticated: true, userGroups: ['staff'] });
      const none = await http.get('/iiif/spec/requester').set('X-Forwarded-For', '192.0.2.44').expect(200);
      expect(none.body).to.deep.equal({ ip: '192.0.2.44', authenticated: false, userGroups: [] });
      const forged = await http.get('/iiif/spec/requester').set('Cookie', `colophon_iiif=${s.slice(0, -4)}AAAA`).expect(200);
      expect(forged.body.authenticated).to.equal(false);
    });

    it('an expired cookie is anonymous, never an error', async () => {
      const key = await loadAuthKey(t.app.ds, undefined);
      const past = new IiifAuth({ loginEnabled: true, degradedMaxSize: 0, tokenTtl: 3600, sessionTtl: 3600 }, key, {
        ds: t.app.ds, url: (p) => `${BASE}${p}`, repositoryName: 'x', storage: t.app.core.storage, defaultStorage: 'local', now: () => Date.now() - 2 * 3600_000,
      });
      const out: string[] = [];
      past.sessions.issue({ append: (_: string, v: string) => out.push(v) } as never, { id: 'u', username: 'old', groups: ['staff'] }, [VIEWER]);
      const old = /^colophon_iiif=([^;]+)/.exec(out[0] ?? '')?.[1] ?? '';
      const res = await http.get('/iiif/spec/requester').set('Cookie', `colophon_iiif=${old}`).expect(200);
      expect(res.body.authenticated).to.equal(false);
      const tok = await tokenFor(old);
      expect(tok.message).to.include({ type: 'AuthAccessTokenError2', profile: 'expiredAspect', messageId: 'm1' });
      // The expired cookie is cleared.
      expect(setCookieHeaders(tok.res).some((c) => c.startsWith('colophon_iiif=;'))).to.equal(true);
    });
  });

  describe('token service', () => {
    it('posts an origin-bound AuthAccessToken2 to the viewer origin only', async () => {
      const s = await session('alice', VIEWER);
      const { message, target, res } = await tokenFor(s, VIEWER, 'msg-42');
      expect(target).to.equal(VIEWER);
      expect(res.headers['x-frame-options'], 'the token page is framed by viewers').to.equal(undefined);
      expect(res.headers['content-security-policy']).not.to.contain('frame-ancestors');
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(Object.keys(message).sort()).to.deep.equal(['@context', 'accessToken', 'expiresIn', 'messageId', 'type']);
      expect(message).to.include({ '@context': CONTEXT, type: 'AuthAccessToken2', messageId: 'msg-42', expiresIn: 3600 });
      const grant = auth.tokens.verify(String(message.accessToken), VIEWER);
      expect(grant).to.include({ authenticated: true, origin: VIEWER });
      expect(grant?.groups).to.deep.equal(['staff']);
      expect(auth.tokens.verify(String(message.accessToken), OTHER_VIEWER)).to.equal(null);
      expect(String(message.accessToken)).not.to.equal(s);
      expect(String(message.accessToken)).not.to.contain('staff');
    });

    it('answers missingAspect without a session and invalidAspect for a forged one', async () => {
      const none = await tokenFor(null, VIEWER, 'a1');
      expect(none.target).to.equal(VIEWER);
      expect(none.message).to.deep.include({ '@context': CONTEXT, type: 'AuthAccessTokenError2', profile: 'missingAspect', messageId: 'a1' });
      expect(none.message.heading).to.have.property('en').that.is.an('array');
      expect(none.message.note).to.have.property('en').that.is.an('array');
      const forged = await tokenFor('v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', VIEWER, 'a2');
      expect(forged.message).to.include({ profile: 'invalidAspect', messageId: 'a2' });
    });

    it('answers invalidOrigin for a viewer the user did not sign in from; the own origin always works', async () => {
      const s = await session('alice', VIEWER);
      expect((await tokenFor(s, OTHER_VIEWER)).message).to.include({ type: 'AuthAccessTokenError2', profile: 'invalidOrigin' });
      expect((await tokenFor(s, BASE)).message.type).to.equal('AuthAccessToken2');
    });

    it('posts nothing for a malformed origin (no "*" target), and invalidRequest without messageId', async () => {
      const s = await session('alice', VIEWER);
      for (const bad of ['*', 'javascript:alert(1)', 'https://viewer.example.org/path', '']) {
        const res = await http.get(`/iiif/auth/v2/token?messageId=x&origin=${encodeURIComponent(bad)}`).set('Cookie', `colophon_iiif=${s}`).expect(200);
        expect(res.text, bad).not.to.contain('postMessage');
        expect(res.text).not.to.contain('<script');
        expect(res.text).to.contain('origin parameter');
      }
      const res = await http.get(`/iiif/auth/v2/token?origin=${encodeURIComponent(VIEWER)}`).set('Cookie', `colophon_iiif=${s}`).expect(200);
      expect(postedMessage(res.text).message).to.include({ type: 'AuthAccessTokenError2', profile: 'invalidRequest', messageId: '' });
    });

    it('keeps a hostile messageId inside the script string', async () => {
      const id = '</script><script>alert(1)</script>';
      const { message, res } = await tokenFor(null, VIEWER, id);
      expect(res.text).not.to.contain('<script>alert(1)');
      expect(message.messageId).to.equal(id);
    });

    it('refuses a session whose user was deactivated since, and follows group changes', async () => {
      const repo = t.app.ds.getRepository(User);
      const erin = await addUser('erin', ['staff']);
      const s = await session('erin');
      await repo.update({ id: erin.id }, { groups: ['faculty'] });
      const changed = await tokenFor(s);
      expect(auth.tokens.verify(String(changed.message.accessToken), VIEWER)?.groups).to.deep.equal(['faculty']);
      const refreshed = cookiesOf(changed.res).colophon_iiif;
      expect(auth.sessions.current({ get: () => `colophon_iiif=${refreshed}` } as never)?.groups).to.deep.equal(['faculty']);
      await repo.update({ id: erin.id }, { active: false });
      const gone = await tokenFor(s);
      expect(gone.message).to.include({ type: 'AuthAccessTokenError2', profile: 'invalidAspect' });
    });
  });

  describe('probe service', () => {
    it('200 for open content; 401 anonymous and 200 with a staff token for staff-only content', async () => {
      expect(await probe(files.open?.id ?? '')).to.deep.equal({ '@context': CONTEXT, type: 'AuthProbeResult2', status: 200 });
      const denied = await probe(files.staff?.id ?? '');
      expect(denied).to.include({ '@context': CONTEXT, type: 'AuthProbeResult2', status: 401 });
      expect(denied.heading).to.deep.equal({ en: ['Access restricted'] });
      expect(denied.note).to.deep.equal({ en: ['Staff only: <ask> the "desk" & wait'] });
      expect(denied).not.to.have.property('substitute');
      const s = await session('alice', VIEWER);
      const token = String((await tokenFor(s, VIEWER)).message.accessToken);
      expect(await probe(files.staff?.id ?? '', { token, origin: VIEWER })).to.deep.equal({ '@context': CONTEXT, type: 'AuthProbeResult2', status: 200 });
      // The token is bound to its viewer: presented from another origin it is ignored.
      expect((await probe(files.staff?.id ?? '', { token, origin: OTHER_VIEWER })).status).to.equal(401);
    });

    it('403 when signed in but still denied, and when signing in cannot help', async () => {
      const s = await session('bob', VIEWER);
      const token = String((await tokenFor(s, VIEWER)).message.accessToken);
      expect((await probe(files.staff?.id ?? '', { token, origin: VIEWER })).status).to.equal(403);
      expect((await probe(files.signedIn?.id ?? '', { token, origin: VIEWER })).status).to.equal(200);
      expect((await probe(files.signedIn?.id ?? '')).status).to.equal(401);
      expect((await probe(files.readingRoom?.id ?? '')).status).to.equal(403);
      expect((await probe(files.readingRoom?.id ?? '', { ip: '198.51.100.20' })).status).to.equal(200);
    });

    it('evaluates address and group rules: campus address or faculty token', async () => {
      expect((await probe(files.campus?.id ?? '', { ip: '192.0.2.99' })).status).to.equal(200);
      expect((await probe(files.campus?.id ?? '', { ip: '203.0.113.99' })).status).to.equal(401);
      const token = String((await tokenFor(await session('bob'), VIEWER)).message.accessToken);
      expect((await probe(files.campus?.id ?? '', { token, origin: VIEWER, ip: '203.0.113.99' })).status).to.equal(200);
    });

    it('ignores an expired or garbled token (the cookie-less client is anonymous)', async () => {
      const key = await loadAuthKey(t.app.ds, undefined);
      const past = new IiifAuth({ loginEnabled: true, degradedMaxSize: 0, tokenTtl: 3600, sessionTtl: 3600 }, key, {
        ds: t.app.ds, url: (p) => `${BASE}${p}`, repositoryName: 'x', storage: t.app.core.storage, defaultStorage: 'local', now: () => Date.now() - 2 * 3600_000,
      });
      const expired = past.tokens.issue({ userId: 'u', groups: ['staff'], authenticated: true }, VIEWER).accessToken;
      const fresh = auth.tokens.issue({ userId: 'u', groups: ['staff'], authenticated: true }, VIEWER).accessToken;
      expect((await probe(files.staff?.id ?? '', { token: fresh, origin: VIEWER })).status).to.equal(200);
      expect((await probe(files.staff?.id ?? '', { token: expired, origin: VIEWER })).status).to.equal(401);
      expect((await probe(files.staff?.id ?? '', { token: 'not-a-token', origin: VIEWER })).status).to.equal(401);
    });

    it('reports 404 inside the 200 for unknown, inactive and suppressed files', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'nonsense', files.inactive?.id ?? '', files.suppressed?.id ?? '']) {
        expect((await probe(id)).status, id).to.equal(404);
      }
    });

    it('offers the degraded image as substitute for a denied image', async () => {
      const r = await probe(files.staffImage?.id ?? '');
      expect(r.status).to.equal(401);
      expect(r.substitute).to.deep.equal([
        {
          id: `${BASE}/iiif/3/${files.staffImage?.id}/full/100,75/0/default.jpg`,
          type: 'Image', format: 'image/jpeg', width: 100, height: 75, label: { en: ['Reduced-size image'] },
        },
      ]);
    });

    it('answers the CORS preflight for the Authorization header', async () => {
      const res = await http
        .options(`/iiif/auth/v2/probe/${files.staff?.id}`)
        .set('Origin', VIEWER)
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization')
        .expect(204);
      expect(res.headers['access-control-allow-origin']).to.equal('*');
      expect(res.headers['access-control-allow-headers']).to.contain('Authorization');
    });
  });

  describe('probeService and imageAccess for the image routes', () => {
    it('probeService(fileId, profile) describes the services with the institution in the labels', () => {
      const d = auth.probeService('abc', profiles['Staff only']);
      expect(d).to.include({ id: `${BASE}/iiif/auth/v2/probe/abc`, type: 'AuthProbeService2' });
      expect(d.errorNote).to.deep.equal({ en: ['Staff only: <ask> the "desk" & wait'] });
      const access = (d.service as Record<string, unknown>[])[0];
      expect(access).to.include({ id: `${BASE}/iiif/auth/v2/access`, type: 'AuthAccessService2', profile: 'active' });
      expect(access?.label).to.deep.equal({ en: ['Sign in to Example Library <Special> & Co'] });
      expect(auth.probeService('abc')).not.to.have.property('errorHeading');
    });

    it('imageAccess: full access by cookie, degraded only at the reduced scale, 401 otherwise', async () => {
      const id = files.staffImage?.id ?? '';
      const ctxOf = (cookie?: string): never => ({ ip: '203.0.113.50', get: (h: string) => (h.toLowerCase() === 'cookie' && cookie ? `colophon_iiif=${cookie}` : '') }) as never;
      const full = { width: 400, height: 300 };
      const wholeSmall = { region: { x: 0, y: 0, w: 400, h: 300 }, size: { w: 100, h: 75 } };
      // Twice the detail of the 100x75 substitute; the same tile at 64x64 would be no more than it.
      const tile = { region: { x: 0, y: 0, w: 256, h: 256 }, size: { w: 128, h: 128 } };
      expect(await auth.imageAccess(ctxOf(), id, { region: tile.region, size: { w: 64, h: 64 } }, full)).to.include({ serve: true, degraded: true });
      const anon = await auth.imageAccess(ctxOf(), id, wholeSmall, full);
      expect(anon).to.include({ found: true, serve: true, degraded: true, status: 200 });
      expect(anon.cacheControl).to.match(/^private/);
      expect(await auth.imageAccess(ctxOf(), id, tile, full)).to.include({ serve: false, status: 401 });
      expect(await auth.imageAccess(ctxOf(), id)).to.include({ serve: false, status: 401 });
      const s = await session('alice');
      expect(await auth.imageAccess(ctxOf(s), id, tile, full)).to.include({ serve: true, degraded: false, status: 200 });
      const open = await auth.imageAccess(ctxOf(), files.open?.id ?? '');
      expect(open).to.include({ serve: true, status: 200, cacheControl: 'public, max-age=86400' });
      expect(await auth.imageAccess(ctxOf(), files.suppressed?.id ?? '')).to.include({ found: false, status: 404 });
    });
  });

  describe('content delivery', () => {
    it('streams open content with ETag, inline disposition and single ranges', async () => {
      const f = files.open;
      if (!f) throw new Error('fixture');
      const whole = await http.get(`/iiif/content/${f.id}`).buffer(true).parse(binary).expect(200);
      expect(Buffer.compare(whole.body as Buffer, f.body)).to.equal(0);
      expect(whole.headers['content-type']).to.equal('application/pdf');
      expect(whole.headers.etag).to.equal(`"${sha(f.body)}"`);
      expect(whole.headers['accept-ranges']).to.equal('bytes');
      expect(whole.headers['content-disposition']).to.equal("inline; filename*=UTF-8''open.bin");
      expect(whole.headers['cache-control']).to.equal('public, max-age=3600');
      expect(whole.headers['access-control-allow-origin']).to.equal('*');
      const part = await http.get(`/iiif/content/${f.id}`).set('Range', 'bytes=10-19').buffer(true).parse(binary).expect(206);
      expect(Buffer.compare(part.body as Buffer, f.body.subarray(10, 20))).to.equal(0);
      expect(part.headers['content-range']).to.equal(`bytes 10-19/${f.body.length}`);
      const tail = await http.get(`/iiif/content/${f.id}`).set('Range', 'bytes=-5').buffer(true).parse(binary).expect(206);
      expect(Buffer.compare(tail.body as Buffer, f.body.subarray(f.body.length - 5))).to.equal(0);
      const bad = await http.get(`/iiif/content/${f.id}`).set('Range', `bytes=${f.body.length}-`).expect(416);
      expect(bad.headers['content-range']).to.equal(`bytes */${f.body.length}`);
      await http.get(`/iiif/content/${f.id}`).set('If-None-Match', `"${sha(f.body)}"`).expect(304);
      // If-Range naming another version: the whole file, not a range of it.
      await http.get(`/iiif/content/${f.id}`).set('Range', 'bytes=0-9').set('If-Range', '"old"').expect(200);
      const head = await http.head(`/iiif/content/${f.id}`).expect(200);
      expect(head.headers['content-length']).to.equal(String(f.body.length));
    });

    it('denies restricted content: 401 anonymous, 403 signed in without the group, 200 with it', async () => {
      const f = files.staff;
      if (!f) throw new Error('fixture');
      const anon = await http.get(`/iiif/content/${f.id}`).expect(401);
      expect(anon.headers['cache-control']).to.equal('no-store');
      expect(anon.body.detail).to.equal('Staff only: <ask> the "desk" & wait');
      await http.get(`/iiif/content/${f.id}`).set('Cookie', `colophon_iiif=${await session('bob')}`).expect(403);
      const ok = await http.get(`/iiif/content/${f.id}`).set('Cookie', `colophon_iiif=${await session('alice')}`).set('Range', 'bytes=0-3').buffer(true).parse(binary).expect(206);
      expect((ok.body as Buffer).toString('latin1')).to.equal('%PDF');
      expect(ok.headers['cache-control']).to.equal('private, no-cache');
      expect(ok.headers.vary).to.match(/Cookie/);
      await http.get(`/iiif/content/${files.readingRoom?.id}`).expect(403);
    });

    it('404 for unknown, inactive and suppressed files; risky types only as sandboxed attachments', async () => {
      await http.get('/iiif/content/00000000-0000-4000-8000-000000000000').expect(404);
      await http.get(`/iiif/content/${files.inactive?.id}`).expect(404);
      await http.get(`/iiif/content/${files.suppressed?.id}`).expect(404);
      const svg = await http.get(`/iiif/content/${files.svg?.id}`).expect(200);
      expect(svg.headers['content-disposition']).to.match(/^attachment;/);
      expect(svg.headers['content-security-policy']).to.contain('sandbox');
      expect(svg.headers['x-content-type-options']).to.equal('nosniff');
    });
  });

  describe('logout service', () => {
    it('clears the cookie; the token service then finds no session', async () => {
      const s = await session('alice');
      const res = await http.get('/iiif/auth/v2/logout').set('Cookie', `colophon_iiif=${s}`).expect(200);
      expect(res.text).to.contain('You are signed out of Example Library &#60;Special&#62; &#38; Co.');
      const cleared = setCookieHeaders(res).find((c) => c.startsWith('colophon_iiif='));
      expect(cleared).to.match(/^colophon_iiif=; Path=\/iiif; Max-Age=0; HttpOnly; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT$/);
      // A browser drops the cookie now and so sends none.
      expect((await tokenFor(null)).message.profile).to.equal('missingAspect');
    });
  });

  describe('FileAccess', () => {
    it('remembers lookups for the TTL (bounded), then reads the database again', async () => {
      let now = 1_000_000;
      const fa = new FileAccess(t.app.ds, { ttlMs: 5000, maxEntries: 2, now: () => now });
      const id = files.signedIn?.id ?? '';
      const anon = { ip: '203.0.113.1', authenticated: false };
      expect((await fa.decide(id, anon)).allowed).to.equal(false);
      const repo = t.app.ds.getRepository(AccessRightsProfile);
      const p = profiles['Signed in'];
      if (!p) throw new Error('fixture');
      await repo.update({ id: p.id }, { rules: [] });
      try {
        now += 4000;
        expect((await fa.decide(id, anon)).allowed, 'within the TTL').to.equal(false);
        now += 2000;
        expect((await fa.decide(id, anon)).allowed, 'after the TTL').to.equal(true);
        await repo.update({ id: p.id }, { rules: [{ effect: 'allow', authenticated: true }] });
        expect((await fa.decide(id, anon)).allowed).to.equal(true);
        fa.invalidate(id);
        expect((await fa.decide(id, anon)).allowed, 'after invalidate').to.equal(false);
        // Two other files push this one out of the two-entry cache.
        await repo.update({ id: p.id }, { rules: [] });
        await fa.decide(files.open?.id ?? '', anon);
        await fa.decide(files.staff?.id ?? '', anon);
        expect((await fa.decide(id, anon)).allowed, 'evicted').to.equal(true);
      } finally {
        await repo.update({ id: p.id }, { rules: [{ effect: 'allow', authenticated: true }] });
      }
    });

    it('falls back to the default profile, and to open when there is none', async () => {
      const fa = new FileAccess(t.app.ds, { ttlMs: 0 });
      const repo = t.app.ds.getRepository(AccessRightsProfile);
      const def = profiles['Open default'];
      if (!def) throw new Error('fixture');
      await repo.update({ id: def.id }, { rules: [{ effect: 'deny' }] });
      try {
        const d = await fa.decide(files.open?.id ?? '', { ip: '203.0.113.1', authenticated: true, userGroups: ['staff'] });
        expect(d).to.include({ found: true, allowed: false });
        expect(d.profile?.id).to.equal(def.id);
        await repo.update({ id: def.id }, { isDefault: false });
        const open = await fa.decide(files.open?.id ?? '', { ip: '203.0.113.1', authenticated: false });
        expect(open).to.include({ found: true, allowed: true, profile: null });
      } finally {
        await repo.update({ id: def.id }, { rules: [], isDefault: true });
      }
    });
  });

  describe('with the login off (external pattern)', () => {
    it('the access page is not offered; the token service gives an anonymous token the probe judges by address', async () => {
      const key = await loadAuthKey(t.app.ds, undefined);
      const ext = new IiifAuth({ loginEnabled: false, degradedMaxSize: 0, tokenTtl: 600, sessionTtl: 3600 }, key, {
        ds: t.app.ds, url: (p) => `${BASE}${p}`, repositoryName: 'Example', storage: t.app.core.storage, defaultStorage: 'local',
      });
      const koa = new Koa({ proxy: true });
      koa.use(async (ctx) => {
        const m = /^\/probe\/(.+)$/.exec(ctx.path);
        if (m) {
          ctx.params = { fileId: m[1] };
          return ext.probe(ctx);
        }
        if (ctx.path === '/token') return ext.token(ctx);
        return ext.access(ctx);
      });
      const h = supertest(koa.callback());
      const page = await h.get('/access').expect(404);
      expect(page.text).not.to.contain('<form');
      const tok = await h.get(`/token?messageId=e1&origin=${encodeURIComponent(VIEWER)}`).expect(200);
      const { message } = postedMessage(tok.text);
      expect(message).to.include({ type: 'AuthAccessToken2', messageId: 'e1', expiresIn: 600 });
      const token = String(message.accessToken);
      const inside = await h.get(`/probe/${files.readingRoom?.id}`).set('X-Forwarded-For', '198.51.100.3').set('Authorization', `Bearer ${token}`).expect(200);
      expect(inside.body.status).to.equal(200);
      const outside = await h.get(`/probe/${files.readingRoom?.id}`).set('X-Forwarded-For', '203.0.113.3').set('Authorization', `Bearer ${token}`).expect(200);
      expect(outside.body.status).to.equal(403);
      expect(ext.probeService('x').service).to.deep.equal([
        { type: 'AuthAccessService2', profile: 'external', label: { en: ['Sign in to Example'] }, service: [{ id: `${BASE}/iiif/auth/v2/token`, type: 'AuthAccessTokenService2' }] },
      ]);
    });
  });
});

/** supertest parser keeping binary bodies as Buffers. */
function binary(res: Response, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
}
