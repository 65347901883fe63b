import { ROLES, isRoleId } from '../auth/roles';
import {
  accessSentence,
  OPENAPI_METHODS,
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiMethod,
  type OpenApiOperation,
  type OpenApiResponse,
} from '../http/openapi';

/** Escape text for HTML element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Escaped prose: blank lines make paragraphs, `backticks` make code. */
function prose(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((para) => `<p>${escapeHtml(para.trim()).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\n/g, '<br>')}</p>`)
    .join('');
}

const anchor = (s: string): string => s.replace(/[^A-Za-z0-9_-]+/g, '-');

const refName = (ref: string): string => decodeURIComponent(ref.split('/').pop() ?? ref);

/** A one-line description of a schema's type, e.g. `integer (1..500, default 50)`. */
function typeOf(s: JsonSchema | undefined, depth = 0): string {
  if (!s || depth > 4) return 'any';
  if (typeof s.$ref === 'string') return refName(s.$ref);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in s) return JSON.stringify(s.const);
  for (const k of ['anyOf', 'oneOf'] as const) {
    const alts = s[k];
    if (Array.isArray(alts)) return (alts as JsonSchema[]).map((a) => typeOf(a, depth + 1)).join(' | ');
  }
  const type = Array.isArray(s.type) ? s.type.join(' | ') : typeof s.type === 'string' ? s.type : 'any';
  if (type === 'array') return `array of ${typeOf(s.items as JsonSchema | undefined, depth + 1)}`;
  const facets: string[] = [];
  if (typeof s.format === 'string') facets.push(s.format);
  const min = s.minimum ?? s.minLength ?? s.minItems;
  const max = s.maximum ?? s.maxLength ?? s.maxItems;
  if (min !== undefined || max !== undefined) facets.push(`${String(min ?? '')}..${String(max ?? '')}`);
  if ('default' in s) facets.push(`default ${JSON.stringify(s.default)}`);
  return facets.length ? `${type} (${facets.join(', ')})` : type;
}

/** The type, linking a component schema to its entry at the end of the page. */
function typeCell(s: JsonSchema | undefined): string {
  if (s && typeof s.$ref === 'string' && s.$ref.startsWith('#/components/schemas/')) {
    const name = refName(s.$ref);
    return `<a href="#schema-${escapeHtml(anchor(name))}"><code>${escapeHtml(name)}</code></a>`;
  }
  return `<code>${escapeHtml(typeOf(s))}</code>`;
}

function schemaBlock(s: JsonSchema | undefined): string {
  if (!s || Object.keys(s).length === 0) return '';
  // A bare reference links to the schema's entry; anything else can be unfolded here.
  if (Object.keys(s).length === 1 && typeof s.$ref === 'string') return typeCell(s);
  return `<details><summary>${typeCell(s)}</summary><pre>${escapeHtml(JSON.stringify(s, null, 2))}</pre></details>`;
}

