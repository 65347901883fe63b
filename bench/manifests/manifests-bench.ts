/**
 * IIIF manifest benchmark: one representation of 1,000 image files, its manifest requested
 * through the real server, cold (the first request after an edit of the representation, so the
 * document is built from the database) and warm (served from the document store), in
 * Presentation 3.0 and 2.1, uncompressed and gzip.
 *
 *   node dist/bench/manifests/manifests-bench.js [--files 1000] [--cold 20] [--warm 200]
 *        [--db sqlite|mariadb] [--upload-concurrency 4] [--keep] [--tmp-dir DIR] [--mariadb-url URL]
 *
 * Colophon runs as a child process (`node bin/colophon.js serve`, its own data dir, SQLite or a
 * fresh MariaDB database). The files are small real JPEGs of varied sizes uploaded through the
 * staff API, so every file row is what ingest makes of it (stored width and height, a thumbnail);
 * a manifest needs no more than that. Every answer is checked: HTTP 200, the media type with the
 * profile, one canvas per file with the stored size, the label just edited (cold), the same
 * ETag throughout (warm: nothing was rebuilt).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createConnection } from 'mysql2/promise';
import sharp from 'sharp';
import { PROJECT_ROOT } from '../../core/version';
import { cancel, checkCancel, ChildServer, cleanEnv, httpRequest, json, now, run, secondsSince, sleep, type Answer } from '../iiif-tiles/bench-kit';
import { BenchError, freePort, procMemory, table } from '../support/bench-support';

const DEFAULT_MARIADB_URL = 'mysql://root@127.0.0.1:3306';
/** The bench's own database on MariaDB: created fresh, dropped at the end. */
const MARIADB_DATABASE = 'colophon_bench_manifests';
const SETTLE_TIMEOUT_MS = 10 * 60_000;
/** Goals of the issue: warm p50 ≤ 20 ms; cold ≤ 300 ms (read as the p50, like the warm goal; the p95 is printed beside it). */
const GOAL_WARM_P50_MS = 20;
const GOAL_COLD_MS = 300;

type Db = 'sqlite' | 'mariadb';
type Version = 3 | 2;
type Encoding = 'identity' | 'gzip';

interface Options {
  files: number;
  cold: number;
  warm: number;
  db: Db;
  uploadConcurrency: number;
  keep: boolean;
  tmpDir: string;
  mariadbUrl: string;
}

const USAGE = `usage: node dist/bench/manifests/manifests-bench.js [options]
  --files N               image files in the representation (default 1000)
  --cold N                cold requests per version and encoding, each after an edit (default 20)
  --warm N                warm requests per version and encoding (default 200)
  --db sqlite|mariadb     database engine (default sqlite)
  --upload-concurrency N  parallel uploads while loading (default 4)
  --keep                  keep the work dir (data dir, server log) and the MariaDB database
  --tmp-dir DIR           parent of the work dir (default: the OS temp dir)
  --mariadb-url URL       MariaDB server, without a database (default ${DEFAULT_MARIADB_URL}); the bench
                          creates and drops the database ${MARIADB_DATABASE} there`;

function positive(flag: string, v: string, max = 1_000_000): number {
  if (!/^[1-9][0-9]*$/.test(v) || Number(v) > max) throw new BenchError(`${flag}: expected a whole number from 1 to ${max}, got "${v}"`);
  return Number(v);
}

function parseArgs(argv: string[]): Options | null {
  const o: Options = { files: 1000, cold: 20, warm: 200, db: 'sqlite', uploadConcurrency: 4, keep: false, tmpDir: tmpdir(), mariadbUrl: DEFAULT_MARIADB_URL };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new BenchError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--help' || a === '-h') return null;
    else if (a === '--files') o.files = positive(a, value(), 100_000);
    else if (a === '--cold') o.cold = positive(a, value(), 10_000);
    else if (a === '--warm') o.warm = positive(a, value());
    else if (a === '--upload-concurrency') o.uploadConcurrency = positive(a, value(), 64);
    else if (a === '--keep') o.keep = true;
    else if (a === '--tmp-dir') o.tmpDir = resolve(value());
    else if (a === '--db') {
      const v = value();
      if (v !== 'sqlite' && v !== 'mariadb') throw new BenchError(`--db: expected sqlite or mariadb, got "${v}"`);
      o.db = v;
    } else if (a === '--mariadb-url') {
      const v = value();
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        throw new BenchError(`--mariadb-url: not a URL: "${v}"`);
      }
      if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') throw new BenchError(`--mariadb-url: expected mysql://user@host:port, got "${v}"`);
      if (u.pathname.replace(/\/+$/, '') !== '') throw new BenchError(`--mariadb-url: give the server only; the bench uses its own database ${MARIADB_DATABASE}`);
      o.mariadbUrl = v;
    } else throw new BenchError(`unknown argument "${a}"\n${USAGE}`);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// MariaDB: the bench's own database

