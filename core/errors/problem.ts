import type Koa from 'koa';
import { ZodError } from 'zod';
import { ColophonError } from './colophon-error';
import { CoreErrors } from './core-errors';

export const PROBLEM_JSON = 'application/problem+json';

/** RFC 9457 problem details document. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  requestId?: string;
  [extension: string]: unknown;
}

/** Map anything thrown to a ColophonError; unknown errors become 500 (and are logged as such). */
export function toColophonError(err: unknown): ColophonError {
  if (err instanceof ColophonError) return err;
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const where = issue && issue.path.length ? issue.path.join('.') : '(body)';
    return CoreErrors.VALIDATION(`${where}: ${issue?.message ?? 'invalid'}`, {
      extensions: { errors: err.issues.map((i) => ({ pointer: `/${i.path.join('/')}`, detail: i.message })) },
    });
  }
  // Koa/http-errors style errors raised by body parsers and ctx.throw.
  const e = err as { status?: unknown; expose?: unknown; message?: unknown; type?: unknown };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    const map: Record<number, (d?: string) => ColophonError> = {
      400: CoreErrors.BAD_REQUEST,
      401: CoreErrors.UNAUTHENTICATED,
      403: CoreErrors.FORBIDDEN,
      404: CoreErrors.NOT_FOUND,
      405: CoreErrors.METHOD_NOT_ALLOWED,
      413: CoreErrors.PAYLOAD_TOO_LARGE,
      415: CoreErrors.UNSUPPORTED_MEDIA_TYPE,
    };
    const make = map[e.status] ?? CoreErrors.BAD_REQUEST;
    return make(typeof e.message === 'string' ? e.message : undefined);
  }
  return CoreErrors.INTERNAL('An unexpected error occurred; the request id identifies it in the logs', { cause: err });
}

/** Build the problem document for an error; the type URI is stable per error code. */
export function problemFor(err: ColophonError, baseUrl: string, ctx?: Koa.Context): ProblemDocument {
  return {
    type: `${baseUrl}/problems/${err.code}`,
    title: err.title,
    status: err.status,
    detail: err.message,
    instance: ctx?.path,
    code: err.code,
    requestId: ctx?.state.requestId as string | undefined,
    ...err.extensions,
  };
}

/** Write an error to the response as problem+json. */
export function sendProblem(ctx: Koa.Context, err: ColophonError, baseUrl: string): void {
  ctx.status = err.status;
  for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v);
  ctx.type = PROBLEM_JSON;
  ctx.body = problemFor(err, baseUrl, ctx);
}
