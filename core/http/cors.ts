import type Koa from 'koa';

export interface CorsOptions {
  /** Allowed origins; ['*'] allows any. */
  origins: string[];
  methods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: number;
}

/**
 * Set CORS headers; answers OPTIONS preflight itself. Use as route middleware or call
 * applyCors() from a handler (also on error paths: IIIF viewers need CORS on 4xx too).
 */
export function applyCors(ctx: Koa.Context, opts: CorsOptions): boolean {
  const origin = ctx.get('origin');
  const any = opts.origins.includes('*');
  if (any) ctx.set('Access-Control-Allow-Origin', '*');
  else if (origin && opts.origins.includes(origin)) {
    ctx.set('Access-Control-Allow-Origin', origin);
    ctx.vary('Origin');
  } else return false;
  if (opts.exposeHeaders?.length) ctx.set('Access-Control-Expose-Headers', opts.exposeHeaders.join(', '));
  if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method')) {
    ctx.set('Access-Control-Allow-Methods', (opts.methods ?? ['GET', 'HEAD', 'OPTIONS']).join(', '));
    const requested = ctx.get('access-control-request-headers');
    ctx.set('Access-Control-Allow-Headers', opts.allowHeaders?.join(', ') ?? (requested || 'Authorization, Content-Type'));
    ctx.set('Access-Control-Max-Age', String(opts.maxAge ?? 86400));
    ctx.status = 204;
    return true;
  }
  return false;
}

/** Koa middleware form of applyCors. */
export function cors(opts: CorsOptions): Koa.Middleware {
  return async (ctx, next) => {
    if (applyCors(ctx, opts)) return;
    await next();
  };
}
