import { STATUS_CODES } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { RouteAuth } from '../auth/authenticate';
import { ROLES, type Permission, type RoleId } from '../auth/roles';
import { PROBLEM_JSON } from '../errors/problem';
import type { MountedRoute } from '../plugin/plugin-host';

/** A JSON Schema (2020-12 dialect, as OpenAPI 3.1 uses). */
export type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema;
  style?: 'form';
  explode?: boolean;
}

export interface OpenApiMediaType {
  schema?: JsonSchema;
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
  content?: Record<string, OpenApiMediaType>;
}

export interface OpenApiOperation {
  operationId: string;
  tags: string[];
  summary?: string;
  description: string;
  parameters?: OpenApiParameter[];
  requestBody?: { description?: string; required: boolean; content: Record<string, OpenApiMediaType> };
  responses: Record<string, OpenApiResponse | { $ref: string }>;
  security?: Record<string, string[]>[];
  /** Permissions the caller's roles must grant (empty: public). */
  'x-permissions': Permission[];
  /** Roles that grant every permission of the operation (empty when public). */
  'x-roles': RoleId[];
  /** The plugin that contributes the route. */
  'x-plugin': string;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  servers: { url: string }[];
  tags: { name: string; description?: string }[];
  paths: Record<string, Partial<Record<OpenApiMethod, OpenApiOperation>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, OpenApiResponse>;
    securitySchemes: Record<string, Record<string, unknown>>;
  };
}

export interface OpenApiInfo {
  title: string;
  version: string;
  /** Base URL the API is served under (config server.baseUrl). */
  serverUrl: string;
  description?: string;
  /** Descriptions of tags, e.g. plugin id → plugin description. */
  tagDescriptions?: Record<string, string>;
}

/** Lower-case methods in the order OpenAPI path items list them. */
export const OPENAPI_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type OpenApiMethod = (typeof OPENAPI_METHODS)[number];

/** Name of the bearer security scheme of staff routes. */
export const SECURITY_SCHEME = 'apiKey';

const PROBLEM_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; further members (extensions) depend on the error code.',
  properties: {
    type: { type: 'string', format: 'uri-reference', description: 'Identifies the problem type; stable per code' },
    title: { type: 'string', description: 'Short summary of the problem type' },
    status: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status code' },
    detail: { type: 'string', description: 'What went wrong with this request' },
    instance: { type: 'string', format: 'uri-reference', description: 'The request path' },
    code: { type: 'string', description: 'Stable machine-readable error code, `<module>.<error>`', examples: ['core.not-found'] },
    requestId: { type: 'string', description: 'X-Request-Id of the request, to find it in the logs' },
  },
  required: ['type', 'title', 'status', 'code'],
  additionalProperties: true,
};

/** What 401 and 403 mean here (see core/auth/authenticate). */
const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: malformed body or invalid parameters',
  401: 'No API key, or a malformed, unknown, revoked or expired one',
  403: "The API key's roles do not grant a permission this operation requires",
};

/** Roles that grant every permission in `perms`, in ROLES order. */
export function rolesGranting(perms: readonly Permission[]): RoleId[] {
  return (Object.keys(ROLES) as RoleId[]).filter((id) => {
    const granted: readonly Permission[] = ROLES[id].permissions;
    return perms.every((p) => granted.includes(p));
  });
}

/** The sentence that tells a reader who may call an operation. */
export function accessSentence(auth: RouteAuth): string {
  if (auth === 'public') return 'Public: no API key is needed.';
  if (auth.length === 0) return 'Needs an API key (any role).';
  const perms = auth.map((p) => `\`${p}\``).join(', ');
  const roles = rolesGranting(auth).map((r) => `${ROLES[r].label} (\`${r}\`)`);
  const noun = auth.length > 1 ? 'permissions' : 'permission';
  return roles.length
    ? `Requires ${noun} ${perms}, granted by the roles: ${roles.join(', ')}.`
    : `Requires ${noun} ${perms}; no single role grants all of them.`;
}

// ---------------------------------------------------------------------------------------------
// Paths: koa-router (path-to-regexp v8) syntax to OpenAPI templates

type PathToken = { kind: 'text'; value: string } | { kind: 'param' | 'wildcard'; name: string } | { kind: 'group'; tokens: PathToken[] };

