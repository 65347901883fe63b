import type Koa from 'koa';
import type { Principal } from '../../../core/auth/roles';
import { CoreErrors } from '../../../core/errors';
import { readJson } from '../../../core/http/body';
import type { Registrar } from '../../../core/plugin/types';
import type { InventoryConfig } from '../config';
import { InventoryErrors } from '../errors';
import { profileCreate, profileUpdate, profileView } from '../services/access-profile-service';
import { bulkRequest } from '../services/bulk-service';
import { services } from '../services/inventory-services';
import { registerThumbnailRoutes } from './thumbnail-routes';

const READ = ['inventory:read'] as const;
const ADMIN = ['system:admin'] as const;
const TAGS = ['access rights'];

const principal = (ctx: Koa.Context): Principal | undefined => ctx.state.principal as Principal | undefined;

/** Access rights profiles, bulk updates, and the public thumbnails they govern. */
export function registerAccessRoutes(r: Registrar<InventoryConfig>): void {
  r.route({
    method: 'GET', path: '/api/v1/access-rights-profiles', auth: READ, summary: 'Access rights profiles',
    docs: { tags: TAGS },
    handler: async (ctx, p) => { ctx.body = (await services(p).profiles.list()).map(profileView); },
  });
  r.route({
    method: 'GET', path: '/api/v1/access-rights-profiles/:id', auth: READ, summary: 'One access rights profile',
    docs: { tags: TAGS, errors: [404] },
    handler: async (ctx, p) => { ctx.body = profileView(await services(p).profiles.get(String(ctx.params.id))); },
  });
  r.route({
    method: 'POST', path: '/api/v1/access-rights-profiles', auth: ADMIN, summary: 'Create an access rights profile',
    docs: {
      tags: TAGS, body: profileCreate, errors: [400, 409],
      description: 'Rules are tried in order; the first whose conditions (userGroup, ipRange, authenticated) all hold decides allow or deny. A profile without rules is open; with rules, no match denies. `isDefault` makes it the profile of representations that name none (exactly one default).',
      responses: { 201: { description: 'Created; the body carries its id' } },
    },
    handler: async (ctx, p) => {
      const body = profileCreate.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes));
      const prof = await services(p).profiles.create(body, principal(ctx)?.keyId);
      ctx.status = 201;
      ctx.set('Location', p.core.url(`/api/v1/access-rights-profiles/${prof.id}`));
      ctx.body = profileView(prof);
    },
  });
  r.route({
    method: 'PATCH', path: '/api/v1/access-rights-profiles/:id', auth: ADMIN, summary: 'Update an access rights profile',
    docs: { tags: TAGS, body: profileUpdate, errors: [400, 404, 409] },
    handler: async (ctx, p) => {
      const body = profileUpdate.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes));
      ctx.body = profileView(await services(p).profiles.update(String(ctx.params.id), body, principal(ctx)?.keyId));
    },
  });
  r.route({
    method: 'DELETE', path: '/api/v1/access-rights-profiles/:id', auth: ADMIN, summary: 'Delete an access rights profile no representation uses',
    docs: { tags: TAGS, responses: { 204: { description: 'Deleted' } }, errors: [404, 409] },
    handler: async (ctx, p) => {
      await services(p).profiles.remove(String(ctx.params.id), principal(ctx)?.keyId);
      ctx.status = 204;
    },
  });

  r.route({
    method: 'POST', path: '/api/v1/bulk', auth: ['inventory:write'], summary: 'Apply one change to many titles or representations, in one transaction',
    docs: {
      tags: ['bulk'], body: bulkRequest, errors: [400, 404, 413, 422],
      description: 'Items are named by `ids` or selected by `filter`. The change may set the access rights profile, collection membership (needs collections:manage too), suppression and the active flag. The answer lists every item (changed or unchanged); if any item cannot be changed, nothing is, and the 422 problem lists the items.',
    },
    handler: async (ctx, p) => {
      const body = bulkRequest.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes));
      const who = principal(ctx);
      if ((body.change.addToCollections?.length || body.change.removeFromCollections?.length) && !who?.permissions.has('collections:manage')) {
        throw CoreErrors.FORBIDDEN('Changing collection membership needs collections:manage', { extensions: { missing: ['collections:manage'] } });
      }
      if (body.target === 'representations' && body.change.suppressed !== undefined) throw InventoryErrors.BULK_INVALID('suppressed applies to titles');
      ctx.body = await services(p).bulk.apply(body, who?.keyId);
    },
  });

  registerThumbnailRoutes(r);
}
