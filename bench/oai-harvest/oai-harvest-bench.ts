/**
 * OAI-PMH harvest benchmark: a full ListRecords harvest through the real server, per database
 * engine and metadata format, with resumption tokens followed to the end, as one harvester does it.
 *
 *   node dist/bench/oai-harvest/oai-harvest-bench.js [--titles 100000] [--engines sqlite,mariadb]
 *        [--page-size 100] [--chunk 2000] [--gzip] [--keep] [--tmp-dir DIR] [--mariadb-url URL]
 *
 * For each engine: a fresh data dir (and for MariaDB a fresh database), the server as a child
 * process (`node bin/colophon.js serve`, oai-pmh with publish = 'all'), --titles generated MARCXML
 * records loaded through POST /api/v1/titles/batch in chunks, then ListRecords in oai_dc and in
 * marc21 by one client over one keep-alive connection, each page timed from the request to the
 * last byte of the answer. Every harvest is checked: no identifier twice, exactly the titles
 * loaded, a <metadata> for each record, no OAI-PMH error. The figures are set beside the goals
 * and beside what published OAI-PMH providers reach.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, createWriteStream, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request, type IncomingMessage } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createConnection } from 'mysql2/promise';
import { marcCollection } from './marc-generator';
import { PROJECT_ROOT } from '../../core/version';
import { BenchError, freePort, procCpuSeconds, procMemory, RssSampler, table } from '../support/bench-support';

const MB = 1e6;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
/** One batch request may take a while on a slow disk; a harvest page must not. */
const LOAD_TIMEOUT_MS = 15 * 60_000;
const PAGE_TIMEOUT_MS = 120_000;
const DEFAULT_MARIADB_URL = 'mysql://root@127.0.0.1:3306';
/** The bench's own database on MariaDB: created fresh, dropped at the end (an earlier --keep leftover is dropped first). */
const MARIADB_DATABASE = 'colophon_bench_oai';
const SEED = 20_261_130;

type Engine = 'sqlite' | 'mariadb';
const ENGINE_NAMES: Record<Engine, string> = { sqlite: 'SQLite', mariadb: 'MariaDB' };
const FORMATS = ['oai_dc', 'marc21'] as const;
type Prefix = (typeof FORMATS)[number];

/** Goals: records per second for a full harvest, per engine; last page at most this many times the first. */
const RATE_GOALS: Record<Engine, number> = { sqlite: 5000, mariadb: 3000 };
const LAST_FIRST_GOAL = 1.2;
/** What published OAI-PMH providers reach on a full ListRecords harvest (context, not a goal). */
const REFERENCE_RATE = 300;

/** Aborted on SIGINT/SIGTERM: the step in progress fails and main's `finally` cleans up. */
const cancel = new AbortController();
const checkCancel = (): void => {
  if (cancel.signal.aborted) throw new BenchError('interrupted');
};

interface Options {
  titles: number;
  engines: Engine[];
  pageSize: number;
  chunk: number;
  gzip: boolean;
  keep: boolean;
  tmpDir: string;
  mariadbUrl: string;
}

const USAGE = `usage: node dist/bench/oai-harvest/oai-harvest-bench.js [options]
  --titles N         titles to load and harvest (default 100000)
  --engines LIST     sqlite, mariadb or both, comma-separated (default sqlite,mariadb)
  --page-size N      oai-pmh pageSize: records per ListRecords page (default 100)
  --chunk N          records per POST /api/v1/titles/batch (default 2000)
  --gzip             harvest with Accept-Encoding: gzip (default: identity, as most harvesters)
  --keep             keep the work dir (data dirs, server logs) and the MariaDB database
  --tmp-dir DIR      parent of the work dir (default: the OS temp dir)
  --mariadb-url URL  MariaDB server, without a database (default ${DEFAULT_MARIADB_URL}); the bench creates
                     and drops the database ${MARIADB_DATABASE} there`;

function positive(flag: string, v: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^[1-9][0-9]*$/.test(v) || Number(v) > max) throw new BenchError(`${flag}: expected a whole number from 1 to ${max}, got "${v}"`);
  return Number(v);
}