/** Tokenize a path-to-regexp v8 path: `:name`, `:"quoted"`, `*wildcard`, `{optional}`, `\` escapes. */
function tokenizePath(path: string): PathToken[] {
  let i = 0;
  const readName = (): string => {
    if (path[i] === '"') {
      let name = '';
      i++;
      while (i < path.length && path[i] !== '"') {
        if (path[i] === '\\') i++;
        name += path[i] ?? '';
        i++;
      }
      i++;
      return name;
    }
    const m = /^[$_\p{ID_Start}][$\u200c\u200d\p{ID_Continue}]*/u.exec(path.slice(i));
    const name = m?.[0] ?? '';
    i += name.length;
    return name;
  };
  const parse = (inGroup: boolean): PathToken[] => {
    const out: PathToken[] = [];
    const text = (s: string): void => {
      const last = out[out.length - 1];
      if (last?.kind === 'text') last.value += s;
      else out.push({ kind: 'text', value: s });
    };
    while (i < path.length) {
      const c = path[i] ?? '';
      if (c === '\\') {
        text(path[i + 1] ?? '');
        i += 2;
      } else if (c === ':' || c === '*') {
        i++;
        const name = readName();
        if (name) out.push({ kind: c === ':' ? 'param' : 'wildcard', name });
        else text(c);
      } else if (c === '{') {
        i++;
        out.push({ kind: 'group', tokens: parse(true) });
      } else if (c === '}' && inGroup) {
        i++;
        return out;
      } else {
        text(c);
        i++;
      }
    }
    return out;
  };
  return parse(false);
}

interface PathVariant {
  /** OpenAPI path template, `/titles/{id}`. */
  template: string;
  params: { name: string; wildcard: boolean }[];
}

/**
 * Expand a koa-router path into OpenAPI path templates. Optional groups (`{/:id}`) have no
 * OpenAPI form, so each combination of present and absent groups becomes its own path.
 */
export function openApiPaths(path: string): PathVariant[] {
  const expand = (tokens: PathToken[]): PathVariant[] => {
    let acc: PathVariant[] = [{ template: '', params: [] }];
    for (const t of tokens) {
      let next: PathVariant[];
      if (t.kind === 'text') next = [{ template: t.value.replace(/[{}]/g, ''), params: [] }];
      else if (t.kind === 'group') next = [{ template: '', params: [] }, ...expand(t.tokens)];
      else next = [{ template: `{${t.name}}`, params: [{ name: t.name, wildcard: t.kind === 'wildcard' }] }];
      acc = acc.flatMap((a) => next.map((n) => ({ template: a.template + n.template, params: [...a.params, ...n.params] })));
    }
    return acc;
  };
  const seen = new Set<string>();
  return expand(tokenizePath(path))
    .map((v) => ({ ...v, template: v.template.startsWith('/') ? v.template : `/${v.template}` }))
    .filter((v) => !seen.has(v.template) && Boolean(seen.add(v.template)));
}

/** A stable operation id: plugin id, method and path, e.g. `inventory.get_api_v1_titles_by_id`. */
export function operationIdOf(pluginId: string, method: string, template: string): string {
  const slug = template
    .replace(/\{([^}]*)\}/g, '_by_$1_')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return `${pluginId}.${method.toLowerCase()}${slug ? `_${slug}` : '_root'}`;
}

// ---------------------------------------------------------------------------------------------
// Schemas: zod to JSON Schema, with shared definitions moved to components.schemas

/** OpenAPI component names must match ^[a-zA-Z0-9._-]+$. */
const componentName = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_');

/**
 * Converts zod schemas and gathers their definitions in one components.schemas map. zod puts
 * reused or recursive parts under `$defs` and refers to the root as `#`; inside an OpenAPI
 * document those pointers would resolve against the document root, so every definition is moved
 * to components.schemas and the refs rewritten to point there.
 */
class SchemaCollector {
  readonly schemas: Record<string, JsonSchema> = { Problem: structuredClone(PROBLEM_SCHEMA) };

