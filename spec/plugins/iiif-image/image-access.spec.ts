// Access to IIIF images through the real app: access rights profiles set with the staff API,
// then the Image API routes (3.0 and 2.x) and the content route as anonymous visitors, signed-in
// users, token holders and clients at given addresses see them. The Authorization Flow
// services themselves (form, cookies, tokens, rate limits) are covered in auth/iiif-auth.spec.ts;
// here they are only the way in.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { Response } from 'supertest';
import { hashPassword } from '../../../core/auth/passwords';
import { User } from '../../../core/db/entities/user.entity';
import { DERIVATIVE_JOB } from '../../../plugins/iiif-image/services/derivative-service';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const BASE = 'http://colophon.test';
const VIEWER = 'https://viewer.example.org';
const AUTH2 = 'http://iiif.io/api/auth/2/context.json';
const OUTSIDE = '203.0.113.10';
const READING_ROOM = '198.51.100.7';
const CAMPUS = '192.0.2.44';
const DEGRADED = 200;
const PASSWORD = 'correct horse battery';

interface Probe {
  status: number;
  substitute?: { id: string; width: number; height: number }[];
  heading?: Record<string, string[]>;
  note?: Record<string, string[]>;
}

/** A supertest parser that keeps the body as bytes whatever its type. */
function bytes(res: Response, cb: (err: Error | null, body: Buffer) => void): void {
  const parts: Buffer[] = [];
  res.on('data', (c: Buffer) => parts.push(c));
  res.on('end', () => cb(null, Buffer.concat(parts)));
  res.on('error', (err: Error) => cb(err, Buffer.alloc(0)));
}

function setCookies(res: Response): string[] {
  const raw = res.headers['set-cookie'] as unknown;
  return Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
}

function cookie(res: Response, name: string): string | undefined {
  for (const c of setCookies(res)) {
    const m = /^([^=]+)=([^;]*)/.exec(c);
    if (m?.[1] === name) return m[2];
  }
  return undefined;
}

