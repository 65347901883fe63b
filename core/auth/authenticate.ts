import type Koa from 'koa';
import { CoreErrors } from '../errors';
import type { ApiKeyService } from './api-keys';
import { permissionsOf, type Permission, type Principal } from './roles';

/** What a route demands: nobody (public), or every listed permission. */
export type RouteAuth = 'public' | readonly Permission[];

/**
 * The one guard of staff routes. It resolves `Authorization: Bearer <key>` to a Principal
 * (ctx.state.principal) and checks the route's permissions: no key → 401, a malformed, unknown,
 * revoked or expired key → 401, a key whose roles lack a permission → 403. Public routes never
 * look at the header, since IIIF clients send their own bearer tokens there.
 */
export class Guard {
  constructor(private readonly keys: ApiKeyService) {}

  async check(ctx: Koa.Context, auth: RouteAuth): Promise<void> {
    if (auth === 'public') return;
    const principal = await this.principal(ctx);
    if (!principal) {
      throw CoreErrors.UNAUTHENTICATED('This route needs an API key: Authorization: Bearer <key>', {
        headers: { 'WWW-Authenticate': 'Bearer realm="colophon"' },
      });
    }
    const missing = auth.filter((p) => !principal.permissions.has(p));
    if (missing.length) {
      throw CoreErrors.FORBIDDEN(`Your roles (${principal.roles.join(', ') || 'none'}) do not grant ${missing.join(', ')}`, {
        extensions: { required: auth, missing },
      });
    }
  }

  /** Resolve the caller, once per request. */
  async principal(ctx: Koa.Context): Promise<Principal | null> {
    if (ctx.state.principal !== undefined) return ctx.state.principal as Principal | null;
    const header = ctx.get('authorization');
    if (!header) {
      ctx.state.principal = null;
      return null;
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m?.[1]) {
      throw CoreErrors.UNAUTHENTICATED('Authorization header must be "Bearer <api key>"', {
        headers: { 'WWW-Authenticate': 'Bearer realm="colophon", error="invalid_request"' },
      });
    }
    const found = await this.keys.verify(m[1]);
    if (!found) {
      throw CoreErrors.UNAUTHENTICATED('The API key is unknown, revoked or expired', {
        headers: { 'WWW-Authenticate': 'Bearer realm="colophon", error="invalid_token"' },
      });
    }
    const principal: Principal = {
      kind: 'api-key',
      keyId: found.record.id,
      userId: found.record.userId,
      roles: found.roles,
      permissions: permissionsOf(found.roles),
    };
    ctx.state.principal = principal;
    await this.keys.touch(found.record);
    return principal;
  }
}