function adminConnection(url: string): ReturnType<typeof createConnection> {
  const u = new URL(url);
  return createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password) });
}

async function createBenchDatabase(url: string): Promise<{ url: string; version: string }> {
  let c;
  try {
    c = await adminConnection(url);
  } catch (err) {
    throw new BenchError(`cannot connect to MariaDB at ${new URL(url).host}: ${(err as Error).message} (start it, pass --mariadb-url, or run --db sqlite)`);
  }
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${MARIADB_DATABASE}\``);
    await c.query(`CREATE DATABASE \`${MARIADB_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const [rows] = await c.query('SELECT VERSION() AS v');
    const u = new URL(url);
    u.pathname = `/${MARIADB_DATABASE}`;
    return { url: u.toString(), version: String((rows as { v: string }[])[0]?.v ?? '?') };
  } finally {
    await c.end();
  }
}

async function dropBenchDatabase(url: string): Promise<void> {
  const c = await adminConnection(url);
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${MARIADB_DATABASE}\``);
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Load: a title, a representation, N uploaded JPEGs

/** Width and height of file i: varied, as scanned pages of one book are (portrait, some landscape plates). */
function sizeOf(i: number): { width: number; height: number } {
  const w = 60 + ((i * 37) % 90);
  const h = 80 + ((i * 53) % 110);
  return i % 17 === 0 ? { width: h, height: w } : { width: w, height: h };
}

/** A small real JPEG of that size (a gradient and a bar, so files differ). */
function jpegOf(i: number): Promise<Buffer> {
  const { width, height } = sizeOf(i);
  const hue = (i * 47) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="hsl(${hue},40%,80%)"/>` +
    `<rect x="${width / 8}" y="${(height * (i % 7)) / 8}" width="${(width * 3) / 4}" height="${height / 10}" fill="hsl(${hue},40%,30%)"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 75 }).toBuffer();
}

function multipart(data: Buffer, filename: string, fields: Record<string, string>): { body: Buffer; type: string } {
  const boundary = `----colophon-bench-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: image/jpeg\r\n\r\n`), data, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

interface Loaded {
  repId: string;
  fileIds: string[];
  sizes: Map<string, { width: number; height: number }>;
  seconds: number;
}

async function load(port: number, key: string, o: Options, say: (s: string) => void): Promise<Loaded> {
  const auth = { Authorization: `Bearer ${key}` };
  const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const b = Buffer.from(JSON.stringify(body));
    return json(`POST ${path}`, await httpRequest(port, path, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', 'Content-Length': b.length }, body: b }), 201);
  };
  const title = await post('/api/v1/titles', { title: `A book of ${o.files} pages`, creator: ['Colophon manifest bench'], date: '1850', type: 'Text', language: 'eng' });
  const rep = await post(`/api/v1/titles/${String(title.id)}/representations`, { usageType: 'primary', label: 'Scans' });
  const repId = String(rep.id);
  const t0 = now();
  const fileIds: string[] = new Array<string>(o.files);
  const sizes = new Map<string, { width: number; height: number }>();
  let next = 0;
  let done = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: o.uploadConcurrency });
  try {
    // Uploads run in parallel, but the sequence order is the order of the answers: each worker
    // takes the next index, and the file ids are kept by index for the canvas check.
    const worker = async (): Promise<void> => {
      for (;;) {
        checkCancel();
        const i = next++;
        if (i >= o.files) return;
        const { body, type } = multipart(await jpegOf(i), `p${String(i + 1).padStart(5, '0')}.jpg`, { label: `p. ${i + 1}`, ...(i % 100 === 0 ? { section: `Part ${i / 100 + 1}` } : {}) });
        const f = json(`upload file ${i + 1}`, await httpRequest(port, `/api/v1/representations/${repId}/files`, { agent, method: 'POST', headers: { ...auth, 'Content-Type': type, 'Content-Length': body.length }, body, timeoutMs: 120_000 }), 201);
        const want = sizeOf(i);
        if (f.width !== want.width || f.height !== want.height) throw new BenchError(`file ${i + 1}: stored ${String(f.width)}×${String(f.height)}, made ${want.width}×${want.height}`);
        fileIds[i] = String(f.id);
        sizes.set(String(f.id), want);
        if (++done % Math.max(1, Math.floor(o.files / 5)) === 0) say(`    uploaded ${done}/${o.files} (${secondsSince(t0).toFixed(1)} s)`);
      }
    };
    await Promise.all(Array.from({ length: o.uploadConcurrency }, worker));
  } finally {
    agent.destroy();
  }
  return { repId, fileIds, sizes, seconds: secondsSince(t0) };
}

