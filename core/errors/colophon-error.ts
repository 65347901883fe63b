/** One entry of an error catalogue: a stable code, its HTTP status, a title and a log level. */
export interface ErrorSpec {
  status: number;
  title: string;
  level?: 'error' | 'warn' | 'info' | 'debug';
}

/**
 * A domain error. Services throw these; one middleware per protocol turns them into the
 * response form of that protocol (problem+json for the staff API).
 */
export class ColophonError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  /** Extra members for the problem document (RFC 9457 §3.2), e.g. the offending key. */
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    spec: ErrorSpec,
    detail?: string,
    extras: { extensions?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail ?? spec.title, extras.cause === undefined ? undefined : { cause: extras.cause });
    this.name = 'ColophonError';
    this.code = code;
    this.status = spec.status;
    this.title = spec.title;
    this.level = spec.level ?? (spec.status >= 500 ? 'error' : 'info');
    this.extensions = extras.extensions ?? {};
    this.headers = extras.headers ?? {};
  }
}

type Catalogue<K extends string> = {
  readonly [P in K]: (
    detail?: string,
    extras?: { extensions?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown },
  ) => ColophonError;
} & { readonly specs: Readonly<Record<K, ErrorSpec>> };

/**
 * Define a module's error catalogue: `const E = defineErrors('oai', { BAD_VERB: {...} })`,
 * then `throw E.BAD_VERB('...')`. Codes are namespaced by the module.
 */
export function defineErrors<K extends string>(namespace: string, specs: Record<K, ErrorSpec>): Catalogue<K> {
  const out: Record<string, unknown> = { specs };
  for (const key of Object.keys(specs) as K[]) {
    const code = `${namespace}.${key.toLowerCase().replace(/_/g, '-')}`;
    out[key] = (detail?: string, extras?: ConstructorParameters<typeof ColophonError>[3]) =>
      new ColophonError(code, specs[key], detail, extras);
  }
  return out as Catalogue<K>;
}
