/**
 * Support for the record-layer specs: where the repository and the shared test data are, an
 * ISO 2709 builder for hand-made records, and schema validation with xmllint.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../../core/version';
import { SHARED_DATA } from '../../../helpers/shared-data';
import { RecordError } from '../../../../plugins/inventory/records';

/** A project-owned fixture under spec/fixtures/records/. */
export const fixturePath = (name: string): string => path.join(PROJECT_ROOT, 'spec', 'fixtures', 'records', name);

/** ../shared/data next to the repository, or undefined when this clone has none. */
export function sharedData(): string | undefined {
  const dir = SHARED_DATA;
  return existsSync(dir) ? dir : undefined;
}

/** Files of a shared data folder (sorted), or undefined when ../shared is absent. */
export function sharedFiles(folder: string): { name: string; path: string }[] | undefined {
  const root = sharedData();
  if (!root) return undefined;
  const dir = path.join(root, folder);
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, path: path.join(dir, name) }));
}

export const NO_SHARED = 'needs ../shared/data (the Colophon test corpus), which this checkout does not have';

/** Skips the test or suite (saying why) unless `ok`. */
export function skipUnless(ctx: Mocha.Context, ok: unknown, why: string): void {
  if (ok) return;
  console.log(`      (skipped: ${why})`);
  ctx.skip();
}

/**
 * Builds one ISO 2709 record from a leader template (positions 00-04 and 12-16 are filled in) and
 * fields given as tag + raw bytes (data fields: indicators, then 0x1F-delimited subfields; the
 * field terminator is added). Exactly what a MARC writer does, so hand-made bytes stay readable.
 */
export function iso2709(leader: string, fields: [string, Buffer | string][]): Buffer {
  const data: Buffer[] = [];
  const directory: string[] = [];
  let offset = 0;
  for (const [tag, content] of fields) {
    const bytes = Buffer.concat([Buffer.isBuffer(content) ? content : Buffer.from(content, 'latin1'), Buffer.from([0x1e])]);
    directory.push(tag + String(bytes.length).padStart(4, '0') + String(offset).padStart(5, '0'));
    data.push(bytes);
    offset += bytes.length;
  }
  const dir = Buffer.from(directory.join('') + '\x1e', 'latin1');
  const base = 24 + dir.length;
  const length = base + offset + 1;
  const lead = String(length).padStart(5, '0') + leader.slice(5, 12) + String(base).padStart(5, '0') + leader.slice(17, 24);
  return Buffer.concat([Buffer.from(lead, 'latin1'), dir, ...data, Buffer.from([0x1d])]);
}

/** ASCII text with raw bytes mixed in: sf('a', 'caf', 0xe2, 'e') -> 0x1F 'a' 'c' 'a' 'f' 0xE2 'e'. */
export function sf(code: string, ...parts: (string | number)[]): Buffer {
  return Buffer.concat([Buffer.from([0x1f]), Buffer.from(code, 'latin1'), ...parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p, 'latin1')))]);
}

export const hasTool = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/**
 * Validates XML documents against one of the schemas in ../shared/schemas with xmllint, offline
 * (XML_CATALOG_FILES maps every imported schema to a local copy). Returns xmllint's complaints, '' if valid.
 */
export function validateWithSchema(schema: string, documents: string[]): string {
  const root = sharedData();
  if (!root) throw new Error(NO_SHARED);
  const schemas = path.resolve(root, '..', 'schemas');
  const dir = mkdtempSync(path.join(tmpdir(), 'colophon-records-'));
  try {
    const files = documents.map((doc, i) => {
      const file = path.join(dir, `doc${i}.xml`);
      writeFileSync(file, doc);
      return file;
    });
    try {
      execFileSync('xmllint', ['--nonet', '--noout', '--schema', path.join(schemas, schema), ...files], {
        env: { ...process.env, XML_CATALOG_FILES: path.join(schemas, 'catalog.xml') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return '';
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
      return stderr.split('\n').filter((l) => l && !l.endsWith(' validates')).slice(0, 20).join('\n');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The RecordError `fn` throws (any other outcome fails the spec). */
export function fault(fn: () => unknown): RecordError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RecordError) return err;
    throw err;
  }
  throw new Error('expected a RecordError');
}
