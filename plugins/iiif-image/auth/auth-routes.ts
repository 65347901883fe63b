import type Koa from 'koa';
import { z } from 'zod';
import type { PluginContext, Registrar, RouteDefinition } from '../../../core/plugin/types';
import { AUTH_STATE_KEY, type IiifAuth } from './iiif-auth';
import { AUTH_PATHS } from './probe-service-description';

/** The IiifAuth that IiifAuth.create() kept in the plugin's state. */
export function authOf(p: PluginContext<unknown>): IiifAuth {
  const auth = p.state.get(AUTH_STATE_KEY) as IiifAuth | undefined;
  if (!auth) throw new Error('IIIF auth is not initialised (call IiifAuth.create in the plugin\'s init)');
  return auth;
}

const TAGS = ['iiif-auth'];
const html = { contentType: 'text/html' };

/**
 * Mount the Authorization Flow 2.0 services and the public content route:
 * GET/POST /iiif/auth/v2/access, GET /iiif/auth/v2/token, GET+OPTIONS /iiif/auth/v2/probe/:fileId,
 * GET /iiif/auth/v2/logout, GET(+HEAD)+OPTIONS /iiif/content/:fileId. All are public routes: the
 * staff guard never reads their Authorization header, which carries IIIF access tokens.
 */
export function registerAuthRoutes<C>(r: Registrar<C>, auth: (p: PluginContext<C>) => IiifAuth = authOf): void {
  const route = (def: Omit<RouteDefinition<C>, 'auth' | 'handler'>, pick: (a: IiifAuth) => (ctx: Koa.Context) => Promise<void> | void): void =>
    r.route({ ...def, auth: 'public', handler: (ctx, p) => pick(auth(p))(ctx) });
  const probe = AUTH_PATHS.probeRoute;
  const content = AUTH_PATHS.contentRoute;
  route({
    method: 'GET', path: AUTH_PATHS.access, summary: 'IIIF Auth 2.0 access service: the sign-in page (active profile)',
    docs: { tags: TAGS, query: z.object({ origin: z.string().optional() }), responses: { 200: { description: 'Sign-in form, or a page that closes itself when signed in', ...html } }, errors: [404] },
  }, (a) => a.access);
  route({
    method: 'POST', path: AUTH_PATHS.access, summary: 'Sign in (web form: username, password, csrf, origin)',
    docs: { tags: TAGS, requestContentTypes: { 'application/x-www-form-urlencoded': { description: 'username, password, csrf, origin' } }, responses: { 200: { description: 'Signed in: a page that closes itself', ...html } }, errors: [400, 403, 404, 413, 415, 429] },
  }, (a) => a.access);
  route({
    method: 'GET', path: AUTH_PATHS.token, summary: 'IIIF Auth 2.0 token service: a page posting an access token to the viewer',
    docs: { tags: TAGS, query: z.object({ messageId: z.string(), origin: z.string() }), responses: { 200: { description: 'HTML page with a postMessage script', ...html } } },
  }, (a) => a.token);
  route({
    method: 'GET', path: probe, summary: 'IIIF Auth 2.0 probe service of a file (AuthProbeResult2; HTTP status always 200)',
    docs: { tags: TAGS, responses: { 200: { description: 'AuthProbeResult2' } } },
  }, (a) => a.probe);
  route({ method: 'OPTIONS', path: probe, summary: 'CORS preflight of the probe service' }, (a) => a.probe);
  route({
    method: 'GET', path: AUTH_PATHS.logout, summary: 'IIIF Auth 2.0 logout service',
    docs: { tags: TAGS, responses: { 200: { description: 'Signed out', ...html } } },
  }, (a) => a.logout);
  route({
    method: 'GET', path: content, summary: 'A published file (PDF, audio, video, original), access-checked, single byte ranges',
    docs: { tags: TAGS, responses: { 200: { description: 'The file', contentType: 'application/octet-stream' }, 206: { description: 'A byte range' }, 304: { description: 'Not modified' } }, errors: [401, 403, 404, 416] },
  }, (a) => a.content);
  route({ method: 'OPTIONS', path: content, summary: 'CORS preflight of the content route' }, (a) => a.content);
}
