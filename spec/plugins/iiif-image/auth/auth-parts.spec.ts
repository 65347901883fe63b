import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import { AccessTokens, bearerToken } from '../../../../plugins/iiif-image/auth/access-tokens';
import { authConfigOf, iiifAuthConfig } from '../../../../plugins/iiif-image/auth/auth-config';
import { esc, scriptJson } from '../../../../plugins/iiif-image/auth/auth-pages';
import { parseRange } from '../../../../plugins/iiif-image/auth/content-delivery';
import { degradedAllowed, degradedSize, deniedStatus, isOpenProfile, loginCouldHelp } from '../../../../plugins/iiif-image/auth/file-access';
import { validOrigin } from '../../../../plugins/iiif-image/auth/iiif-auth';
import { cookieHeader, IiifSessions } from '../../../../plugins/iiif-image/auth/iiif-sessions';
import { LoginLimiter } from '../../../../plugins/iiif-image/auth/login-limiter';
import { probeServiceDescription } from '../../../../plugins/iiif-image/auth/probe-service-description';
import { ClaimSealer, Mac } from '../../../../plugins/iiif-image/auth/sealed-claims';
import type { AccessRule } from '../../../../core/db/entities/access-rights-profile.entity';

/** A stand-in Koa context for the cookie helpers: request headers in, Set-Cookie out. */
function fakeCtx(headers: Record<string, string> = {}, ip = '203.0.113.9'): { ctx: Koa.Context; setCookies: string[] } {
  const setCookies: string[] = [];
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const ctx = {
    ip,
    get: (name: string) => lower[name.toLowerCase()] ?? '',
    append: (name: string, value: string) => {
      if (name === 'Set-Cookie') setCookies.push(value);
    },
  } as unknown as Koa.Context;
  return { ctx, setCookies };
}

const profile = (...rules: AccessRule[]): { rules: AccessRule[] } => ({ rules });

