/**
 * XML Schema validation for specs: xmllint against the official schemas in ../shared/schemas,
 * offline (XML_CATALOG_FILES maps each schema URL to its local copy; --nonet forbids the
 * network). Many documents go through one xmllint run, which compiles the schema once.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { SHARED_DIR } from './shared-data';

/** ../shared/schemas (absent in a user's clone). */
export const SCHEMAS_DIR = join(SHARED_DIR, 'schemas');
const CATALOG = join(SCHEMAS_DIR, 'catalog.xml');

/** The default schema: ../shared/schemas/wrapper.xsd as shared (it imports MODS 3.7). */
export const DEFAULT_SCHEMA = 'wrapper.xsd';

/** Documents per xmllint run: keeps the command line well under ARG_MAX. */
const BATCH = 500;

let xmllint: boolean | undefined;

/** True when ../shared/schemas and xmllint (Debian libxml2-utils) are both there. */
export function schemasAvailable(): boolean {
  xmllint ??= spawnSync('xmllint', ['--version']).status === 0;
  return xmllint && existsSync(CATALOG);
}

/** Why schemasAvailable() is false, for a skip message. */
export function schemasMissingReason(): string {
  if (!existsSync(CATALOG)) return `${SCHEMAS_DIR} is absent (schema checks need ../shared/schemas)`;
  return 'xmllint is not installed (Debian package libxml2-utils)';
}

export interface ValidationResult {
  ok: boolean;
  /** xmllint's complaints, each "doc N (name): line L: message" where N counts from 0. */
  errors: string[];
}

/**
 * Validates one or many documents (each a complete XML document or fragment with one root)
 * against `schema`: by default wrapper.xsd, which imports every namespace an OAI-PMH response
 * carries; else a file name in ../shared/schemas (e.g.
 * "wrapper.xsd" as shared, "MARC21slim.xsd") or an absolute path. `names` label the documents in errors.
 */
export async function validateXml(xml: string | string[], opts: { schema?: string; names?: string[] } = {}): Promise<ValidationResult> {
  if (!schemasAvailable()) throw new Error(`cannot validate: ${schemasMissingReason()}`);
  const docs = typeof xml === 'string' ? [xml] : xml;
  const name = opts.schema ?? DEFAULT_SCHEMA;
  const schema = isAbsolute(name) ? name : join(SCHEMAS_DIR, name);
  if (!existsSync(schema)) throw new Error(`no schema ${schema}`);
  if (!docs.length) return { ok: true, errors: [] };
  const dir = await mkdtemp(join(tmpdir(), 'colophon-xsd-'));
  try {
    const files = docs.map((_, i) => join(dir, `doc${i}.xml`));
    await Promise.all(docs.map((d, i) => writeFile(files[i] as string, d)));
    const errors: string[] = [];
    let ok = true;
    for (let start = 0; start < files.length; start += BATCH) {
      const run = await xmllintRun(schema, files.slice(start, start + BATCH));
      if (run.code !== 0) ok = false;
      for (const line of run.stderr.split('\n')) {
        if (!line || line.endsWith(' validates') || line.includes('Schemas parser warning')) continue;
        const m = /doc(\d+)\.xml(?::(\d+))?:?\s*(.*)$/.exec(line);
        if (!m) {
          errors.push(line);
          continue;
        }
        const n = Number(m[1]);
        const label = opts.names?.[n] ? `doc ${n} (${opts.names[n]})` : `doc ${n}`;
        errors.push(`${label}: ${m[2] ? `line ${m[2]}: ` : ''}${m[3]}`);
      }
    }
    return { ok: ok && errors.length === 0, errors };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function xmllintRun(schema: string, files: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'xmllint',
      ['--nonet', '--noout', '--schema', schema, ...files],
      { env: { ...process.env, XML_CATALOG_FILES: CATALOG }, maxBuffer: 256 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(err);
        else resolve({ code: err ? Number(err.code) : 0, stderr });
      },
    );
  });
}
