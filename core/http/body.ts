import type Koa from 'koa';
import { CoreErrors } from '../errors';

/**
 * Read a JSON request body up to a limit. Large uploads never come through here: they stream
 * (see the inventory plugin); this is for small JSON documents of the staff API.
 */
export async function readJson(ctx: Koa.Context, limit: number): Promise<unknown> {
  const type = ctx.request.type;
  if (type && type !== 'application/json' && !type.endsWith('+json')) {
    throw CoreErrors.UNSUPPORTED_MEDIA_TYPE(`Expected application/json, got ${type}`);
  }
  const text = (await readBody(ctx, limit)).toString('utf8');
  if (!text.trim()) throw CoreErrors.BAD_REQUEST('A JSON body is required');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw CoreErrors.BAD_REQUEST(`Body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Read a whole (small) request body as bytes, up to a limit; for records and other documents. */
export async function readBody(ctx: Koa.Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length'));
  if (declared > limit) throw CoreErrors.PAYLOAD_TOO_LARGE(`Body of ${declared} bytes exceeds the limit of ${limit}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw CoreErrors.PAYLOAD_TOO_LARGE(`Body exceeds the limit of ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
