import { z } from 'zod';
import type Koa from 'koa';
import { apiKeyView } from '../auth/api-keys';
import { ROLES, type Principal } from '../auth/roles';
import { JobRun } from '../db/entities/job-run.entity';
import { CoreErrors } from '../errors';
import { readJson } from '../http/body';
import { conditionalGet, etagOf } from '../http/conditional';
import { buildOpenApi, type OpenApiDocument } from '../http/openapi';
import { definePlugin, type PluginContext } from '../plugin';
import { renderApiDocsPage } from './api-docs-page';
import { CORE_VERSION } from '../version';

const ADMIN = ['system:admin'] as const;

const keyBody = z.strictObject({
  name: z.string().max(255).optional(),
  roles: z.array(z.string()).min(1),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
const configBody = z.record(z.string(), z.unknown());

function runView(r: JobRun): Record<string, unknown> {
  return {
    id: r.id,
    jobId: r.jobId,
    trigger: r.trigger,
    tickAt: r.tickAt?.toISOString() ?? null,
    instance: r.instance,
    status: r.status,
    progress: r.progress,
    message: r.message,
    outputLocation: r.outputLocation,
    startedAt: r.startedAt.toISOString(),
    endedAt: r.endedAt?.toISOString() ?? null,
  };
}

function pageParams(ctx: Koa.Context): { limit: number; offset: number } {
  const q = z
    .object({
      limit: z.coerce.number().int().min(1).max(500).default(50),
      offset: z.coerce.number().int().min(0).default(0),
    })
    .safeParse(ctx.query);
  if (!q.success) throw CoreErrors.VALIDATION(`${q.error.issues[0]?.path.join('.')}: ${q.error.issues[0]?.message}`);
  return q.data;
}

/** The OpenAPI document of the routes mounted now. */
function apiDocument(p: PluginContext): OpenApiDocument {
  const plugins = p.core.host.list();
  return buildOpenApi(p.core.host.routes(), {
    title: `${p.core.config.repository.name} staff API`,
    version: CORE_VERSION,
    serverUrl: p.core.config.server.baseUrl,
    description: 'The staff API of Colophon. Errors are RFC 9457 problem+json documents with a stable `code`.',
    tagDescriptions: {
      ...Object.fromEntries(plugins.map((pl) => [String(pl.id), String(pl.description ?? '')])),
      meta: 'This API reference itself',
    },
  });
}

/**
 * The core's own routes, contributed through the same registrar as any plugin: plugin
 * management, API keys, jobs, and who-am-i. It cannot be disabled.
 */
export const adminPlugin = definePlugin({
  manifest: {
    id: 'admin',
    version: CORE_VERSION,
    core: `^${CORE_VERSION}`,
    description: 'Staff administration API: plugins, API keys, jobs',
    required: true,
  },
  register(r) {
    r.route({
      method: 'GET', path: '/api/v1/whoami', auth: ['inventory:read'], summary: 'The caller and its roles',
      handler: (ctx) => {
        const p = ctx.state.principal as Principal;
        ctx.body = { keyId: p.keyId, userId: p.userId, roles: p.roles, permissions: [...p.permissions].sort() };
      },
    });
    r.route({
      method: 'GET', path: '/api/v1/roles', auth: ['inventory:read'], summary: 'Staff roles and their permissions',
      handler: (ctx) => {
        ctx.body = Object.entries(ROLES).map(([id, r]) => ({ id, label: r.label, permissions: r.permissions }));
      },
    });

    // Plugins
    r.route({
      method: 'GET', path: '/api/v1/admin/plugins', auth: ADMIN, summary: 'Installed plugins and their state',
      handler: (ctx, p) => { ctx.body = p.core.host.list(); },
    });
    r.route({
      method: 'GET', path: '/api/v1/admin/plugins/:id', auth: ADMIN, summary: 'One plugin',
      handler: (ctx, p) => { ctx.body = p.core.host.get(String(ctx.params.id)); },
    });
    r.route({
      method: 'POST', path: '/api/v1/admin/plugins/:id/enable', auth: ADMIN, summary: 'Enable a plugin (no restart)',
      handler: async (ctx, p) => { ctx.body = await p.core.host.enable(String(ctx.params.id)); },
    });
    r.route({
      method: 'POST', path: '/api/v1/admin/plugins/:id/disable', auth: ADMIN, summary: 'Disable a plugin (no restart)',
      handler: async (ctx, p) => { ctx.body = await p.core.host.disable(String(ctx.params.id)); },
    });
    r.route({
      method: 'PATCH', path: '/api/v1/admin/plugins/:id/config', auth: ADMIN, summary: 'Merge settings into a plugin\'s config (null removes a key)',
      handler: async (ctx, p) => {
        const body = configBody.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes));
        ctx.body = await p.core.host.configure(String(ctx.params.id), body, 'patch');
      },
    });
    r.route({
      method: 'PUT', path: '/api/v1/admin/plugins/:id/config', auth: ADMIN, summary: 'Replace a plugin\'s persisted settings',
      handler: async (ctx, p) => {
        const body = configBody.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes));
        ctx.body = await p.core.host.configure(String(ctx.params.id), body, 'replace');
      },
    });

    // API keys
    r.route({
      method: 'GET', path: '/api/v1/admin/api-keys', auth: ADMIN, summary: 'API keys (never their secrets)',
      handler: async (ctx, p) => {
        ctx.body = (await p.core.apiKeys.list()).map(apiKeyView);
      },
    });
    r.route({
      method: 'POST', path: '/api/v1/admin/api-keys', auth: ADMIN, summary: 'Create an API key; the key is in the answer only',
      handler: async (ctx, p) => {
        const body = keyBody.parse(await readJson(ctx, p.core.config.server.bodyLimitBytes));
        const { key, record } = await p.core.apiKeys.create({
          roles: body.roles, name: body.name, expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
        });
        ctx.status = 201;
        ctx.set('Location', p.core.url(`/api/v1/admin/api-keys/${record.id}`));
        ctx.body = { ...apiKeyView(record), key };
      },
    });
    r.route({
      method: 'DELETE', path: '/api/v1/admin/api-keys/:id', auth: ADMIN, summary: 'Revoke an API key',
      handler: async (ctx, p) => {
        ctx.body = apiKeyView(await p.core.apiKeys.revoke(String(ctx.params.id)));
      },
    });

    // Jobs
    r.route({
      method: 'GET', path: '/api/v1/admin/jobs', auth: ADMIN, summary: 'Scheduled jobs',
      handler: (ctx, p) => { ctx.body = p.core.scheduler.list(); },
    });
    r.route({
      method: 'POST', path: '/api/v1/admin/jobs/:id/run', auth: ADMIN, summary: 'Run a job now and wait for it',
      handler: async (ctx, p) => {
        ctx.body = runView(await p.core.scheduler.runNow(String(ctx.params.id)));
      },
    });
    r.route({
      method: 'GET', path: '/api/v1/admin/job-runs', auth: ADMIN, summary: 'Job runs, newest first (?jobId=, ?status=)',
      handler: async (ctx, p) => {
        const { limit, offset } = pageParams(ctx);
        const where: Record<string, string> = {};
        if (typeof ctx.query.jobId === 'string') where.jobId = ctx.query.jobId;
        if (typeof ctx.query.status === 'string') where.status = ctx.query.status;
        const [rows, total] = await p.core.ds.getRepository(JobRun).findAndCount({
          where, order: { startedAt: 'DESC' }, take: limit, skip: offset,
        });
        ctx.body = { total, limit, offset, items: rows.map(runView) };
      },
    });
    r.route({
      method: 'GET', path: '/api/v1/admin/job-runs/:id', auth: ADMIN, summary: 'One job run with its progress',
      handler: async (ctx, p) => {
        const run = await p.core.ds.getRepository(JobRun).findOneBy({ id: String(ctx.params.id) });
        if (!run) throw CoreErrors.NOT_FOUND(`No job run ${String(ctx.params.id)}`);
        ctx.body = runView(run);
      },
    });

    // API reference: built per request, since plugins (and so routes) change at run time.
    r.route({
      method: 'GET', path: '/api/openapi.json', auth: 'public', summary: 'OpenAPI 3.1 document of the staff API',
      docs: {
        tags: ['meta'],
        description: 'Describes the routes of the plugins enabled right now, with the permissions each needs and the roles that grant them.',
        responses: { 200: { description: 'The OpenAPI document', contentType: 'application/json' }, 304: { description: 'Not modified (If-None-Match)' } },
      },
      handler: (ctx, p) => {
        const json = JSON.stringify(apiDocument(p), null, 2);
        if (conditionalGet(ctx, { etag: etagOf(json) })) return;
        ctx.type = 'application/json';
        ctx.body = json;
      },
    });
    r.route({
      method: 'GET', path: '/api/docs', auth: 'public', summary: 'Readable reference of the staff API (HTML)',
      docs: {
        tags: ['meta'],
        description: 'The OpenAPI document as one HTML page without scripts: operations by tag, who may call them, parameters, bodies, responses.',
        responses: { 200: { description: 'The reference page', contentType: 'text/html' }, 304: { description: 'Not modified (If-None-Match)' } },
      },
      handler: (ctx, p) => {
        const html = renderApiDocsPage(apiDocument(p), { specUrl: p.core.url('/api/openapi.json') });
        if (conditionalGet(ctx, { etag: etagOf(html) })) return;
        ctx.type = 'text/html; charset=utf-8';
        ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
        ctx.body = html;
      },
    });

    r.job({
      id: 'job-runs-prune',
      cron: '17 3 * * *',
      timeoutMs: 10 * 60_000,
      description: 'Delete finished job runs older than jobs.retainDays',
      run: async (_job, p) => {
        const n = await p.core.scheduler.prune(p.core.config.jobs.retainDays);
        return { message: `deleted ${n} finished runs older than ${p.core.config.jobs.retainDays} days` };
      },
    });
  },
});