function parseArgs(argv: string[]): Options | null {
  const o: Options = { titles: 100_000, engines: ['sqlite', 'mariadb'], pageSize: 100, chunk: 2000, gzip: false, keep: false, tmpDir: tmpdir(), mariadbUrl: DEFAULT_MARIADB_URL };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new BenchError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--help' || a === '-h') return null;
    else if (a === '--keep') o.keep = true;
    else if (a === '--gzip') o.gzip = true;
    else if (a === '--titles') o.titles = positive(a, value());
    // The plugin's own limit (oai-pmh config: pageSize 1..5000).
    else if (a === '--page-size') o.pageSize = positive(a, value(), 5000);
    else if (a === '--chunk') o.chunk = positive(a, value());
    else if (a === '--tmp-dir') o.tmpDir = resolve(value());
    else if (a === '--mariadb-url') {
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
    } else if (a === '--engines') {
      const names = value().split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
      const bad = names.filter((n) => n !== 'sqlite' && n !== 'mariadb');
      if (!names.length || bad.length) throw new BenchError(`--engines: expected sqlite and/or mariadb, got "${bad.join(',') || '(nothing)'}"`);
      o.engines = [...new Set(names as Engine[])];
    } else throw new BenchError(`unknown argument "${a}"\n${USAGE}`);
  }
  return o;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { ...opts, maxBuffer: 16 * MB, signal: cancel.signal }, (err, stdout, stderr) => {
      if (err) rej(new BenchError(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else res(stdout);
    });
  });
}

const now = (): bigint => process.hrtime.bigint();
const secondsSince = (t: bigint): number => Number(now() - t) / 1e9;

/** A clean environment: a caller's COLOPHON_* settings (another database, data dir) must not leak in. */
const cleanEnv = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COLOPHON_')));

// ---------------------------------------------------------------------------------------------
// /proc: memory and CPU of the server (and of the database server, when it is a local process)

/**
 * Reset a process's VmHWM to its current RSS (writing 5 to /proc/<pid>/clear_refs, Linux ≥ 4.0,
 * needs the right to ptrace it), so that the peak read afterwards is the peak of one phase.
 */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The pid of the local MariaDB server, for its CPU time (null when it runs elsewhere or cannot be seen). */