  /** `owner` names the schema's place (operation id + role) for definitions that need a name. */
  convert(schema: z.ZodType, owner: string, io: 'input' | 'output'): JsonSchema {
    let js: JsonSchema;
    try {
      js = z.toJSONSchema(schema, {
        io,
        unrepresentable: 'any',
        // JSON carries dates as ISO 8601 strings; z.coerce.date() reads them from query strings.
        override: (ctx) => {
          if (ctx.zodSchema._zod.def.type === 'date') Object.assign(ctx.jsonSchema, { type: 'string', format: 'date-time' });
        },
      }) as JsonSchema;
    } catch (err) {
      // A plugin's odd schema must not take the whole document down.
      return { description: `(schema not representable: ${(err as Error).message})` };
    }
    delete js.$schema;
    const defs = (js.$defs ?? {}) as Record<string, JsonSchema>;
    delete js.$defs;
    // A ref into the root (`#`, `#/properties/...`) needs the root to live at a known place too.
    const selfRef = refsIn([js, defs]).some((ref) => isRootRef(ref));
    const rootName = componentName(owner);

    // Shared ids (`.meta({ id })`) keep their name unless a different schema took it (an output
    // variant, with additionalProperties: false, gets `<id>Output`); anonymous definitions
    // (`__schema0`) and the remaining clashes are named after their owner.
    const candidates = new Map<string, string[]>();
    for (const key of Object.keys(defs)) {
      const own = componentName(`${owner}_${key.replace(/^__schema(?=\d+$)/, 'Schema')}`);
      const shared = /^__schema\d+$/.test(key) ? [] : [componentName(key), ...(io === 'output' ? [componentName(`${key}Output`)] : [])];
      candidates.set(key, [...shared, own]);
    }
    const names = new Map([...candidates].map(([key, c]) => [key, c[0] ?? key]));
    const rewrite = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(rewrite);
      if (!v || typeof v !== 'object') return v;
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        if (k === '$ref' && typeof val === 'string') out[k] = this.rewriteRef(val, rootName, names);
        else out[k] = rewrite(val);
      }
      return out;
    };
    // Renaming one definition changes those that refer to it; repeat until nothing collides.
    // Each round moves some definition to its next candidate, so this ends.
    for (;;) {
      const rewritten = new Map([...names].map(([key]) => [key, rewrite(defs[key]) as JsonSchema]));
      let renamed = false;
      const claimed = new Set<string>();
      for (const [key, name] of names) {
        const taken = this.schemas[name];
        if ((taken && !isDeepStrictEqual(taken, rewritten.get(key))) || claimed.has(name)) {
          const c = candidates.get(key) ?? [];
          const next = c[c.indexOf(name) + 1];
          if (next) {
            names.set(key, next);
            renamed = true;
          }
        }
        claimed.add(names.get(key) ?? name);
      }
      if (!renamed) {
        for (const [key, name] of names) this.schemas[name] = rewritten.get(key) ?? {};
        break;
      }
    }
    const root = rewrite(js) as JsonSchema;
    if (!selfRef) return root;
    this.schemas[rootName] = root;
    return { $ref: `#/components/schemas/${rootName}` };
  }

  private rewriteRef(ref: string, rootName: string, names: Map<string, string>): string {
    if (isRootRef(ref)) return `#/components/schemas/${rootName}${ref.slice(1)}`;
    const m = /^#\/\$defs\/([^/]+)(.*)$/.exec(ref);
    const name = m?.[1] !== undefined ? names.get(decodeURIComponent(m[1].replace(/~1/g, '/').replace(/~0/g, '~'))) : undefined;
    return m && name ? `#/components/schemas/${name}${m[2] ?? ''}` : ref;
  }

  /** Follow a `#/components/schemas/X` ref (for query objects whose root was moved there). */
  resolve(js: JsonSchema): JsonSchema {
    const ref = typeof js.$ref === 'string' ? /^#\/components\/schemas\/([^/]+)$/.exec(js.$ref) : null;
    return ref?.[1] !== undefined ? (this.schemas[ref[1]] ?? js) : js;
  }
}

const isRootRef = (ref: string): boolean => ref === '#' || (ref.startsWith('#/') && !ref.startsWith('#/$defs/'));

/** Every `$ref` string anywhere in a value. */
function refsIn(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) refsIn(x, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === '$ref' && typeof x === 'string') out.push(x);
      else refsIn(x, out);
    }
  }
  return out;
}