/**
 * Wait until the background jobs that follow ingest are done: thumbnails (each one records a
 * file update, which would invalidate the manifest mid-run) and IIIF derivatives (CPU).
 */
async function settle(port: number, key: string, l: Loaded, say: (s: string) => void): Promise<void> {
  const lastUploaded = [...l.sizes.keys()].pop() ?? '';
  const auth = { Authorization: `Bearer ${key}` };
  const t0 = now();
  let shownAt = 0;
  for (;; await sleep(500)) {
    checkCancel();
    const files = json('list the files', await httpRequest(port, `/api/v1/representations/${l.repId}/files`, { headers: auth }), 200) as unknown as { id: string; thumbnail?: { status?: string } }[];
    if (!files.every((f) => typeof f.thumbnail?.status === 'string')) throw new BenchError('the file list carries no thumbnail.status: the staff API changed; adjust settle()');
    const pending = files.filter((f) => f.thumbnail?.status === 'pending').length;
    if (pending === 0) {
      // Parallel uploads take their sequence in commit order: the canvases follow this list.
      if (files.length !== l.fileIds.length) throw new BenchError(`${files.length} files listed, ${l.fileIds.length} uploaded`);
      l.fileIds = files.map((f) => f.id);
      break;
    }
    if (secondsSince(t0) * 1000 > SETTLE_TIMEOUT_MS) throw new BenchError(`${pending} thumbnails still pending after ${SETTLE_TIMEOUT_MS / 60_000} minutes`);
    if (secondsSince(t0) - shownAt >= 10) {
      shownAt = secondsSince(t0);
      say(`    waiting for thumbnails: ${pending} pending`);
    }
  }
  // Derivatives are made in file order: the last file's being settled means all are.
  const last = lastUploaded;
  for (;;) {
    checkCancel();
    const a = await httpRequest(port, `/api/v1/files/${last}/iiif-derivative`, { headers: auth });
    if (a.status !== 200) break;
    const status = String((JSON.parse(a.body.toString('utf8')) as { status?: unknown }).status);
    if (status !== 'pending') break;
    if (secondsSince(t0) * 1000 > SETTLE_TIMEOUT_MS) throw new BenchError('IIIF derivatives still pending');
    await sleep(500);
  }
  say(`    background jobs done after ${secondsSince(t0).toFixed(1)} s more`);
}

// ---------------------------------------------------------------------------------------------
// Timing

const MEDIA_TYPE: Record<Version, string> = {
  3: 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"',
  2: 'application/ld+json;profile="http://iiif.io/api/presentation/2/context.json"',
};

interface Doc {
  etag: string;
  json: string;
  wireBytes: number;
}

/** GET a manifest and check it: 200, media type, encoding, one canvas per file with its stored size. */
async function getManifest(agent: Agent, port: number, l: Loaded, v: Version, enc: Encoding, deep: boolean): Promise<Doc & { seconds: number }> {
  const path = `/iiif/presentation/${v}/${l.repId}/manifest`;
  const a: Answer = await httpRequest(port, path, { agent, headers: { 'Accept-Encoding': enc }, timeoutMs: 120_000 });
  if (a.status !== 200) throw new BenchError(`GET ${path}: HTTP ${a.status}: ${a.body.toString('utf8').slice(0, 300)}`);
  if (a.headers['content-type'] !== MEDIA_TYPE[v]) throw new BenchError(`GET ${path}: Content-Type ${String(a.headers['content-type'])}`);
  const gz = a.headers['content-encoding'] === 'gzip';
  if (gz !== (enc === 'gzip')) throw new BenchError(`GET ${path} with Accept-Encoding ${enc}: Content-Encoding ${String(a.headers['content-encoding'])}`);
  const text = (gz ? gunzipSync(a.body) : a.body).toString('utf8');
  if (deep) checkCanvases(text, l, v);
  return { seconds: a.seconds, etag: String(a.headers.etag), json: text, wireBytes: a.body.length };
}

