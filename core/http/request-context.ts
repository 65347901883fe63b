import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Metrics } from './metrics';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Request id (X-Request-Id taken from the client when sane, else generated, and echoed),
 * one structured log line per request, and the HTTP metrics. Routes are labelled by their
 * pattern, never the raw path, to keep metric cardinality bounded.
 */
export function requestContext(logger: Logger, metrics: Metrics): Koa.Middleware {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const id = REQUEST_ID.test(given) ? given : randomUUID();
    ctx.state.requestId = id;
    ctx.set('X-Request-Id', id);
    const log = logger.child({ reqId: id });
    ctx.state.logger = log;
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = (ctx.state.route as string | undefined) ?? (ctx.status === 404 ? 'unmatched' : ctx.path);
      metrics.httpRequests.inc({ method: ctx.method, route, status: String(ctx.status) });
      metrics.httpDuration.observe({ method: ctx.method, route }, seconds);
      const level = ctx.status >= 500 ? 'error' : 'info';
      log[level](
        { method: ctx.method, url: ctx.url, status: ctx.status, ms: Math.round(seconds * 1e4) / 10, plugin: ctx.state.pluginId as string | undefined },
        'request',
      );
    }
  };
}
