import { promisify } from 'node:util';
import { deflate, gzip } from 'node:zlib';
import type Koa from 'koa';
import { readBody } from '../../../core/http/body';
import type { PluginContext, Registrar } from '../../../core/plugin/types';
import type { OaiConfig } from '../config';
import { OaiError, parseOaiRequest, utc, type OaiRequest } from '../protocol/oai-request';
import { envelope, errorBody } from '../protocol/oai-xml';
import { OAI_XSL } from '../protocol/oai-xsl';
import type { OaiService } from '../services/oai-service';

const gz = promisify(gzip);
const df = promisify(deflate);

const service = (p: PluginContext<OaiConfig>): OaiService => p.state.get('oai') as OaiService;

/** gzip or deflate as the client accepts (q=0 refuses), else none. */
function encodingFor(header: string): 'gzip' | 'deflate' | null {
  const accepted = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((x) => /^\s*q=([\d.]+)\s*$/.exec(x)?.[1]).find(Boolean);
    accepted.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const ok = (e: string): boolean => (accepted.get(e) ?? accepted.get('*') ?? 0) > 0;
  if (ok('gzip')) return 'gzip';
  if (ok('deflate')) return 'deflate';
  return null;
}

async function send(ctx: Koa.Context, xml: string): Promise<void> {
  ctx.status = 200;
  ctx.type = 'text/xml; charset=UTF-8';
  ctx.set('Vary', 'Accept-Encoding');
  const enc = encodingFor(ctx.get('accept-encoding'));
  const body = Buffer.from(xml, 'utf8');
  if (enc && body.length > 512) {
    ctx.set('Content-Encoding', enc);
    ctx.body = enc === 'gzip' ? await gz(body) : await df(body);
  } else ctx.body = body;
}

/** The arguments in order, so repeats can be seen: the query string (GET) or the form body (POST). */
async function argumentPairs(ctx: Koa.Context): Promise<[string, string][]> {
  if (ctx.method === 'POST') {
    if (!ctx.request.is('application/x-www-form-urlencoded')) {
      throw new OaiError('badArgument', 'POST requests must be application/x-www-form-urlencoded');
    }
    return [...new URLSearchParams((await readBody(ctx, 64 * 1024)).toString('utf8')).entries()];
  }
  return [...new URLSearchParams(ctx.querystring).entries()];
}

export function registerOaiRoutes(r: Registrar<OaiConfig>, config: OaiConfig): void {
  let active = 0;
  const handler = async (ctx: Koa.Context, p: PluginContext<OaiConfig>): Promise<void> => {
    if (active >= p.config.maxConcurrent) {
      ctx.status = 503;
      ctx.set('Retry-After', String(p.config.retryAfterSeconds));
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = `Too many harvests at once; retry in ${p.config.retryAfterSeconds} seconds.\n`;
      return;
    }
    active++;
    const oai = service(p);
    const responseDate = utc(Date.now());
    const common = { responseDate, baseUrl: oai.baseUrl, stylesheet: p.core.url(`${p.config.path}/oai2.xsl`) };
    let req: OaiRequest | null = null;
    try {
      req = parseOaiRequest(await argumentPairs(ctx));
      const body = await oai.handle(req);
      await send(ctx, envelope({ ...common, args: { verb: req.verb, ...req.args }, body }));
    } catch (err) {
      if (!(err instanceof OaiError)) throw err;
      const args = err.echoesArguments && req ? { verb: req.verb, ...req.args } : null;
      await send(ctx, envelope({ ...common, args, body: errorBody(err.code, err.message) }));
    } finally {
      active--;
    }
  };
  const docs = { tags: ['oai-pmh'], description: 'OAI-PMH 2.0: verbs Identify, ListMetadataFormats, ListSets, GetRecord, ListIdentifiers, ListRecords; errors as <error code> in HTTP 200.' };
  r.route({ method: 'GET', path: config.path, auth: 'public', summary: 'OAI-PMH 2.0 endpoint', docs, handler });
  r.route({ method: 'POST', path: config.path, auth: 'public', summary: 'OAI-PMH 2.0 endpoint (form POST)', docs, handler });
  r.route({
    method: 'GET', path: `${config.path}/oai2.xsl`, auth: 'public', summary: 'XSLT that renders OAI-PMH responses in a browser',
    handler: (ctx) => {
      ctx.type = 'text/xsl; charset=UTF-8';
      ctx.set('Cache-Control', 'public, max-age=86400');
      ctx.body = OAI_XSL;
    },
  });
}