async function mariadbPid(url: string): Promise<number | null> {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return null;
  for (const name of ['mariadbd', 'mysqld']) {
    const out = await run('pidof', [name]).catch(() => '');
    const pid = Number(out.trim().split(/\s+/)[0]);
    if (pid > 0) return pid;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// HTTP

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** From the request being sent to the last byte of the answer. */
  seconds: number;
}

/** One request; the body is read in full. Keep-alive through `agent` (one socket: one client). */
function httpRequest(agent: Agent, port: number, method: string, path: string, headers: Record<string, string | number>, body: Buffer | null, timeoutMs: number): Promise<Answer> {
  return new Promise((res, rej) => {
    const t0 = now();
    const req = request({ agent, host: '127.0.0.1', port, method, path, headers, signal: AbortSignal.any([cancel.signal, AbortSignal.timeout(timeoutMs)]) });
    req.once('error', (err) => rej(new BenchError(`${method} ${path.slice(0, 120)}: ${cancel.signal.aborted ? 'interrupted' : err.message}`)));
    req.once('response', (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.once('error', (err) => rej(new BenchError(`${method} ${path.slice(0, 120)}: ${err.message}`)));
      r.once('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks), seconds: secondsSince(t0) }));
    });
    req.end(body ?? undefined);
  });
}

// ---------------------------------------------------------------------------------------------
// The server

class ServerProcess {
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;
  constructor(readonly child: ChildProcess, readonly logFile: string) {
    this.exited = new Promise((res) => child.once('exit', (code, signal) => res(code ?? (signal ? 128 : null))));
    void this.exited.then((c) => {
      this.exitCode = c;
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new BenchError('the server process has no pid (it did not start)');
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server log)';
    }
  }

  static start(root: string, args: string[], logFile: string): ServerProcess {
    const log = createWriteStream(logFile);
    const child = spawn(process.execPath, [join(root, 'bin', 'colophon.js'), 'serve', ...args, '--log-level', 'warn'], { cwd: root, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    // Logs go to a file (kept with --keep, quoted on failure), never to the bench's own output.
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('exit', () => setTimeout(() => log.end(), 50));
    return new ServerProcess(child, logFile);
  }

  async waitReady(agent: Agent, port: number): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = '';
    while (Date.now() < deadline) {
      checkCancel();
      if (!this.running) throw new BenchError(`the server exited with code ${String(this.exitCode ?? this.child.exitCode)} before it was ready; its log:\n${this.logTail()}`);
      try {
        const a = await httpRequest(agent, port, 'GET', '/readyz', {}, null, 5000);
        if (a.status === 200) return;
        last = `${a.status} ${a.body.toString('utf8').slice(0, 200)}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new BenchError(`the server was not ready within ${READY_TIMEOUT_MS / 1000} s (last /readyz: ${last}); its log:\n${this.logTail()}`);
  }

  /** SIGTERM, wait for the exit; SIGKILL if it does not come in time. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.exitCode ?? this.child.exitCode;
    this.child.kill('SIGTERM');
    const timedOut = Symbol('timeout');
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.exited, new Promise<symbol>((res) => (timer = setTimeout(() => res(timedOut), STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (r !== timedOut) return r as number | null;
    process.stderr.write(`oai-harvest-bench: the server did not exit ${STOP_TIMEOUT_MS / 1000} s after SIGTERM; killing it\n`);
    this.child.kill('SIGKILL');
    return this.exited;
  }
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
    throw new BenchError(`cannot connect to MariaDB at ${new URL(url).host}: ${(err as Error).message} (start it, pass --mariadb-url, or run --engines sqlite)`);
  }
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${MARIADB_DATABASE}\``);
    await c.query(`CREATE DATABASE \`${MARIADB_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const [rows] = await c.query('SELECT VERSION() AS v');
    const version = String((rows as { v: string }[])[0]?.v ?? '?');
    const u = new URL(url);
    u.pathname = `/${MARIADB_DATABASE}`;
    return { url: u.toString(), version };
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
// Load and harvest

interface LoadResult {
  seconds: number;
  /** Summed request times of the batches (the server's share, without generating the records). */
  requestSeconds: number;
  ids: Set<string>;
  recordBytes: number[];
  bodyBytes: number;
}

/** POST the titles in chunks of MARCXML collections; every chunk must come back 201 with one id per record. */
async function loadTitles(agent: Agent, port: number, key: string, o: Options, label: string): Promise<LoadResult> {
  const ids = new Set<string>();
  const recordBytes: number[] = [];
  let bodyBytes = 0;
  let requestSeconds = 0;
  const chunks = Math.ceil(o.titles / o.chunk);
  const t0 = now();
  let reported = 0;
  for (let c = 0; c < chunks; c++) {
    checkCancel();
    const from = c * o.chunk;
    const to = Math.min(o.titles, from + o.chunk);
    const { body, recordBytes: sizes } = marcCollection(SEED, from, to);
    recordBytes.push(...sizes);
    bodyBytes += body.length;
    const a = await httpRequest(agent, port, 'POST', '/api/v1/titles/batch', { Authorization: `Bearer ${key}`, 'Content-Type': 'application/marcxml+xml', 'Content-Length': body.length }, body, LOAD_TIMEOUT_MS);
    requestSeconds += a.seconds;
    const text = a.body.toString('utf8');
    if (a.status !== 201) throw new BenchError(`load: batch ${c + 1}/${chunks} (records ${from + 1}-${to}): expected 201, got ${a.status}: ${text.slice(0, 600)}`);
    let answer: { created?: unknown; items?: { id?: unknown }[] };
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      throw new BenchError(`load: batch ${c + 1}: 201 but the body is not JSON: ${text.slice(0, 200)}`);
    }
    const items = Array.isArray(answer.items) ? answer.items : [];
    if (answer.created !== to - from || items.length !== to - from) throw new BenchError(`load: batch ${c + 1}: sent ${to - from} records, the server created ${String(answer.created)} (${items.length} items)`);
    for (const it of items) {
      const id = String(it.id);
      if (ids.has(id)) throw new BenchError(`load: the server returned title id ${id} twice`);
      ids.add(id);
    }
    // A progress line every tenth of the load (and at the end).
    const done = Math.floor((10 * (c + 1)) / chunks);
    if (done > reported || c === chunks - 1) {
      reported = done;
      const s = secondsSince(t0);
      process.stdout.write(`    ${label}: ${String(to).padStart(String(o.titles).length)}/${o.titles} titles, ${s.toFixed(1)} s, ${(to / s).toFixed(0)} titles/s so far (last batch ${a.seconds.toFixed(2)} s)\n`);
    }
  }
  return { seconds: secondsSince(t0), requestSeconds, ids, recordBytes, bodyBytes };
}

interface HarvestResult {
  prefix: Prefix;
  records: number;
  /** Wall time of the whole harvest (first request to last page checked). */
  seconds: number;
  pageSeconds: number[];
  pageRecords: number[];
  /** Response bodies as received, and decoded (differ with --gzip). */
  wireBytes: number;
  xmlBytes: number;
  /** Server memory during the harvest: VmHWM after a reset at its start (null if the reset failed), max sampled VmRSS. */
  peakHwm: number | null;
  maxRss: number;
  serverCpu: number | null;
  dbCpu: number | null;
  clientCpu: number;
}

const HEADER = /<record><header( status="deleted")?><identifier>([^<]*)<\/identifier>/g;
const TOKEN = /<resumptionToken\b([^>]*?)(?:\/>|>([^<]*)<\/resumptionToken>)/;

/** Follow resumption tokens from the first ListRecords page to the one with an empty token, checking every page. */
async function harvest(agent: Agent, port: number, prefix: Prefix, o: Options, expected: Set<string>, pids: { server: number; db: number | null }, ticks: number): Promise<HarvestResult> {
  const seen = new Set<string>();
  const pageSeconds: number[] = [];
  const pageRecords: number[] = [];
  let wireBytes = 0;
  let xmlBytes = 0;
  const headers: Record<string, string> = o.gzip ? { 'Accept-Encoding': 'gzip' } : { 'Accept-Encoding': 'identity' };
  const resetOk = resetPeak(pids.server);
  const sampler = new RssSampler(pids.server);
  const cpu0 = procCpuSeconds(pids.server, ticks);
  const db0 = pids.db === null ? null : procCpuSeconds(pids.db, ticks);
  const self0 = process.cpuUsage();
  const t0 = now();
  let path = `/oai?verb=ListRecords&metadataPrefix=${prefix}`;
  try {
    for (let page = 1; ; page++) {
      checkCancel();
      const a = await httpRequest(agent, port, 'GET', path, headers, null, PAGE_TIMEOUT_MS);
      pageSeconds.push(a.seconds);
      wireBytes += a.body.length;
      const where = `${prefix} page ${page}`;
      if (a.status !== 200) throw new BenchError(`${where}: HTTP ${a.status}: ${a.body.toString('utf8').slice(0, 300)}`);
      const xml = (a.headers['content-encoding'] === 'gzip' ? gunzipSync(a.body) : a.body).toString('utf8');
      xmlBytes += Buffer.byteLength(xml);
      const err = /<error code="([^"]*)">([^<]*)</.exec(xml);
      if (err) throw new BenchError(`${where}: OAI-PMH error ${err[1] ?? '?'}: ${err[2] ?? ''}`);
      let n = 0;
      for (const m of xml.matchAll(HEADER)) {
        const ident = m[2] ?? '';
        if (m[1]) throw new BenchError(`${where}: ${ident} is a deleted record; the bench deletes nothing`);
        if (seen.has(ident)) throw new BenchError(`${where}: ${ident} was harvested twice`);
        seen.add(ident);
        const id = ident.slice(ident.lastIndexOf(':') + 1);
        if (!expected.has(id)) throw new BenchError(`${where}: ${ident} is not one of the titles loaded`);
        n++;
      }
      const metadata = xml.split('<metadata>').length - 1;
      if (metadata !== n) throw new BenchError(`${where}: ${n} records but ${metadata} <metadata> elements`);
      if (n === 0 || n > o.pageSize) throw new BenchError(`${where}: ${n} records on a page (page size ${o.pageSize})`);
      pageRecords.push(n);
      const tok = TOKEN.exec(xml);
      const size = tok ? /completeListSize="(\d+)"/.exec(tok[1] ?? '')?.[1] : undefined;
      if (size !== undefined && Number(size) !== expected.size) throw new BenchError(`${where}: completeListSize ${size}, but ${expected.size} titles were loaded`);
      const token = tok?.[2]?.trim() ?? '';
      if (!token) break;
      if (n !== o.pageSize) throw new BenchError(`${where}: a page with a resumption token holds ${n} records, not the page size ${o.pageSize}`);
      path = `/oai?verb=ListRecords&resumptionToken=${encodeURIComponent(token)}`;
    }
  } finally {
    sampler.stop();
  }
  const seconds = secondsSince(t0);
  const self = process.cpuUsage(self0);
  const cpu1 = procCpuSeconds(pids.server, ticks);
  const db1 = pids.db === null ? null : procCpuSeconds(pids.db, ticks);
  const mem = procMemory(pids.server);
  if (!mem) throw new BenchError(`the server went away during the ${prefix} harvest`);
  if (seen.size !== expected.size) throw new BenchError(`${prefix}: harvested ${seen.size} records, ${expected.size} titles were loaded`);
  return {
    prefix, records: seen.size, seconds, pageSeconds, pageRecords, wireBytes, xmlBytes,
    peakHwm: resetOk ? mem.hwm : null,
    maxRss: sampler.max,
    serverCpu: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null,
    dbCpu: db0 !== null && db1 !== null ? db1 - db0 : null,
    clientCpu: (self.user + self.system) / 1e6,
  };
}

// ---------------------------------------------------------------------------------------------
// Figures

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const ms = (s: number): string => `${(s * 1000).toFixed(1)} ms`;
const fmtMB = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

interface PageFigures {
  first: number;
  /** The last page that holds a full page size (the last page itself when the count divides evenly). */
  last: number;
  lastIndex: number;
  ratio: number;
  /** Noise-resistant variant: mean of the 10 pages after the first against the mean of the last 10 full pages. */
  earlyMean: number;
  lateMean: number;
  p50: number;
  p95: number;
  max: number;
}

function pageFigures(h: HarvestResult, pageSize: number): PageFigures {
  const full = h.pageRecords.map((n, i) => (n === pageSize ? i : -1)).filter((i) => i >= 0);
  const lastIndex = full.length > 1 ? (full[full.length - 1] ?? 0) : h.pageSeconds.length - 1;
  const first = h.pageSeconds[0] ?? NaN;
  const last = h.pageSeconds[lastIndex] ?? NaN;
  // Only when the two windows do not overlap (at least 21 pages).
  const windows = h.pageSeconds.length >= 21;
  const early = windows ? h.pageSeconds.slice(1, 11) : [];
  const late = windows ? full.slice(-10).map((i) => h.pageSeconds[i] ?? NaN) : [];
  return {
    first, last, lastIndex, ratio: last / first,
    earlyMean: early.length ? mean(early) : NaN,
    lateMean: late.length ? mean(late) : NaN,
    p50: percentile(h.pageSeconds, 50),
    p95: percentile(h.pageSeconds, 95),
    max: Math.max(...h.pageSeconds),
  };
}

/** Mean of each tenth of the pages, in harvest order (fewer groups when there are fewer than ten pages). */
function tenths(xs: number[]): number[] {
  const groups = Math.min(10, xs.length);
  return Array.from({ length: groups }, (_, g) => mean(xs.slice(Math.floor((g * xs.length) / groups), Math.floor(((g + 1) * xs.length) / groups))));
}

interface EngineResult {
  engine: Engine;
  load: LoadResult;
  /** VmHWM of the server process that took the load. */
  loadPeak: number;
  harvests: HarvestResult[];
  /** VmHWM of the server process that served the harvests, over its whole life. */
  harvestServerPeak: number;
}

function printHarvest(h: HarvestResult, o: Options): void {
  const f = pageFigures(h, o.pageSize);
  const rate = h.records / h.seconds;
  console.log(`    ${h.prefix}: ${h.records} records in ${h.pageSeconds.length} pages, ${h.seconds.toFixed(2)} s, ${rate.toFixed(0)} records/s`);
  console.log(`      page latency: first ${ms(f.first)}, last full page (#${f.lastIndex + 1}) ${ms(f.last)}, ratio ${f.ratio.toFixed(2)}; p50 ${ms(f.p50)}, p95 ${ms(f.p95)}, max ${ms(f.max)}`);
  if (Number.isFinite(f.earlyMean)) console.log(`      pages 2-11 mean ${ms(f.earlyMean)}, last 10 full pages mean ${ms(f.lateMean)} (ratio ${(f.lateMean / f.earlyMean).toFixed(2)})`);
  console.log(`      mean page latency per tenth of the harvest: ${tenths(h.pageSeconds).map((x) => (x * 1000).toFixed(1)).join(', ')} ms`);
  console.log(`      response bytes: ${fmtMB(h.xmlBytes)} of XML${o.gzip ? `, ${fmtMB(h.wireBytes)} on the wire (gzip)` : ''}, ${(h.xmlBytes / h.records).toFixed(0)} bytes per record`);
  console.log(`      server memory: peak ${h.peakHwm === null ? '? (VmHWM could not be reset)' : fmtMB(h.peakHwm)} (VmHWM during the harvest), max sampled VmRSS ${fmtMB(h.maxRss)}`);
  const cpu = h.serverCpu === null ? '?' : `${h.serverCpu.toFixed(1)} s (${((100 * h.serverCpu) / h.seconds).toFixed(0)} % of one core)`;
  const db = h.dbCpu === null ? '' : `, MariaDB server ${h.dbCpu.toFixed(1)} s (${((100 * h.dbCpu) / h.seconds).toFixed(0)} %)`;
  console.log(`      CPU: Colophon server ${cpu}${db}, bench client ${h.clientCpu.toFixed(1)} s`);
}

function summary(results: EngineResult[], o: Options): void {
  const cols: { label: string; e: EngineResult; h: HarvestResult; f: PageFigures }[] = [];
  for (const e of results) for (const h of e.harvests) cols.push({ label: `${ENGINE_NAMES[e.engine]} ${h.prefix}`, e, h, f: pageFigures(h, o.pageSize) });
  const row = (name: string, cell: (c: (typeof cols)[number]) => string): string[] => [name, ...cols.map(cell)];
  const rows = [
    ['', ...cols.map((c) => c.label)],
    row('load, titles/s (batch requests)', (c) => loadRate(c.e)),
    row('records/s', (c) => (c.h.records / c.h.seconds).toFixed(0)),
    row('total, s', (c) => c.h.seconds.toFixed(2)),
    row('pages', (c) => String(c.h.pageSeconds.length)),
    row('first page, ms', (c) => (c.f.first * 1000).toFixed(1)),
    row('last full page, ms', (c) => (c.f.last * 1000).toFixed(1)),
    row('last / first', (c) => c.f.ratio.toFixed(2)),
    row('last 10 / pages 2-11 (means)', (c) => (Number.isFinite(c.f.earlyMean) ? (c.f.lateMean / c.f.earlyMean).toFixed(2) : 'n/a')),
    row('p50 page, ms', (c) => (c.f.p50 * 1000).toFixed(1)),
    row('p95 page, ms', (c) => (c.f.p95 * 1000).toFixed(1)),
    row('response, MB', (c) => (c.h.xmlBytes / MB).toFixed(1)),
    row('server VmHWM during harvest, MB', (c) => (c.h.peakHwm === null ? '?' : (c.h.peakHwm / MB).toFixed(1))),
    row('server max sampled RSS, MB', (c) => (c.h.maxRss / MB).toFixed(1)),
    row('harvest server VmHWM, whole life, MB', (c) => (c.e.harvestServerPeak / MB).toFixed(1)),
    row('load server VmHWM, MB', (c) => (c.e.loadPeak / MB).toFixed(1)),
    row('server CPU, % of one core', (c) => (c.h.serverCpu === null ? '?' : ((100 * c.h.serverCpu) / c.h.seconds).toFixed(0))),
    row('MariaDB CPU, % of one core', (c) => (c.h.dbCpu === null ? '—' : ((100 * c.h.dbCpu) / c.h.seconds).toFixed(0))),
    row(`× reference ${REFERENCE_RATE} records/s`, (c) => (c.h.records / c.h.seconds / REFERENCE_RATE).toFixed(1)),
  ];
  console.log(table(rows));
  console.log('');
  console.log('goals:');
  let failed = 0;
  for (const c of cols) {
    const rate = c.h.records / c.h.seconds;
    const goal = RATE_GOALS[c.e.engine];
    const ok = rate >= goal;
    if (!ok) failed++;
    console.log(`  ${c.label.padEnd(16)} ≥ ${goal} records/s: ${ok ? 'PASS' : 'FAIL'} (${rate.toFixed(0)})`);
  }
  for (const c of cols) {
    const ok = c.f.ratio <= LAST_FIRST_GOAL;
    if (!ok) failed++;
    console.log(`  ${c.label.padEnd(16)} last page ≤ ${LAST_FIRST_GOAL}× first: ${Number.isFinite(c.f.ratio) ? (ok ? 'PASS' : 'FAIL') : 'n/a (one page)'} (${ms(c.f.last)} / ${ms(c.f.first)} = ${c.f.ratio.toFixed(2)})`);
  }
  // The first page also counts the whole list (completeListSize), so last/first can pass while pages
  // drift; the means of pages 2-11 and of the last 10 full pages show drift either way.
  for (const c of cols) {
    if (Number.isFinite(c.f.earlyMean)) console.log(`  ${c.label.padEnd(16)} (info) drift, last 10 full pages / pages 2-11: ${ms(c.f.lateMean)} / ${ms(c.f.earlyMean)} = ${(c.f.lateMean / c.f.earlyMean).toFixed(2)}`);
  }
  console.log(`  ${failed ? `${failed} goal(s) not met` : 'all goals met'}`);
  console.log('');
  console.log(`context: published OAI-PMH providers reach about ${REFERENCE_RATE} records/s on a full ListRecords harvest.`);
}

/** Titles per second of batch-request time (the load's rate, per engine). */
function loadRate(e: EngineResult): string {
  return `${(e.load.ids.size / e.load.requestSeconds).toFixed(0)}`;
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
  if (!existsSync(join(repo, 'dist', 'core', 'cli', 'main.js'))) throw new BenchError(`the server is not built (no dist/core/cli/main.js); run \`npm run build\` in ${repo}`);
  mkdirSync(o.tmpDir, { recursive: true });
  const root = await mkdtemp(join(o.tmpDir, 'colophon-oai-bench-'));
  /** The server process running now, if any (stopped in `finally` on any failure). */
  const live: { server: ServerProcess | null } = { server: null };
  let mariadbCreated = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (cancel.signal.aborted) {
      process.stderr.write(`oai-harvest-bench: ${sig} again; exiting now (${root} and the database ${MARIADB_DATABASE} may remain)\n`);
      process.exit(130);
    }
    process.stderr.write(`oai-harvest-bench: ${sig}; stopping the server and cleaning up\n`);
    cancel.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const ticks = Number((await run('getconf', ['CLK_TCK']).catch(() => '100')).trim()) || 100;
  const results: EngineResult[] = [];

  try {
    const cpu = cpus();
    console.log('Colophon OAI-PMH harvest bench');
    console.log(`  date        ${new Date().toISOString()}`);
    console.log(`  machine     ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}`);
    console.log(`  work dir    ${root}`);
    console.log(`  titles      ${o.titles} generated MARCXML records (seed ${SEED}), loaded in batches of ${o.chunk}`);
    console.log(`  harvest     ListRecords oai_dc, then marc21; pageSize ${o.pageSize}; one client, one keep-alive connection; Accept-Encoding: ${o.gzip ? 'gzip' : 'identity'}`);
    const loadStart = loadavg()[0] ?? NaN;
    console.log(`  load avg    ${loadStart.toFixed(2)} (1 min) at the start`);
    console.log('');

    for (const engine of o.engines) {
      checkCancel();
      const dir = join(root, engine);
      const dataDir = join(dir, 'data');
      mkdirSync(dataDir, { recursive: true });
      const configFile = join(dir, 'config.json');
      writeFileSync(configFile, JSON.stringify({ plugins: { settings: { 'oai-pmh': { publish: 'all', pageSize: o.pageSize } } } }, null, 2));
      const dbArgs: string[] = [];
      let dbPid: number | null = null;
      if (engine === 'mariadb') {
        const db = await createBenchDatabase(o.mariadbUrl);
        mariadbCreated = true;
        dbArgs.push('--database-url', db.url);
        dbPid = await mariadbPid(o.mariadbUrl);
        console.log(`${ENGINE_NAMES[engine]} (${db.version}, database ${MARIADB_DATABASE} at ${new URL(o.mariadbUrl).host}${dbPid ? `, server pid ${dbPid}` : ''})`);
      } else console.log(`${ENGINE_NAMES[engine]} (better-sqlite3, WAL, ${dataDir})`);

      const port = await freePort();
      const serveArgs = ['--config', configFile, '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), ...dbArgs];
      /** One server process on this engine's data; stopped (and `server` cleared) when `body` is done. */
      const withServer = async <T>(logName: string, body: (srv: ServerProcess, agent: Agent) => Promise<T>): Promise<T> => {
        // One socket: one client's requests, one after the other.
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        const srv = ServerProcess.start(repo, serveArgs, join(dir, logName));
        live.server = srv;
        try {
          await srv.waitReady(agent, port);
          return await body(srv, agent);
        } finally {
          agent.destroy();
          const code = await srv.stop();
          live.server = null;
          if (code !== 0 && !cancel.signal.aborted) process.stderr.write(`oai-harvest-bench: the ${engine} server exited with code ${String(code)} on SIGTERM; its log:\n${srv.logTail()}\n`);
        }
      };

      // The load, through one server process.
      const { load, loadPeak } = await withServer('server-load.log', async (srv, agent) => {
        const key = (await run(process.execPath, [join(repo, 'bin', 'colophon.js'), 'apikey', 'create', '--role', 'digital-inventory-operator', '--name', 'oai-harvest-bench', '--config', configFile, '--data-dir', dataDir, ...dbArgs], { cwd: repo, env: cleanEnv() })).trim();
        if (!key || /\s/.test(key)) throw new BenchError(`apikey create printed something that is not a key: "${key.slice(0, 200)}"`);
        const idle = procMemory(srv.pid);
        console.log(`  load server: pid ${srv.pid}, http://127.0.0.1:${port}, ${idle ? fmtMB(idle.rss) : '?'} RSS idle`);
        const l = await loadTitles(agent, port, key, o, `${ENGINE_NAMES[engine]} load`);
        const sizes = [...l.recordBytes].sort((a, b) => a - b);
        console.log(`  load: ${l.ids.size} titles in ${l.seconds.toFixed(1)} s (${l.requestSeconds.toFixed(1)} s in batch requests): ${(l.ids.size / l.requestSeconds).toFixed(0)} titles/s; ${fmtMB(l.bodyBytes)} of MARCXML, records ${percentile(sizes, 0).toFixed(0)}-${percentile(sizes, 100).toFixed(0)} bytes (median ${percentile(sizes, 50).toFixed(0)}, mean ${mean(sizes).toFixed(0)})`);
        const m = procMemory(srv.pid);
        if (!m) throw new BenchError(`the server went away after the load; its log:\n${srv.logTail()}`);
        console.log(`  load server memory: VmHWM ${fmtMB(m.hwm)}, VmRSS ${fmtMB(m.rss)} at the end of the load`);
        return { load: l, loadPeak: m.hwm };
      });

      // The harvests, through a fresh server process on the same data: its memory is the
      // harvest's own (a server that just parsed and rendered 100,000 records keeps that heap),
      // as for a provider that serves harvesters while records arrive by another route.
      const result = await withServer('server-harvest.log', async (srv, agent) => {
        // Harvesters start with Identify; it also gets the route's code loaded before the first timed page.
        const id = await httpRequest(agent, port, 'GET', '/oai?verb=Identify', { 'Accept-Encoding': 'identity' }, null, PAGE_TIMEOUT_MS);
        if (id.status !== 200 || !id.body.includes('<Identify>')) throw new BenchError(`Identify: HTTP ${id.status}: ${id.body.toString('utf8').slice(0, 300)}`);
        const idle = procMemory(srv.pid);
        console.log(`  harvest server: pid ${srv.pid}, ${idle ? fmtMB(idle.rss) : '?'} RSS after Identify`);
        const harvests: HarvestResult[] = [];
        for (const prefix of FORMATS) {
          const h = await harvest(agent, port, prefix, o, load.ids, { server: srv.pid, db: dbPid }, ticks);
          printHarvest(h, o);
          harvests.push(h);
        }
        const end = procMemory(srv.pid);
        // VmHWM was reset before each harvest: the process's own peak is the larger of every reading.
        const life = Math.max(end?.hwm ?? 0, ...harvests.map((h) => h.peakHwm ?? 0), idle?.hwm ?? 0);
        return { engine, load, loadPeak, harvests, harvestServerPeak: life };
      });
      results.push(result);
      console.log(`  checked: both harvests returned each of the ${load.ids.size} loaded titles exactly once, with metadata, no errors, no deletions`);
      console.log('');
    }

    console.log(`Summary: ${o.titles} titles, pageSize ${o.pageSize}, load average (1 min) ${loadStart.toFixed(2)} at the start, ${loadavg()[0]?.toFixed(2) ?? '?'} now`);
    summary(results, o);
  } finally {
    if (live.server?.running) await live.server.stop();
    if (mariadbCreated && !o.keep) {
      await dropBenchDatabase(o.mariadbUrl).catch((err: unknown) => process.stderr.write(`oai-harvest-bench: could not drop the database ${MARIADB_DATABASE}: ${(err as Error).message}\n`));
    }
    if (o.keep) console.log(`kept ${root} (per engine: config.json, data/, server-load.log, server-harvest.log)${mariadbCreated ? ` and the MariaDB database ${MARIADB_DATABASE}` : ''}`);
    else await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  if (cancel.signal.aborted) process.exit(130);
  process.stderr.write(`oai-harvest-bench: ${err instanceof BenchError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