/** Query parameters from a zod object: one parameter per property. */
function queryParameters(schema: z.ZodType, owner: string, schemas: SchemaCollector): OpenApiParameter[] {
  const js = schemas.convert(schema, owner, 'input');
  const obj = schemas.resolve(js);
  const props = obj.properties as Record<string, JsonSchema> | undefined;
  if (obj.type !== 'object' || !props) {
    // Not a plain object (a union, say): one form-exploded object parameter says the same.
    return [{ name: 'query', in: 'query', required: false, schema: js, style: 'form', explode: true }];
  }
  const required = new Set(Array.isArray(obj.required) ? (obj.required as string[]) : []);
  return Object.entries(props).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return {
      name,
      in: 'query' as const,
      required: required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function problemResponseName(status: number): string {
  const reason = (STATUS_CODES[status] ?? '').replace(/[^A-Za-z0-9]+/g, ' ').trim();
  const name = reason.split(' ').map((w) => (w ? w[0]?.toUpperCase() + w.slice(1).toLowerCase() : '')).join('');
  return name || `Status${status}`;
}

function problemResponse(status: number): OpenApiResponse {
  const res: OpenApiResponse = {
    description: ERROR_DESCRIPTIONS[status] ?? STATUS_CODES[status] ?? `Error ${status}`,
    content: { [PROBLEM_JSON]: { schema: { $ref: '#/components/schemas/Problem' } } },
  };
  if (status === 401) {
    res.headers = { 'WWW-Authenticate': { description: 'Bearer challenge (RFC 6750)', schema: { type: 'string' } } };
  }
  return res;
}

/** Routes the document describes: the staff API under /api/, and any other route that declares docs. */
function documented(routes: MountedRoute[]): MountedRoute[] {
  const seen = new Set<string>();
  const gets = new Set(routes.filter((r) => r.method.toUpperCase() === 'GET').map((r) => r.path));
  return routes.filter((r) => {
    const method = r.method.toUpperCase();
    if (!(r.path === '/api' || r.path.startsWith('/api/') || r.docs)) return false;
    // koa-router answers HEAD for every GET; an OPTIONS route without docs is a CORS preflight.
    if (method === 'HEAD' && gets.has(r.path)) return false;
    if (method === 'OPTIONS' && !r.docs) return false;
    if (!OPENAPI_METHODS.includes(method.toLowerCase() as OpenApiMethod)) return false;
    // The router dispatches to the first of two identical routes; the second is unreachable.
    const key = `${method} ${r.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The OpenAPI 3.1 document of the mounted routes (deterministic: paths, tags and components sorted). */
export function buildOpenApi(routes: MountedRoute[], info: OpenApiInfo): OpenApiDocument {
  const schemas = new SchemaCollector();
  const responses: Record<string, OpenApiResponse> = {};
  const paths: Record<string, Partial<Record<OpenApiMethod, OpenApiOperation>>> = {};
  const tags = new Set<string>();
  const ids = new Set<string>();
  // Response schemas are converted after every request schema, so that a shared id names the
  // input form whatever the order of the routes, and the output form only when it differs.
  const outputs: (() => void)[] = [];

  // Sorted first so that operation ids made unique by a suffix, and component names, are stable.
  const entries = documented(routes)
    .flatMap((r) => openApiPaths(r.path).map((v) => ({ r, v, method: r.method.toLowerCase() as OpenApiMethod })))
    .sort((a, b) => cmp(a.v.template, b.v.template) || OPENAPI_METHODS.indexOf(a.method) - OPENAPI_METHODS.indexOf(b.method));

  for (const { r, v, method } of entries) {
    if (paths[v.template]?.[method]) continue;
    let id = operationIdOf(r.pluginId, method, v.template);
    for (let n = 2; ids.has(id); n++) id = `${operationIdOf(r.pluginId, method, v.template)}_${n}`;
    ids.add(id);
    const docs = r.docs ?? {};
    const opTags = docs.tags?.length ? [...docs.tags] : [r.pluginId];
    for (const t of opTags) tags.add(t);

    const parameters: OpenApiParameter[] = v.params.map((p) => ({
      name: p.name,
      in: 'path' as const,
      required: true,
      ...(p.wildcard ? { description: 'One or more path segments, slashes included' } : {}),
      schema: { type: 'string' },
    }));
    if (docs.query) parameters.push(...queryParameters(docs.query, `${id}_Query`, schemas));

    const op: OpenApiOperation = {
      operationId: id,
      tags: opTags,
      ...(r.summary ? { summary: r.summary } : {}),
      description: [docs.description?.trim(), accessSentence(r.auth)].filter(Boolean).join('\n\n'),
      ...(parameters.length ? { parameters } : {}),
      responses: {},
      'x-permissions': r.auth === 'public' ? [] : [...r.auth],
      'x-roles': r.auth === 'public' ? [] : rolesGranting(r.auth),
      'x-plugin': r.pluginId,
    };

    const content: Record<string, OpenApiMediaType> = {};
    if (docs.body) content['application/json'] = { schema: schemas.convert(docs.body, `${id}_Body`, 'input') };
    const notes: string[] = [];
    for (const [type, d] of Object.entries(docs.requestContentTypes ?? {}).sort(([a], [b]) => cmp(a, b))) {
      content[type] = d.schema ? { schema: schemas.convert(d.schema, `${id}_Body_${type}`, 'input') } : {};
      if (d.description) notes.push(`${type}: ${d.description}`);
    }
    if (Object.keys(content).length) {
      op.requestBody = { ...(notes.length ? { description: notes.join('\n\n') } : {}), required: true, content };
    }

    const declared = Object.entries(docs.responses ?? {}).sort(([a], [b]) => Number(a) - Number(b));
    for (const [status, d] of declared) {
      const res: OpenApiResponse = { description: d.description };
      if (d.schema || d.contentType) {
        const type = d.contentType ?? 'application/json';
        const schema = d.schema;
        res.content = { [type]: {} };
        if (schema) outputs.push(() => { res.content = { [type]: { schema: schemas.convert(schema, `${id}_Response${status}`, 'output') } }; });
      }
      op.responses[status] = res;
    }
    if (!declared.length) op.responses['200'] = { description: 'OK' };
    // Declared bodies and queries are validated (400); staff routes can answer 401 and 403.
    const errors = new Set(docs.errors ?? []);
    if (docs.body || docs.query) errors.add(400);
    if (r.auth !== 'public') {
      errors.add(401);
      errors.add(403);
      op.security = [{ [SECURITY_SCHEME]: [] }];
    }
    for (const status of [...errors].sort((a, b) => a - b)) {
      if (op.responses[String(status)]) continue;
      const name = `${problemResponseName(status)}Problem`;
      responses[name] ??= problemResponse(status);
      op.responses[String(status)] = { $ref: `#/components/responses/${name}` };
    }
    // Keys in the order a reader of the JSON expects them.
    (paths[v.template] ??= {})[method] = {
      operationId: op.operationId,
      tags: op.tags,
      ...(op.summary ? { summary: op.summary } : {}),
      description: op.description,
      ...(op.parameters ? { parameters: op.parameters } : {}),
      ...(op.requestBody ? { requestBody: op.requestBody } : {}),
      responses: sortKeys(op.responses),
      ...(op.security ? { security: op.security } : {}),
      'x-permissions': op['x-permissions'],
      'x-roles': op['x-roles'],
      'x-plugin': op['x-plugin'],
    };
  }

  for (const convert of outputs) convert();

  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    servers: [{ url: info.serverUrl.replace(/\/+$/, '') || '/' }],
    tags: [...tags].sort(cmp).map((name) => {
      const description = info.tagDescriptions?.[name];
      return description ? { name, description } : { name };
    }),
    paths,
    components: {
      schemas: sortKeys(schemas.schemas),
      responses: sortKeys(responses),
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'col_<12-character prefix>_<43-character secret>',
          description:
            'A staff API key, sent as `Authorization: Bearer col_<prefix>_<secret>`. Keys are created by a ' +
            'system administrator (POST /api/v1/admin/api-keys or the CLI) for one or more roles; the key ' +
            "is shown once. An operation's description names the permissions it requires and the roles that grant them.",
        },
      },
    },
  };
}

/** Code-point order, independent of the locale. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => cmp(a, b)));
}