describe('iiif-image: access to images through the real app', function () {
  this.timeout(120_000);
  let t: TestApp;
  let http: TestApp['http'];
  let op: string;
  let admin: string;
  let jpeg: Buffer;
  const file: Record<string, string> = {};
  const rep: Record<string, string> = {};
  const title: Record<string, string> = {};
  const profile: Record<string, string> = {};
  let alice: string; // staff
  let bob: string; // no groups
  const auth = (k: string): Record<string, string> => ({ Authorization: `Bearer ${k}` });

  /** A request from an address (X-Forwarded-For; the app trusts the proxy), optionally with a session cookie. */
  function get(path: string, opts: { ip?: string; session?: string; headers?: Record<string, string>; method?: 'GET' | 'HEAD' } = {}): Promise<Response> {
    const req = (opts.method === 'HEAD' ? http.head(path) : http.get(path).buffer(true).parse(bytes))
      .set('X-Forwarded-For', opts.ip ?? OUTSIDE)
      .set('Origin', VIEWER)
      .set(opts.headers ?? {});
    return opts.session ? req.set('Cookie', `colophon_iiif=${opts.session}`) : req;
  }

  function json(res: Response): Record<string, unknown> {
    return JSON.parse((res.body as Buffer).toString('utf8')) as Record<string, unknown>;
  }

  async function probe(id: string, opts: { ip?: string; token?: string; session?: string } = {}): Promise<Probe> {
    const req = http.get(`/iiif/auth/v2/probe/${id}`).set('X-Forwarded-For', opts.ip ?? OUTSIDE).set('Origin', VIEWER);
    if (opts.token) req.set('Authorization', `Bearer ${opts.token}`);
    if (opts.session) req.set('Cookie', `colophon_iiif=${opts.session}`);
    const res = await req;
    expect(res.status, 'the probe answers 200, the status is inside').to.equal(200);
    expect(res.headers['access-control-allow-origin']).to.equal('*');
    return res.body as Probe;
  }

  /** Sign in as a viewer would: the access service page with ?origin, then its form. */
  async function signIn(username: string): Promise<string> {
    const q = `?origin=${encodeURIComponent(VIEWER)}`;
    const page = await http.get(`/iiif/auth/v2/access${q}`).set('X-Forwarded-For', OUTSIDE);
    expect(page.status).to.equal(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
    const pre = cookie(page, 'colophon_iiif_pre');
    if (!csrf || !pre) throw new Error('no sign-in form');
    const res = await http
      .post(`/iiif/auth/v2/access${q}`)
      .set('X-Forwarded-For', OUTSIDE)
      .set('Cookie', `colophon_iiif_pre=${pre}`)
      .type('form')
      .send({ username, password: PASSWORD, csrf, origin: VIEWER });
    expect(res.status, res.text).to.equal(200);
    const session = cookie(res, 'colophon_iiif');
    if (!session) throw new Error('no session cookie');
    return session;
  }

  /** The token the token service posts to the viewer for a session. */
  async function tokenFor(session: string | null, origin = VIEWER): Promise<Record<string, unknown>> {
    const req = http.get(`/iiif/auth/v2/token?messageId=m1&origin=${encodeURIComponent(origin)}`);
    if (session) req.set('Cookie', `colophon_iiif=${session}`);
    const res = await req;
    expect(res.status).to.equal(200);
    const m = /window\.parent\.postMessage\((\{.*\}), "[^"]*"\);<\/script>/s.exec(res.text);
    if (!m?.[1]) throw new Error(`no postMessage in ${res.text}`);
    return JSON.parse(m[1]) as Record<string, unknown>;
  }

  async function addUser(username: string, groups: string[]): Promise<void> {
    const users = t.app.ds.getRepository(User);
    // Cheap scrypt parameters: the hash carries them and verification reads them back.
    const passwordHash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
    await users.save(users.create({ username, displayName: username, email: null, passwordHash, groups, roles: [], active: true }));
  }

  async function upload(name: string, body: Buffer): Promise<void> {
    const tt = await http.post('/api/v1/titles').set(auth(op)).type('application/json').send({ title: name });
    expect(tt.status, JSON.stringify(tt.body)).to.equal(201);
    title[name] = tt.body.id as string;
    const r = await http.post(`/api/v1/titles/${title[name]}/representations`).set(auth(op)).send({ usageType: 'primary', label: name });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    rep[name] = r.body.id as string;
    const f = await http.post(`/api/v1/representations/${rep[name]}/files`).set(auth(op)).attach('file', body, `${name}.jpg`);
    expect(f.status, JSON.stringify(f.body)).to.equal(201);
    file[name] = f.body.id as string;
  }

  async function createProfile(name: string, rules: Record<string, unknown>[], deniedNote?: string): Promise<void> {
    const res = await http.post('/api/v1/access-rights-profiles').set(auth(admin)).send({ name, rules, ...(deniedNote ? { deniedNote } : {}) });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    profile[name] = res.body.id as string;
  }

  async function setProfile(repName: string, profileName: string | null): Promise<void> {
    const res = await http
      .patch(`/api/v1/representations/${rep[repName]}`)
      .set(auth(op))
      .send({ accessRightsProfileId: profileName ? profile[profileName] : null });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
  }

  before(async function () {
    t = await startTestApp({
      config: {
        server: { baseUrl: BASE, trustProxy: true },
        plugins: { settings: { 'iiif-image': { auth: { degradedMaxSize: DEGRADED } } } },
      },
    });
    http = t.http;
    op = await t.key('digital-inventory-operator');
    admin = await t.key('general-system-administrator');
    jpeg = await sharp({ create: { width: 1200, height: 800, channels: 3, background: { r: 90, g: 140, b: 60 } } })
      .composite([{ input: { create: { width: 400, height: 400, channels: 3, background: { r: 220, g: 30, b: 30 } } }, left: 0, top: 0 }])
      .jpeg({ quality: 90 })
      .toBuffer();
    for (const name of ['open', 'staff', 'reading room', 'campus or staff', 'to suppress', 'to deactivate']) await upload(name, jpeg);
    // The pyramids: the job starts after each ingest; run it until none is pending.
    const until = Date.now() + 60_000;
    for (;;) {
      const states = await Promise.all(Object.values(file).map(async (id) => (await http.get(`/api/v1/files/${id}/iiif-derivative`).set(auth(op))).body.status as string));
      if (states.every((s) => s === 'ready')) break;
      if (Date.now() > until) throw new Error(`pyramids: ${states.join(', ')}`);
      await t.app.scheduler.runNow(DERIVATIVE_JOB).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }

    await createProfile('Everyone', [{ effect: 'allow' }]);
    await createProfile('Staff only', [{ effect: 'allow', userGroup: 'staff' }], 'Staff of the library only');
    await createProfile('Reading room', [{ effect: 'allow', ipRange: '198.51.100.0/24' }]);
    await createProfile('Campus or staff', [{ effect: 'allow', ipRange: '192.0.2.0/24' }, { effect: 'allow', userGroup: 'staff' }]);
    await setProfile('staff', 'Staff only');
    await setProfile('reading room', 'Reading room');
    await setProfile('campus or staff', 'Campus or staff');

    await addUser('alice', ['staff']);
    await addUser('bob', []);
    alice = await signIn('alice');
    bob = await signIn('bob');
  });
  after(async () => t?.close());

  describe('anonymous visitors', () => {
    it('get 401 for every image request of restricted content, with CORS and WWW-Authenticate', async () => {
      for (const path of [
        `/iiif/3/${file.staff}/full/max/0/default.jpg`,
        `/iiif/3/${file.staff}/0,0,512,512/512,/0/default.jpg`,
        `/iiif/2/${file.staff}/full/full/0/default.png`,
      ]) {
        const res = await get(path);
        expect(res.status, path).to.equal(401);
        expect(res.headers['access-control-allow-origin'], path).to.equal('*');
        expect(res.headers['www-authenticate'], path).to.match(/^Bearer/);
        expect(res.headers['cache-control'], path).to.equal('no-store');
        expect(res.headers['content-type'], path).to.match(/^text\/plain/);
        expect((await get(path, { method: 'HEAD' })).status, `HEAD ${path}`).to.equal(401);
      }
    });

    it('get nothing from the render cache or a conditional request that a signed-in user warmed', async () => {
      const path = `/iiif/3/${file.staff}/pct:10,10,50,50/300,/0/default.jpg`;
      const allowed = await get(path, { session: alice });
      expect(allowed.status).to.equal(200);
      const denied = await get(path);
      expect(denied.status).to.equal(401);
      expect((denied.body as Buffer).subarray(0, 2).equals(Buffer.from([0xff, 0xd8])), 'no JPEG in the answer').to.equal(false);
      expect((await get(path, { headers: { 'If-None-Match': String(allowed.headers.etag) } })).status).to.equal(401);
    });

    it('still get info.json (200) with the AuthProbeService2 and the Auth 2.0 context first (3.0) or on the service (2.x)', async () => {
      const i3 = json(await get(`/iiif/3/${file.staff}/info.json`));
      expect(i3['@context']).to.deep.equal([AUTH2, 'http://iiif.io/api/image/3/context.json']);
      const [svc] = i3.service as Record<string, unknown>[];
      expect(svc).to.include({ id: `${BASE}/iiif/auth/v2/probe/${file.staff}`, type: 'AuthProbeService2' });
      expect(svc.errorNote).to.deep.equal({ en: ['Staff of the library only'] });
      const [access] = svc.service as Record<string, unknown>[];
      expect(access).to.include({ id: `${BASE}/iiif/auth/v2/access`, type: 'AuthAccessService2', profile: 'active' });
      expect((access.service as Record<string, unknown>[]).map((s) => [s.type, s.id])).to.deep.equal([
        ['AuthAccessTokenService2', `${BASE}/iiif/auth/v2/token`],
        ['AuthLogoutService2', `${BASE}/iiif/auth/v2/logout`],
      ]);

      const i2 = json(await get(`/iiif/2/${file.staff}/info.json`));
      expect(i2['@context'], 'a 2.x info.json keeps its single context').to.equal('http://iiif.io/api/image/2/context.json');
      const [svc2] = i2.service as Record<string, unknown>[];
      expect(svc2).to.include({ '@context': AUTH2, id: `${BASE}/iiif/auth/v2/probe/${file.staff}`, type: 'AuthProbeService2' });

      // Open content: no probe, the plain context.
      const open = json(await get(`/iiif/3/${file.open}/info.json`));
      expect(open['@context']).to.equal('http://iiif.io/api/image/3/context.json');
      expect(open).not.to.have.property('service');
      expect((await get(`/iiif/3/${file.open}/full/max/0/default.jpg`)).status).to.equal(200);
    });

    it('probe: status 401 inside the 200, with heading, note and the degraded substitute', async () => {
      const p = await probe(file.staff);
      expect(p.status).to.equal(401);
      expect(p.note).to.deep.equal({ en: ['Staff of the library only'] });
      expect(p.substitute?.[0]).to.include({ id: `${BASE}/iiif/3/${file.staff}/full/200,133/0/default.jpg`, width: 200, height: 133 });
      expect((await probe(file.open)).status).to.equal(200);
    });
  });

  describe('signed-in users', () => {
    it('with the group: images 200 by the session cookie (3.0, 2.x, tiles), private and varying by cookie', async () => {
      for (const path of [
        `/iiif/3/${file.staff}/full/max/0/default.jpg`,
        `/iiif/3/${file.staff}/512,512,512,288/512,/0/default.jpg`,
        `/iiif/3/${file.staff}/0,0,512,512/512,512/0/default.jpg`, // a stored tile, sent as is
        `/iiif/2/${file.staff}/full/full/0/default.png`,
      ]) {
        const res = await get(path, { session: alice });
        expect(res.status, path).to.equal(200);
        expect(res.headers['cache-control'], path).to.match(/^private/);
        expect(String(res.headers.vary), path).to.match(/Cookie/);
        expect(res.headers['access-control-allow-origin']).to.equal('*');
        expect((await sharp(res.body as Buffer).metadata()).width, path).to.be.greaterThan(0);
      }
      expect((await get(`/iiif/3/${file.staff}/full/max/0/default.jpg`, { session: alice, method: 'HEAD' })).status).to.equal(200);
      expect((await probe(file.staff, { session: alice })).status).to.equal(200);
    });

    it('the token service gives the viewer a token the probe accepts (200); without a session, an error', async () => {
      const message = await tokenFor(alice);
      expect(message.type).to.equal('AuthAccessToken2');
      const token = String(message.accessToken);
      expect((await probe(file.staff, { token })).status).to.equal(200);
      // The token is bound to the viewer's origin; another origin is anonymous again.
      const res = await http.get(`/iiif/auth/v2/probe/${file.staff}`).set('Authorization', `Bearer ${token}`).set('Origin', 'https://elsewhere.example.net');
      expect((res.body as Probe).status).to.equal(401);
      expect((await tokenFor(null)).profile).to.equal('missingAspect');
      // The token is for the probe; images go by the cookie (browsers send it with image requests).
      expect((await get(`/iiif/3/${file.staff}/full/100,/0/default.jpg`, { headers: { Authorization: `Bearer ${token}` } })).status).to.equal(200);
      expect((await get(`/iiif/3/${file.staff}/full/300,/0/default.jpg`, { headers: { Authorization: `Bearer ${token}` } })).status).to.equal(401);
    });

    it('without the group: 403 on images, probe and content (signing in again cannot help)', async () => {
      expect((await get(`/iiif/3/${file.staff}/full/max/0/default.jpg`, { session: bob })).status).to.equal(403);
      expect((await get(`/iiif/2/${file.staff}/full/full/0/default.jpg`, { session: bob })).status).to.equal(403);
      expect((await probe(file.staff, { session: bob })).status).to.equal(403);
      expect((await get(`/iiif/content/${file.staff}`, { session: bob })).status).to.equal(403);
      expect((await probe(file.staff, { token: String((await tokenFor(bob)).accessToken) })).status).to.equal(403);
    });

    it('after signing out, the cookie is gone and images are 401 again', async () => {
      const s = await signIn('alice');
      // 600 px: more than the degraded image anyone gets.
      expect((await get(`/iiif/3/${file.staff}/full/600,/0/default.jpg`, { session: s })).status).to.equal(200);
      const out = await http.get('/iiif/auth/v2/logout').set('Cookie', `colophon_iiif=${s}`);
      expect(out.status).to.equal(200);
      expect(cookie(out, 'colophon_iiif')).to.equal('');
      expect((await get(`/iiif/3/${file.staff}/full/600,/0/default.jpg`, { session: cookie(out, 'colophon_iiif') })).status).to.equal(401);
    });
  });

  describe('address rules', () => {
    it('reading room: inside the range 200 without signing in; outside 403, since signing in cannot help', async () => {
      const path = `/iiif/3/${file['reading room']}/full/max/0/default.jpg`;
      expect((await get(path, { ip: READING_ROOM })).status).to.equal(200);
      expect((await get(`/iiif/2/${file['reading room']}/0,0,512,512/512,/0/default.jpg`, { ip: READING_ROOM })).status).to.equal(200);
      expect((await get(path, { ip: OUTSIDE })).status).to.equal(403);
      expect((await get(path, { ip: OUTSIDE, session: alice })).status).to.equal(403);
      expect((await probe(file['reading room'], { ip: READING_ROOM })).status).to.equal(200);
      expect((await probe(file['reading room'], { ip: OUTSIDE })).status).to.equal(403);
    });

    it('campus or staff: campus address 200; outside anonymous 401, outside with staff 200', async () => {
      const path = `/iiif/3/${file['campus or staff']}/full/max/0/default.jpg`;
      expect((await get(path, { ip: CAMPUS })).status).to.equal(200);
      expect((await get(path, { ip: OUTSIDE })).status).to.equal(401);
      expect((await get(path, { ip: OUTSIDE, session: alice })).status).to.equal(200);
      expect((await get(path, { ip: OUTSIDE, session: bob })).status).to.equal(403);
    });
  });

  describe('the degraded image', () => {
    it('the probe\'s substitute is served to anyone (3.0 and its 2.x equivalent); tiles and larger images are not', async () => {
      const { substitute } = await probe(file.staff);
      const sub = substitute?.[0];
      if (!sub) throw new Error('no substitute');
      const res = await get(sub.id.slice(BASE.length));
      expect(res.status).to.equal(200);
      const meta = await sharp(res.body as Buffer).metadata();
      expect([meta.width, meta.height]).to.deep.equal([sub.width, sub.height]);
      expect(res.headers['cache-control']).to.match(/^private/);
      for (const path of [`/iiif/2/${file.staff}/full/200,/0/default.jpg`, `/iiif/3/${file.staff}/full/100,/0/gray.png`, `/iiif/3/${file.staff}/full/!200,200/90/default.jpg`]) {
        expect((await get(path)).status, path).to.equal(200);
      }
      for (const path of [
        `/iiif/3/${file.staff}/full/201,/0/default.jpg`,
        `/iiif/3/${file.staff}/0,0,512,512/512,/0/default.jpg`,
        `/iiif/3/${file.staff}/0,0,100,100/50,/0/default.jpg`, // small, but denser than the degraded image
        `/iiif/3/${file.staff}/full/^2400,/0/default.jpg`,
        `/iiif/2/${file.staff}/full/full/0/default.jpg`,
      ]) {
        expect((await get(path)).status, path).to.equal(401);
      }
    });
  });

  describe('changes take effect at once', () => {
    it('a profile changed with the staff API opens and closes an image for the next request', async () => {
      const path = `/iiif/3/${file.open}/full/600,/0/default.jpg`; // beyond the degraded size
      expect((await get(path)).status).to.equal(200);
      await setProfile('open', 'Staff only');
      expect((await get(path)).status).to.equal(401);
      expect(json(await get(`/iiif/3/${file.open}/info.json`))).to.have.property('service');
      await setProfile('open', null);
      expect((await get(path)).status).to.equal(200);
      expect(json(await get(`/iiif/3/${file.open}/info.json`))).not.to.have.property('service');
      // A profile whose first rule allows everyone (the demo's "Open access") is open content:
      // no probe to ask, the plain context, publicly cacheable.
      await setProfile('open', 'Everyone');
      const info = await get(`/iiif/3/${file.open}/info.json`);
      expect(json(info)).not.to.have.property('service');
      expect(json(info)['@context']).to.equal('http://iiif.io/api/image/3/context.json');
      expect(json(await get(`/iiif/2/${file.open}/info.json`))).not.to.have.property('service');
      const img = await get(path);
      expect(img.status).to.equal(200);
      expect(img.headers['cache-control']).to.match(/^public/);
      expect(String(img.headers.vary ?? '')).not.to.match(/Cookie/);
      await setProfile('open', null);
    });

    it('a suppressed title and an inactive representation: 404 for info.json, images, content and the probe, even for staff', async () => {
      const paths = (id: string): string[] => [`/iiif/3/${id}/info.json`, `/iiif/3/${id}/full/max/0/default.jpg`, `/iiif/2/${id}/info.json`, `/iiif/content/${id}`];
      for (const p of [...paths(file['to suppress']), ...paths(file['to deactivate'])]) expect((await get(p)).status, p).to.equal(200);
      expect((await http.patch(`/api/v1/titles/${title['to suppress']}`).set(auth(op)).send({ suppressed: true })).status).to.equal(200);
      expect((await http.patch(`/api/v1/representations/${rep['to deactivate']}`).set(auth(op)).send({ active: false })).status).to.equal(200);
      for (const id of [file['to suppress'], file['to deactivate']]) {
        for (const p of paths(id)) {
          const res = await get(p, { session: alice });
          expect(res.status, p).to.equal(404);
          expect(res.headers['access-control-allow-origin'], p).to.equal('*');
        }
        expect((await probe(id, { session: alice })).status).to.equal(404);
      }
    });
  });

  describe('the content route', () => {
    it('/iiif/content/{fileId}: the stored bytes when allowed; 401 anonymous and 403 without the group, with CORS', async () => {
      const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
      const open = await get(`/iiif/content/${file.open}`);
      expect(open.status).to.equal(200);
      expect(sha(open.body as Buffer)).to.equal(sha(jpeg));
      const anonymous = await get(`/iiif/content/${file.staff}`);
      expect(anonymous.status).to.equal(401);
      expect(anonymous.headers['access-control-allow-origin']).to.equal('*');
      const staff = await get(`/iiif/content/${file.staff}`, { session: alice });
      expect(staff.status).to.equal(200);
      expect(sha(staff.body as Buffer)).to.equal(sha(jpeg));
      expect(staff.headers['cache-control']).to.match(/^private/);
      expect((await get(`/iiif/content/${file['reading room']}`, { ip: READING_ROOM })).status).to.equal(200);
      expect((await get(`/iiif/content/${file['reading room']}`)).status).to.equal(403);
      expect((await get('/iiif/content/00000000-0000-4000-8000-000000000000')).status).to.equal(404);
    });
  });
});