function checkCanvases(text: string, l: Loaded, v: Version): void {
  const doc = JSON.parse(text) as Record<string, unknown>;
  const canvases = (v === 3 ? doc.items : (doc.sequences as { canvases: unknown[] }[] | undefined)?.[0]?.canvases) as Record<string, unknown>[] | undefined;
  if (!Array.isArray(canvases) || canvases.length !== l.fileIds.length) throw new BenchError(`${v}: ${canvases?.length ?? 0} canvases for ${l.fileIds.length} files`);
  canvases.forEach((c, i) => {
    const fileId = l.fileIds[i] ?? '';
    const id = String(v === 3 ? c.id : c['@id']);
    const size = l.sizes.get(fileId);
    if (!id.endsWith(`/canvas/${fileId}`) || c.width !== size?.width || c.height !== size?.height) {
      throw new BenchError(`${v}: canvas ${i + 1} is ${id} ${String(c.width)}×${String(c.height)}, expected file ${fileId} ${size?.width ?? '?'}×${size?.height ?? '?'}`);
    }
  });
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

interface Series {
  kind: 'cold' | 'warm' | 'revalidate';
  v: Version;
  enc: Encoding;
  ms: number[];
  jsonBytes: number;
  wireBytes: number;
}

const msOf = (s: number): number => s * 1000;

/**
 * Cold: PATCH the label of a file (a change event: the document store drops the title's
 * documents in that transaction), then one GET per version, each the first since the edit, so
 * each builds its document. The label must show in the answer.
 */
async function coldRuns(agent: Agent, port: number, key: string, l: Loaded, o: Options, series: Map<string, Series>): Promise<void> {
  const fileId = l.fileIds[Math.floor(l.fileIds.length / 2)] ?? '';
  let etag3 = '';
  // Encodings alternate edit by edit, so neither gets the quieter or the warmer half of the run.
  for (let k = 0; k < 2 * o.cold; k++) {
    checkCancel();
    const enc: Encoding = k % 2 ? 'gzip' : 'identity';
    const i = Math.floor(k / 2);
    const label = `p. ${Math.floor(l.fileIds.length / 2) + 1} (edit ${enc} ${i + 1})`;
    const b = Buffer.from(JSON.stringify({ label }));
    json('PATCH a file label', await httpRequest(port, `/api/v1/files/${fileId}`, { agent, method: 'PATCH', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Content-Length': b.length }, body: b }), 200);
    for (const v of [3, 2] as const) {
      const d = await getManifest(agent, port, l, v, enc, k < 2);
      if (!d.json.includes(label)) throw new BenchError(`cold ${v} ${enc} #${i + 1}: the new label "${label}" is not in the manifest (a stale copy was served)`);
      if (v === 3) {
        if (d.etag === etag3) throw new BenchError(`cold 3 ${enc} #${i + 1}: the ETag did not change after the edit`);
        etag3 = d.etag;
      }
      const s = series.get(`cold ${v} ${enc}`) ?? { kind: 'cold', v, enc, ms: [], jsonBytes: Buffer.byteLength(d.json), wireBytes: d.wireBytes };
      s.ms.push(msOf(d.seconds));
      series.set(`cold ${v} ${enc}`, s);
    }
  }
}

/** Warm: the same manifest again and again; the ETag must not change (nothing rebuilt it). */
async function warmRuns(agent: Agent, port: number, l: Loaded, o: Options, v: Version, enc: Encoding, series: Map<string, Series>): Promise<void> {
  const first = await getManifest(agent, port, l, v, enc, true);
  const s: Series = { kind: 'warm', v, enc, ms: [], jsonBytes: Buffer.byteLength(first.json), wireBytes: first.wireBytes };
  for (let i = 0; i < o.warm; i++) {
    checkCancel();
    const d = await getManifest(agent, port, l, v, enc, false);
    if (d.etag !== first.etag) throw new BenchError(`warm ${v} ${enc} #${i + 1}: the ETag changed (${first.etag} → ${d.etag}): the document was rebuilt without an edit`);
    if (d.json.length !== first.json.length) throw new BenchError(`warm ${v} ${enc} #${i + 1}: the document changed size`);
    s.ms.push(msOf(d.seconds));
  }
  series.set(`warm ${v} ${enc}`, s);
  // A viewer that has the document revalidates it: If-None-Match → 304.
  const r: Series = { kind: 'revalidate', v, enc, ms: [], jsonBytes: 0, wireBytes: 0 };
  for (let i = 0; i < Math.min(o.warm, 50); i++) {
    const a = await httpRequest(port, `/iiif/presentation/${v}/${l.repId}/manifest`, { agent, headers: { 'Accept-Encoding': enc, 'If-None-Match': first.etag } });
    if (a.status !== 304) throw new BenchError(`revalidate ${v} ${enc}: HTTP ${a.status}, expected 304`);
    r.ms.push(msOf(a.seconds));
  }
  series.set(`304 ${v} ${enc}`, r);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (!o) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (process.platform !== 'linux') throw new BenchError('this bench reads /proc/<pid>/status for memory; it runs on Linux only');
  const repo = PROJECT_ROOT;
  const bin = join(repo, 'bin', 'colophon.js');
  if (!existsSync(join(repo, 'dist', 'core', 'cli', 'main.js'))) throw new BenchError(`the server is not built (no dist/core/cli/main.js); run \`npm run build\` in ${repo}`);
  mkdirSync(o.tmpDir, { recursive: true });
  const root = await mkdtemp(join(o.tmpDir, 'colophon-manifests-bench-'));
  let server: ChildServer | null = null;
  let mariadbCreated = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (cancel.signal.aborted) process.exit(130);
    process.stderr.write(`manifests-bench: ${sig}; stopping the server and cleaning up\n`);
    cancel.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const say = (s: string): void => console.log(s);

  try {
    const cpu = cpus();
    console.log('Colophon IIIF manifest bench');
    console.log(`  date        ${new Date().toISOString()}`);
    console.log(`  machine     ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}`);
    console.log(`  work dir    ${root}`);
    console.log(`  content     one representation of ${o.files} JPEGs (${sizeOf(0).width}×${sizeOf(0).height} to ~150×190 px, stored sizes varied), uploaded through the staff API, ${o.uploadConcurrency} at a time`);
    console.log(`  requests    one client, one keep-alive connection; cold: ${o.cold} edits × (3.0 + 2.1) per encoding, the encodings alternating; warm: ${o.warm} per version and encoding`);
    const loadStart = loadavg()[0] ?? NaN;
    console.log(`  load avg    ${loadStart.toFixed(2)} (1 min) at the start`);

    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { recursive: true });
    const configFile = join(root, 'config.json');
    // One thumbnail run takes every file (default 200 per run; the rest would wait for the 5-minute sweep).
    writeFileSync(configFile, JSON.stringify({ repository: { name: 'Manifest bench library' }, plugins: { settings: { inventory: { thumbnailBatch: o.files + 10 } } } }, null, 2));
    const dbArgs: string[] = [];
    let dbFact = `SQLite (better-sqlite3, WAL, ${dataDir})`;
    if (o.db === 'mariadb') {
      const db = await createBenchDatabase(o.mariadbUrl);
      mariadbCreated = true;
      dbArgs.push('--database-url', db.url);
      dbFact = `MariaDB ${db.version} (database ${MARIADB_DATABASE} at ${new URL(o.mariadbUrl).host})`;
    }
    console.log(`  database    ${dbFact}`);
    console.log('');

    const port = await freePort();
    const srv = ChildServer.start('Colophon', process.execPath, [bin, 'serve', '--config', configFile, '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), '--base-url', `http://127.0.0.1:${port}`, ...dbArgs, '--log-level', 'warn'], join(root, 'server.log'), { cwd: repo });
    server = srv;
    await srv.waitHttp(port, '/readyz');
    const key = (await run(process.execPath, [bin, 'apikey', 'create', '--role', 'general-system-administrator', '--name', 'manifests-bench', '--config', configFile, '--data-dir', dataDir, ...dbArgs], { cwd: repo, env: cleanEnv() })).trim();
    if (!key || /\s/.test(key)) throw new BenchError(`apikey create printed something that is not a key: "${key.slice(0, 200)}"`);
    say(`  server: pid ${srv.pid}, http://127.0.0.1:${port}`);

    say('  load:');
    const l = await load(port, key, o, say);
    say(`    ${o.files} files in ${l.seconds.toFixed(1)} s (${(o.files / l.seconds).toFixed(0)} uploads/s)`);
    await settle(port, key, l, say);
    const mem = procMemory(srv.pid);
    say(`  server memory after the load: VmRSS ${mem ? (mem.rss / 1e6).toFixed(1) : '?'} MB`);

    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const series = new Map<string, Series>();
    try {
      // The route's code and the builders get loaded (and JIT-compiled a little) before timing, as on a server that has been up.
      for (const v of [3, 2] as const) await getManifest(agent, port, l, v, 'identity', true);
      say('  cold (an edit, then the first GET of each version):');
      await coldRuns(agent, port, key, l, o, series);
      say('  warm (the same document again):');
      for (const enc of ['identity', 'gzip'] as const) {
        for (const v of [3, 2] as const) {
          await warmRuns(agent, port, l, o, v, enc, series);
          say(`    ${v === 3 ? '3.0' : '2.1'} ${enc}: done`);
        }
      }
    } finally {
      agent.destroy();
    }
    const after = procMemory(srv.pid);
    say(`  server memory at the end: VmRSS ${after ? (after.rss / 1e6).toFixed(1) : '?'} MB, VmHWM ${after ? (after.hwm / 1e6).toFixed(1) : '?'} MB`);
    console.log('');

    const rows: string[][] = [['request', 'n', 'p50 ms', 'p95 ms', 'max ms', 'JSON kB', 'on the wire kB']];
    const order = ['cold', 'warm', '304'];
    const keys = [...series.keys()].sort((a, b) => order.indexOf(a.split(' ')[0] ?? '') - order.indexOf(b.split(' ')[0] ?? '') || a.localeCompare(b));
    for (const k of keys) {
      const s = series.get(k);
      if (!s) continue;
      const [kind, v, enc] = k.split(' ');
      rows.push([
        `${kind} ${v === '3' ? '3.0' : '2.1'} ${enc}`, String(s.ms.length), percentile(s.ms, 50).toFixed(1), percentile(s.ms, 95).toFixed(1), Math.max(...s.ms).toFixed(1),
        s.jsonBytes ? (s.jsonBytes / 1000).toFixed(0) : '—', s.wireBytes ? (s.wireBytes / 1000).toFixed(0) : '—',
      ]);
    }
    console.log(`Manifest of ${o.files} canvases on ${o.db === 'mariadb' ? 'MariaDB' : 'SQLite'}; load average (1 min) ${loadStart.toFixed(2)} at the start, ${loadavg()[0]?.toFixed(2) ?? '?'} now`);
    console.log(table(rows));
    console.log('');
    console.log('goals:');
    let failed = 0;
    let strictMisses = 0;
    for (const s of series.values()) {
      if (s.kind === 'revalidate') continue;
      const label = `${s.kind} ${s.v === 3 ? '3.0' : '2.1'} ${s.enc}`.padEnd(20);
      if (s.kind === 'warm') {
        const p50 = percentile(s.ms, 50);
        const ok = p50 <= GOAL_WARM_P50_MS;
        if (!ok) failed++;
        console.log(`  ${label} p50 ≤ ${GOAL_WARM_P50_MS} ms: ${ok ? 'PASS' : 'FAIL'} (${p50.toFixed(1)} ms)`);
      } else {
        const p50 = percentile(s.ms, 50);
        const p95 = percentile(s.ms, 95);
        const ok = p50 <= GOAL_COLD_MS;
        if (!ok) failed++;
        if (p95 > GOAL_COLD_MS) strictMisses++;
        console.log(`  ${label} p50 ≤ ${GOAL_COLD_MS} ms: ${ok ? 'PASS' : 'FAIL'} (${p50.toFixed(1)} ms); stricter, p95 ≤ ${GOAL_COLD_MS} ms: ${p95 <= GOAL_COLD_MS ? 'PASS' : 'FAIL'} (${p95.toFixed(1)} ms)`);
      }
    }
    console.log(`  ${failed ? `${failed} goal(s) not met` : 'all goals met'}${strictMisses ? ` (the stricter cold p95 reading misses in ${strictMisses} of 4)` : ''}`);
    console.log('');
    console.log('context: the issue notes that peer servers time out building manifests of a few hundred images.');
  } finally {
    if (server?.running) await server.stop();
    if (mariadbCreated && !o.keep) {
      await dropBenchDatabase(o.mariadbUrl).catch((err: unknown) => process.stderr.write(`manifests-bench: could not drop the database ${MARIADB_DATABASE}: ${(err as Error).message}\n`));
    }
    if (o.keep) console.log(`kept ${root} (config.json, data/, server.log)${mariadbCreated ? ` and the MariaDB database ${MARIADB_DATABASE}` : ''}`);
    else await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  if (cancel.signal.aborted) process.exit(130);
  process.stderr.write(`manifests-bench: ${err instanceof BenchError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