describe('iiif-image auth: parts', () => {
  const key = randomBytes(32);

  describe('ClaimSealer', () => {
    it('opens what it sealed, and nothing tampered, expired or sealed for another purpose', () => {
      const s = new ClaimSealer<{ x: string; e: number }>(key, 'session');
      const e = Math.floor(Date.now() / 1000) + 60;
      const v = s.seal({ x: 'hello', e });
      expect(v).to.match(/^v1\.[A-Za-z0-9_-]+$/);
      expect(v).not.to.contain('hello');
      expect(s.open(v)).to.deep.equal({ status: 'ok', claims: { x: 'hello', e } });
      // Flip one character of the ciphertext: authentication fails.
      const i = v.length - 5;
      const tampered = v.slice(0, i) + (v[i] === 'A' ? 'B' : 'A') + v.slice(i + 1);
      expect(s.open(tampered).status).to.equal('invalid');
      expect(new ClaimSealer(key, 'access-token').open(v).status).to.equal('invalid');
      expect(new ClaimSealer(randomBytes(32), 'session').open(v).status).to.equal('invalid');
      expect(s.open(v, (e + 1) * 1000).status).to.equal('expired');
      for (const junk of ['', 'v1.', 'v2.abc', 'v1.!!!!', 'v1.' + 'A'.repeat(40), undefined, null]) expect(s.open(junk).status).to.equal('invalid');
    });

    it('Mac checks in constant time and only its own values', () => {
      const m = new Mac(key, 'csrf');
      expect(m.check('nonce', m.of('nonce'))).to.equal(true);
      expect(m.check('nonce2', m.of('nonce'))).to.equal(false);
      expect(m.check('nonce', '')).to.equal(false);
      expect(new Mac(key, 'other').check('nonce', m.of('nonce'))).to.equal(false);
    });
  });

  describe('AccessTokens', () => {
    it('are bound to the origin they were issued to and expire', () => {
      let now = Date.now();
      const tokens = new AccessTokens(key, 3600, () => now);
      const { accessToken, expiresIn } = tokens.issue({ userId: 'u1', groups: ['staff'], authenticated: true }, 'https://viewer.example.org');
      expect(expiresIn).to.equal(3600);
      const grant = tokens.verify(accessToken, 'https://viewer.example.org');
      expect(grant).to.include({ userId: 'u1', authenticated: true, origin: 'https://viewer.example.org' });
      expect(grant?.groups).to.deep.equal(['staff']);
      // No Origin header on the probe request (same-origin GET): the token stands.
      expect(tokens.verify(accessToken)).not.to.equal(null);
      expect(tokens.verify(accessToken, 'https://evil.example.org')).to.equal(null);
      now += 3601_000;
      expect(tokens.verify(accessToken, 'https://viewer.example.org')).to.equal(null);
    });

    it('a session cookie value is never a valid token (and the reverse)', () => {
      const sessions = new IiifSessions(key, { name: 'c', ttlSeconds: 600, secure: false, path: '/iiif' });
      const { ctx, setCookies } = fakeCtx();
      sessions.issue(ctx, { id: 'u1', username: 'alice', groups: ['staff'] }, []);
      const cookie = /^c=([^;]+)/.exec(setCookies[0] ?? '')?.[1];
      expect(cookie).to.be.a('string');
      expect(new AccessTokens(key, 600).verify(cookie)).to.equal(null);
      const token = new AccessTokens(key, 600).issue({ userId: 'u1', groups: [], authenticated: true }, 'https://a.example').accessToken;
      expect(sessions.read(fakeCtx({ Cookie: `c=${token}` }).ctx).status).to.equal('invalid');
    });

    it('bearerToken reads only "Bearer <token>"', () => {
      expect(bearerToken('Bearer abc.def')).to.equal('abc.def');
      expect(bearerToken('bearer   xyz ')).to.equal('xyz');
      expect(bearerToken('Basic abc')).to.equal(undefined);
      expect(bearerToken('Bearer a b')).to.equal(undefined);
      expect(bearerToken(undefined)).to.equal(undefined);
    });
  });

  describe('IiifSessions', () => {
    it('cookie attributes: Secure and SameSite=None on https, Lax on http; HttpOnly; path', () => {
      expect(cookieHeader('n', 'v', { path: '/iiif', secure: true, maxAge: 60 })).to.equal('n=v; Path=/iiif; Max-Age=60; HttpOnly; SameSite=None; Secure');
      expect(cookieHeader('n', 'v', { path: '/x/iiif', secure: false, maxAge: 60 })).to.equal('n=v; Path=/x/iiif; Max-Age=60; HttpOnly; SameSite=Lax');
      expect(cookieHeader('n', '', { path: '/iiif', secure: false, maxAge: 0 })).to.contain('Max-Age=0').and.contain('Expires=Thu, 01 Jan 1970');
    });

    it('requesterOf: groups from a valid cookie; anonymous for none, garbage, expired', async () => {
      let now = Date.now();
      const sessions = new IiifSessions(key, { name: 'colophon_iiif', ttlSeconds: 8 * 3600, secure: true, path: '/iiif' }, () => now);
      const { ctx, setCookies } = fakeCtx();
      sessions.issue(ctx, { id: 'u1', username: 'alice', groups: ['staff', 'faculty'] }, ['https://v.example']);
      expect(setCookies[0]).to.match(/^colophon_iiif=v1\.[^;]+; Path=\/iiif; Max-Age=28800; HttpOnly; SameSite=None; Secure$/);
      const value = /^colophon_iiif=([^;]+)/.exec(setCookies[0] ?? '')?.[1] ?? '';
      const withCookie = fakeCtx({ Cookie: `other=1; colophon_iiif=${value}; x=y` }, '192.0.2.1').ctx;
      expect(await sessions.requesterOf(withCookie)).to.deep.equal({ ip: '192.0.2.1', authenticated: true, userGroups: ['staff', 'faculty'] });
      expect(sessions.current(withCookie)?.origins).to.deep.equal(['https://v.example']);
      expect(await sessions.requesterOf(fakeCtx({}, '192.0.2.1').ctx)).to.deep.equal({ ip: '192.0.2.1', authenticated: false, userGroups: [] });
      expect((await sessions.requesterOf(fakeCtx({ Cookie: 'colophon_iiif=v1.garbage' }).ctx)).authenticated).to.equal(false);
      now += 8 * 3600_000 + 1000;
      expect(sessions.read(withCookie).status).to.equal('expired');
      expect((await sessions.requesterOf(withCookie)).authenticated).to.equal(false);
    });
  });

  describe('LoginLimiter', () => {
    it('allows N failures a minute per address and username, then asks to wait', () => {
      let now = 1_000_000;
      const l = new LoginLimiter(3, 60_000, 100, () => now);
      for (let i = 0; i < 3; i++) {
        expect(l.retryAfter('1.1.1.1', 'alice')).to.equal(0);
        l.fail('1.1.1.1', 'alice');
      }
      expect(l.retryAfter('1.1.1.1', 'Alice')).to.equal(60);
      expect(l.retryAfter('2.2.2.2', 'alice')).to.equal(0);
      expect(l.retryAfter('1.1.1.1', 'bob')).to.equal(0);
      now += 30_000;
      expect(l.retryAfter('1.1.1.1', 'alice')).to.equal(30);
      now += 30_000;
      expect(l.retryAfter('1.1.1.1', 'alice')).to.equal(0);
      l.fail('1.1.1.1', 'bob');
      l.succeed('1.1.1.1', 'bob');
      expect(l.retryAfter('1.1.1.1', 'bob')).to.equal(0);
    });

    it('stays bounded', () => {
      const l = new LoginLimiter(1, 60_000, 10, () => 5);
      for (let i = 0; i < 50; i++) l.fail(`10.0.0.${i}`, 'x');
      expect((l as unknown as { windows: Map<string, unknown> }).windows.size).to.be.at.most(10);
      expect(l.retryAfter('10.0.0.49', 'x')).to.be.greaterThan(0);
    });
  });

  describe('access decisions', () => {
    it('loginCouldHelp and deniedStatus follow the rules a signed-in user would meet', () => {
      const groupOnly = profile({ effect: 'allow', userGroup: 'staff' });
      const ipOnly = profile({ effect: 'allow', ipRange: '192.0.2.0/24' });
      const denyHereFirst = profile({ effect: 'deny', ipRange: '198.51.100.0/24' }, { effect: 'allow', authenticated: true });
      const anonOnly = profile({ effect: 'allow', authenticated: false, ipRange: '10.0.0.0/8' });
      expect(loginCouldHelp(groupOnly, '203.0.113.5')).to.equal(true);
      expect(loginCouldHelp(ipOnly, '203.0.113.5')).to.equal(false);
      expect(loginCouldHelp(denyHereFirst, '203.0.113.5')).to.equal(true);
      expect(loginCouldHelp(denyHereFirst, '198.51.100.7')).to.equal(false);
      expect(loginCouldHelp(anonOnly, '203.0.113.5')).to.equal(false);
      const anon = { ip: '203.0.113.5', authenticated: false };
      expect(deniedStatus(groupOnly, anon, true)).to.equal(401);
      expect(deniedStatus(groupOnly, anon, false)).to.equal(403);
      expect(deniedStatus(ipOnly, anon, true)).to.equal(403);
      expect(deniedStatus(groupOnly, { ...anon, authenticated: true, userGroups: ['x'] }, true)).to.equal(403);
    });

    it('isOpenProfile: no rules, or an unconditional first allow', () => {
      expect(isOpenProfile(null)).to.equal(true);
      expect(isOpenProfile(profile())).to.equal(true);
      expect(isOpenProfile(profile({ effect: 'allow' }, { effect: 'deny' }))).to.equal(true);
      expect(isOpenProfile(profile({ effect: 'allow', authenticated: true }))).to.equal(false);
      expect(isOpenProfile(profile({ effect: 'deny' }))).to.equal(false);
    });

    it('degradedAllowed: the whole reduced image and crops at its scale; no full-resolution tiles or pixels', () => {
      const full = { width: 4000, height: 3000 };
      expect(degradedSize(400, full)).to.deep.equal({ w: 400, h: 300 });
      expect(degradedSize(400, { width: 300, height: 200 })).to.deep.equal({ w: 300, h: 200 });
      const whole = { x: 0, y: 0, w: 4000, h: 3000 };
      expect(degradedAllowed(400, full, whole, { w: 400, h: 300 })).to.equal(true);
      expect(degradedAllowed(400, full, whole, { w: 200, h: 150 })).to.equal(true);
      expect(degradedAllowed(400, full, whole, { w: 401, h: 301 })).to.equal(false);
      expect(degradedAllowed(400, full, whole, { w: 800, h: 600 })).to.equal(false);
      // A 512px full-resolution tile: small output, but ten times the detail.
      expect(degradedAllowed(400, full, { x: 0, y: 0, w: 512, h: 512 }, { w: 256, h: 256 })).to.equal(false);
      expect(degradedAllowed(400, full, { x: 5, y: 5, w: 1, h: 1 }, { w: 1, h: 1 })).to.equal(false);
      // The same tile at the reduced scale is no more than the substitute shows.
      expect(degradedAllowed(400, full, { x: 0, y: 0, w: 2000, h: 2000 }, { w: 200, h: 200 })).to.equal(true);
      expect(degradedAllowed(0, full, whole, { w: 10, h: 10 })).to.equal(false);
    });
  });

  it('validOrigin accepts exactly an http(s) origin', () => {
    expect(validOrigin('https://viewer.example.org')).to.equal('https://viewer.example.org');
    expect(validOrigin('http://localhost:8080')).to.equal('http://localhost:8080');
    expect(validOrigin('https://Viewer.Example.org')).to.equal('https://viewer.example.org');
    for (const bad of ['https://viewer.example.org/', 'https://v.example/path', 'javascript:alert(1)', 'null', '*', 'ftp://x.org', 'https://a.org:443', 'https://a.org?x', '', undefined]) {
      expect(validOrigin(bad), String(bad)).to.equal(null);
    }
  });

  it('esc and scriptJson keep markup out', () => {
    expect(esc(`<a href="x" onclick='y'>&\``)).to.equal('&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#96;');
    const js = scriptJson({ m: '</script><script>alert(1)</script>\u2028' });
    expect(js).not.to.contain('</script');
    expect(js).not.to.contain('\u2028');
    expect(JSON.parse(js)).to.deep.equal({ m: '</script><script>alert(1)</script>\u2028' });
  });

  it('parseRange: one range, suffixes, open ends, unsatisfiable', () => {
    expect(parseRange('bytes=0-9', 100)).to.deep.equal({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).to.deep.equal({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).to.deep.equal({ start: 90, end: 99 });
    expect(parseRange('bytes=50-500', 100)).to.deep.equal({ start: 50, end: 99 });
    expect(parseRange('bytes=100-', 100)).to.equal('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).to.equal('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 100)).to.equal(null);
    expect(parseRange('', 100)).to.equal(null);
  });

  it('probeServiceDescription: the nested services with language maps, per spec §2.1', () => {
    const url = (p: string): string => `https://colophon.example${p}`;
    const labels = {
      label: { en: ['Sign in to Example Library'] },
      heading: { en: ['Please sign in'] },
      note: { en: ['Example Library requires that you sign in.'] },
      confirmLabel: { en: ['Sign in'] },
      logoutLabel: { en: ['Sign out of Example Library'] },
    };
    expect(probeServiceDescription('f1', url, labels, { loginEnabled: true, errorHeading: { en: ['Restricted'] }, errorNote: { en: ['Staff only'] } })).to.deep.equal({
      id: 'https://colophon.example/iiif/auth/v2/probe/f1',
      type: 'AuthProbeService2',
      errorHeading: { en: ['Restricted'] },
      errorNote: { en: ['Staff only'] },
      service: [
        {
          id: 'https://colophon.example/iiif/auth/v2/access',
          type: 'AuthAccessService2',
          profile: 'active',
          label: { en: ['Sign in to Example Library'] },
          heading: { en: ['Please sign in'] },
          note: { en: ['Example Library requires that you sign in.'] },
          confirmLabel: { en: ['Sign in'] },
          service: [
            { id: 'https://colophon.example/iiif/auth/v2/token', type: 'AuthAccessTokenService2' },
            { id: 'https://colophon.example/iiif/auth/v2/logout', type: 'AuthLogoutService2', label: { en: ['Sign out of Example Library'] } },
          ],
        },
      ],
    });
    const external = probeServiceDescription('f1', url, labels, { loginEnabled: false });
    expect(external.service).to.deep.equal([
      {
        type: 'AuthAccessService2',
        profile: 'external',
        label: { en: ['Sign in to Example Library'] },
        service: [{ id: 'https://colophon.example/iiif/auth/v2/token', type: 'AuthAccessTokenService2' }],
      },
    ]);
    expect(external).not.to.have.property('errorHeading');
  });

  it('config: the schema fills defaults; settings with only the core keys are completed', () => {
    const c = iiifAuthConfig.parse({});
    expect(c).to.include({ loginEnabled: true, degradedMaxSize: 0, tokenTtl: 3600, sessionTtl: 28800, cookieName: 'colophon_iiif', loginAttemptsPerMinute: 10, originBinding: true });
    expect(() => iiifAuthConfig.parse({ allowedOrigins: ['https://x.org/'] })).to.throw();
    expect(() => iiifAuthConfig.parse({ unknown: 1 })).to.throw();
    const merged = authConfigOf({ loginEnabled: false, degradedMaxSize: 300, tokenTtl: 600, sessionTtl: 3600, label: 'Sign in to X' });
    expect(merged).to.include({ loginEnabled: false, degradedMaxSize: 300, tokenTtl: 600, cookieName: 'colophon_iiif', label: 'Sign in to X' });
  });
});