function renderOperation(doc: OpenApiDocument, path: string, method: OpenApiMethod, op: OpenApiOperation, tag: string): string {
  const out: string[] = [];
  const id = `op-${anchor(tag)}-${anchor(op.operationId)}`;
  out.push(`<section class="op" id="${escapeHtml(id)}">`);
  out.push(`<h3><span class="m m-${method}">${method.toUpperCase()}</span> <code class="path">${escapeHtml(path)}</code></h3>`);
  if (op.summary) out.push(`<p class="summary">${escapeHtml(op.summary)}</p>`);

  // Who may call it: the line readers look for first.
  const staff = Boolean(op.security?.length);
  if (staff && !op['x-permissions'].length) {
    out.push('<div class="access"><strong>Requires</strong> an API key (<code>Authorization: Bearer col_…</code>) of any role.</div>');
  } else if (staff) {
    const roles = op['x-roles'].map((r) => `<li>${escapeHtml(isRoleId(r) ? ROLES[r].label : r)} <code>${escapeHtml(r)}</code></li>`);
    out.push(
      `<div class="access"><strong>Requires</strong> ${op['x-permissions'].map((p) => `<code>${escapeHtml(p)}</code>`).join(' + ')}` +
        ` (API key: <code>Authorization: Bearer col_…</code>). ` +
        (roles.length ? `<strong>Granted by</strong><ul class="roles">${roles.join('')}</ul>` : '<em>No single role grants all of them.</em>') +
        '</div>',
    );
  } else {
    out.push('<div class="access public"><strong>Public</strong>: no API key needed.</div>');
  }
  // The access sentence is shown above; the rest of the description is the route's own text.
  const sentence = accessSentence(staff ? op['x-permissions'] : 'public');
  const text = op.description.split(/\n\s*\n/).filter((p) => p.trim() !== sentence).join('\n\n');
  if (text.trim()) out.push(`<div class="desc">${prose(text)}</div>`);

  if (op.parameters?.length) {
    out.push('<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>');
    for (const p of op.parameters) {
      out.push(
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${typeCell(p.schema)}</td>` +
          `<td>${p.required ? 'yes' : 'no'}</td><td>${p.description ? escapeHtml(p.description) : ''}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }

  if (op.requestBody) {
    out.push('<h4>Request body</h4>');
    if (op.requestBody.description) out.push(`<div class="desc">${prose(op.requestBody.description)}</div>`);
    out.push('<ul class="media">');
    for (const [type, media] of Object.entries(op.requestBody.content)) {
      out.push(`<li><code>${escapeHtml(type)}</code> ${schemaBlock(media.schema)}</li>`);
    }
    out.push('</ul>');
  }

  out.push('<h4>Responses</h4><table><thead><tr><th>Status</th><th>Description</th><th>Content</th></tr></thead><tbody>');
  for (const [status, r] of Object.entries(op.responses)) {
    const res: OpenApiResponse | undefined = '$ref' in r ? doc.components.responses[refName(r.$ref)] : r;
    const media = Object.entries(res?.content ?? {})
      .map(([type, m]) => `<code>${escapeHtml(type)}</code> ${schemaBlock(m.schema)}`)
      .join('<br>');
    out.push(`<tr><td class="status s${escapeHtml(status.slice(0, 1))}">${escapeHtml(status)}</td><td>${escapeHtml(res?.description ?? '')}</td><td>${media}</td></tr>`);
  }
  out.push('</tbody></table>');
  out.push(`<p class="opid">operationId <code>${escapeHtml(op.operationId)}</code></p>`);
  out.push('</section>');
  return out.join('\n');
}

const CSS = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header,main{max-width:60rem;margin:0 auto;padding:1rem 1.5rem}
header{border-bottom:1px solid #ddd}
h1{margin:.2em 0}h2{margin-top:2.5rem;border-bottom:2px solid #333}
nav ul{columns:2;padding-left:1.2em}
.op{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.op h3{margin:.3rem 0;font-size:1.05rem}
.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:3px;color:#fff;font:bold .8rem monospace;padding:.15em .4em}
.m-get{background:#1f6feb}.m-post{background:#1a7f37}.m-put{background:#9a6700}.m-patch{background:#8250df}.m-delete{background:#cf222e}
.m-head,.m-options,.m-trace{background:#57606a}
.summary{font-weight:600;margin:.2rem 0}
.access{background:#fff8c5;border-left:4px solid #d4a72c;padding:.3rem .6rem;margin:.4rem 0}
.access.public{background:#dafbe1;border-color:#1a7f37}
.roles{margin:.2rem 0;padding-left:1.2em}
table{border-collapse:collapse;width:100%;margin:.3rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}
.status.s2{color:#1a7f37}.status.s4,.status.s5{color:#cf222e}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;font-size:.8rem}
code{font-size:.9em}.opid{color:#666;font-size:.8rem}
`;

/**
 * The staff API reference as one self-contained HTML page, rendered on the server from the
 * OpenAPI document: operations grouped by tag, who may call each, parameters, bodies and
 * responses. No scripts and no external resources, so it works offline and under a strict CSP.
 */
export function renderApiDocsPage(doc: OpenApiDocument, opts: { specUrl?: string } = {}): string {
  const specUrl = opts.specUrl ?? '/api/openapi.json';
  const byTag = new Map<string, { path: string; method: OpenApiMethod; op: OpenApiOperation }[]>();
  for (const t of doc.tags) byTag.set(t.name, []);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of OPENAPI_METHODS) {
      const op = item[method];
      if (!op) continue;
      for (const t of op.tags) {
        if (!byTag.has(t)) byTag.set(t, []);
        byTag.get(t)?.push({ path, method, op });
      }
    }
  }
  const tagDescriptions = new Map(doc.tags.map((t) => [t.name, t.description]));
  const title = escapeHtml(doc.info.title);

  const out: string[] = [];
  out.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">');
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>${title}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  out.push('<header>', `<h1>${title}</h1>`);
  out.push(`<p>Version ${escapeHtml(doc.info.version)} · Server <code>${escapeHtml(doc.servers[0]?.url ?? '')}</code> · ` +
    `<a href="${escapeHtml(specUrl)}">OpenAPI 3.1 document (JSON)</a></p>`);
  if (doc.info.description) out.push(`<div class="desc">${prose(doc.info.description)}</div>`);
  const scheme = doc.components.securitySchemes.apiKey;
  if (scheme && typeof scheme.description === 'string') out.push(`<h2 id="authentication">Authentication</h2><div class="desc">${prose(scheme.description)}</div>`);
  out.push('<nav><ul>');
  for (const [tag, ops] of byTag) {
    if (ops.length) out.push(`<li><a href="#tag-${escapeHtml(anchor(tag))}">${escapeHtml(tag)}</a> (${ops.length})</li>`);
  }
  out.push('</ul></nav>', '</header>', '<main>');
  for (const [tag, ops] of byTag) {
    if (!ops.length) continue;
    out.push(`<h2 id="tag-${escapeHtml(anchor(tag))}">${escapeHtml(tag)}</h2>`);
    const description = tagDescriptions.get(tag);
    if (description) out.push(`<div class="desc">${prose(description)}</div>`);
    for (const { path, method, op } of ops) out.push(renderOperation(doc, path, method, op, tag));
  }
  const schemas = Object.entries(doc.components.schemas);
  if (schemas.length) {
    out.push('<h2 id="schemas">Schemas</h2>');
    for (const [name, s] of schemas) {
      out.push(`<section class="op" id="schema-${escapeHtml(anchor(name))}"><h3><code>${escapeHtml(name)}</code></h3>` +
        `<pre>${escapeHtml(JSON.stringify(s, null, 2))}</pre></section>`);
    }
  }
  out.push('</main>', '</body>', '</html>', '');
  return out.join('\n');
}
