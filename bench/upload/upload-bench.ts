/**
 * Upload benchmark: one large file through the real server (HTTP multipart -> inventory plugin
 * -> storage-local, sha256 on the way) side by side with a plain copy of the same file on the
 * same filesystem, plus the memory the server holds while doing it.
 *
 *   node dist/bench/upload/upload-bench.js [--size-mb 2048] [--repeat 1] [--keep] [--tmp-dir DIR]
 *
 * Everything lives under one temporary root (source file, copies, the server's data dir), so
 * every method reads and writes the same filesystem. Page cache is warm for every run: no cache
 * is dropped (that needs root); instead the source is read once in full before each run, and
 * `sync` flushes dirty pages first so no run pays for the previous run's writeback. No method
 * fsyncs what it writes (cp does not, Node's copy does not, storage-local does not).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PROJECT_ROOT } from '../../core/version';
import { BenchError, freePort, procCpuSeconds, procMemory, RssSampler, SAMPLE_MS, table } from '../support/bench-support';

const MiB = 1024 * 1024;
const MB = 1e6;
/** The memory goal for the server while it receives one upload, in bytes (decimal MB). */
const RSS_GOAL_BYTES = 200 * MB;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const DEFAULT_UPLOAD_LIMIT = 20 * 1024 ** 3;

/**
 * Aborted on SIGINT/SIGTERM: every step takes this signal, so the step in progress fails at once
 * and main's `finally` stops the server and removes the work dir (a second signal exits at once).
 */
const cancel = new AbortController();
const checkCancel = (): void => {
  if (cancel.signal.aborted) throw new BenchError('interrupted');
};

interface Options {
  sizeMb: number;
  keep: boolean;
  tmpDir: string;
  repeat: number;
}

const USAGE = `usage: node dist/bench/upload/upload-bench.js [--size-mb N] [--repeat N] [--keep] [--tmp-dir DIR]
  --size-mb N    size of the source file in MiB (default 2048)
  --repeat N     run each method N times and report the median (default 1; uploads accumulate on disk)
  --keep         keep the temporary root (source, server data dir, server log)
  --tmp-dir DIR  parent of the temporary root (default: the OS temp dir)`;

function parseArgs(argv: string[]): Options | null {
  const o: Options = { sizeMb: 2048, keep: false, tmpDir: tmpdir(), repeat: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new BenchError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--help' || a === '-h') return null;
    else if (a === '--keep') o.keep = true;
    else if (a === '--size-mb') {
      const v = value();
      if (!/^[1-9][0-9]*$/.test(v)) throw new BenchError(`--size-mb: expected a positive whole number of MiB, got "${v}"`);
      o.sizeMb = Number(v);
    } else if (a === '--repeat') {
      const v = value();
      if (!/^[1-9][0-9]*$/.test(v)) throw new BenchError(`--repeat: expected a positive whole number, got "${v}"`);
      o.repeat = Number(v);
    } else if (a === '--tmp-dir') o.tmpDir = resolve(value());
    else throw new BenchError(`unknown argument "${a}"\n${USAGE}`);
  }
  return o;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { ...opts, maxBuffer: 16 * MiB, signal: cancel.signal }, (err, stdout, stderr) => {
      if (err) rej(new BenchError(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else res(stdout);
    });
  });
}

const seconds = (startNs: bigint): number => Number(process.hrtime.bigint() - startNs) / 1e9;

/** Write `sizeMb` MiB of random bytes, one fresh 1 MiB buffer at a time (a buffer handed to write() must not be reused). */
async function writeSource(path: string, sizeMb: number): Promise<void> {
  const out = createWriteStream(path, { flags: 'wx' });
  const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => undefined);
  for (let i = 0; i < sizeMb; i++) {
    if (cancel.signal.aborted) {
      out.destroy();
      checkCancel();
    }
    if (!out.write(randomFillSync(Buffer.allocUnsafe(MiB)))) await Promise.race([once(out, 'drain'), failed]);
  }
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
}

/** Read a file once in full (to put it in the page cache); returns its sha256 when asked. */
async function readThrough(path: string, hash: boolean): Promise<string | null> {
  const h = hash ? createHash('sha256') : null;
  for await (const chunk of createReadStream(path, { highWaterMark: MiB, signal: cancel.signal })) h?.update(chunk as Buffer);
  return h ? h.digest('hex') : null;
}

interface HttpAnswer {
  status: number;
  body: string;
}

function readAnswer(res: IncomingMessage): Promise<HttpAnswer> {
  return new Promise((res_, rej) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => res_({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    res.on('error', rej);
  });
}

/** A small JSON request to the server. */
function httpJson(port: number, method: string, path: string, key: string | null, body?: unknown): Promise<HttpAnswer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((res, rej) => {
    const req = request({
      host: '127.0.0.1', port, method, path,
      headers: {
        ...(key ? { Authorization: `Bearer ${key}` } : {}),
        ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
      },
    });
    req.on('error', rej);
    req.on('response', (r) => readAnswer(r).then(res, rej));
    req.end(payload);
  });
}

/** Parse a 201's JSON body, or fail naming the step and what the server said. */
function created(step: string, a: HttpAnswer): Record<string, unknown> {
  if (a.status !== 201) throw new BenchError(`${step}: expected 201, got ${a.status}: ${a.body.slice(0, 500)}`);
  try {
    return JSON.parse(a.body) as Record<string, unknown>;
  } catch {
    throw new BenchError(`${step}: 201 but the body is not JSON: ${a.body.slice(0, 200)}`);
  }
}

interface UploadResult {
  seconds: number;
  /** When the last request byte was handed to the socket. */
  sentSeconds: number;
  answer: Record<string, unknown>;
}

/**
 * Stream the file as multipart/form-data (field `file`) with a computed Content-Length:
 * preamble, the file's bytes, closing boundary. Timed from the first byte to the parsed 201.
 */
async function upload(port: number, key: string, repId: string, file: string, size: number): Promise<UploadResult> {
  const boundary = `----colophon-bench-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench-source.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const t0 = process.hrtime.bigint();
  let sentSeconds = NaN;
  const req = request({
    signal: cancel.signal,
    host: '127.0.0.1', port, method: 'POST', path: `/api/v1/representations/${encodeURIComponent(repId)}/files`,
    headers: {
      Authorization: `Bearer ${key}`,
      'Content-Type': `multipart/form-data; boundary=${boundary}`,
      'Content-Length': head.length + size + tail.length,
    },
  });
  // The server may answer (an error) before the body is sent; then stop sending.
  const answered = new Promise<HttpAnswer>((res, rej) => {
    req.once('response', (r) => readAnswer(r).then(res, rej));
    req.once('error', rej);
  });
  answered.catch(() => undefined);
  const source = createReadStream(file, { highWaterMark: MiB, signal: cancel.signal });
  const send = (async (): Promise<void> => {
    req.write(head);
    for await (const chunk of source) {
      if (!req.write(chunk as Buffer)) await once(req, 'drain');
    }
    req.end(tail, () => {
      sentSeconds = seconds(t0);
    });
  })();
  // A send failure after the server answered (it closed the socket) is not the story; its answer is.
  const sent = send.then(() => null, (err: unknown) => err as Error);
  let answer: HttpAnswer;
  try {
    answer = await answered;
  } catch (err) {
    source.destroy();
    const sendErr = await Promise.race([sent, new Promise<null>((r) => setTimeout(() => r(null), 100))]);
    throw new BenchError(`upload: request failed: ${(err as Error).message}${sendErr ? ` (while sending: ${sendErr.message})` : ''}`);
  }
  const secs = seconds(t0);
  if (answer.status !== 201) {
    source.destroy();
    req.destroy();
  }
  const body = created('upload', answer);
  const sendErr = await sent;
  if (sendErr) throw new BenchError(`upload: 201 but sending failed: ${sendErr.message}`);
  return { seconds: secs, sentSeconds, answer: body };
}

/** The running server: its process, the tail of its log, and how to stop it. */
class ServerProcess {
  private exited: Promise<number | null>;
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

  static start(root: string, dataDir: string, port: number, configFile: string, logFile: string): ServerProcess {
    // A clean environment: a caller's COLOPHON_* settings (another database, another data dir) must not leak in.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COLOPHON_')));
    const log = createWriteStream(logFile);
    const child = spawn(
      process.execPath,
      [join(root, 'bin', 'colophon.js'), 'serve', '--config', configFile, '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn'],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // Logs go to a file (kept with --keep, quoted on failure), never to the bench's own output.
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('exit', () => setTimeout(() => log.end(), 50));
    return new ServerProcess(child, logFile);
  }

  async waitReady(port: number): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = '';
    while (Date.now() < deadline) {
      checkCancel();
      if (!this.running) throw new BenchError(`the server exited with code ${String(this.exitCode ?? this.child.exitCode)} before it was ready; its log:\n${this.logTail()}`);
      try {
        const a = await httpJson(port, 'GET', '/readyz', null);
        if (a.status === 200) return;
        last = `${a.status} ${a.body.slice(0, 200)}`;
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
    process.stderr.write(`upload-bench: the server did not exit ${STOP_TIMEOUT_MS / 1000} s after SIGTERM; killing it\n`);
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** `df -PT` for a path: device, type, mount point (for the report; the bench only needs st_dev to agree). */
async function filesystemOf(path: string): Promise<string> {
  try {
    const lines = (await run('df', ['-PT', path])).trim().split('\n');
    const f = (lines[1] ?? '').split(/\s+/);
    return `${f[0] ?? '?'} (${f[1] ?? '?'}) mounted on ${f[6] ?? '?'}`;
  } catch {
    return `device ${statSync(path).dev}`;
  }
}

interface Row {
  method: string;
  /** The median of `runs`. */
  seconds: number;
  runs: number[];
  serverPeak?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

const mbps = (bytes: number, s: number): number => bytes / MB / s;
const fmtMB = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (!opts) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (process.platform !== 'linux') throw new BenchError('this bench reads /proc/<pid>/status for memory; it runs on Linux only');
  const repo = PROJECT_ROOT;
  if (!existsSync(join(repo, 'dist', 'core', 'cli', 'main.js'))) throw new BenchError(`the server is not built (no dist/core/cli/main.js); run \`npm run build\` in ${repo}`);
  const size = opts.sizeMb * MiB;
  mkdirSync(opts.tmpDir, { recursive: true });

  // The source, one copy at a time, and every uploaded object must fit.
  const fsStat = statfsSync(opts.tmpDir);
  const free = fsStat.bavail * fsStat.bsize;
  const need = (2 + opts.repeat) * size + 512 * MiB;
  if (free < need) {
    throw new BenchError(`${opts.tmpDir} has ${(free / 1024 ** 3).toFixed(1)} GiB free; the bench needs about ${(need / 1024 ** 3).toFixed(1)} GiB (use --tmp-dir, a smaller --size-mb or fewer --repeat)`);
  }

  const root = await mkdtemp(join(opts.tmpDir, 'colophon-upload-bench-'));
  const dataDir = join(root, 'data');
  const src = join(root, 'source.bin');
  const logFile = join(root, 'server.log');
  mkdirSync(dataDir);
  let server: ServerProcess | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (cancel.signal.aborted) {
      process.stderr.write(`upload-bench: ${sig} again; exiting now (${root} may remain)\n`);
      process.exit(130);
    }
    process.stderr.write(`upload-bench: ${sig}; stopping the server and cleaning up\n`);
    cancel.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const fsDesc = await filesystemOf(root);
    if (statSync(dataDir).dev !== statSync(root).dev) throw new BenchError(`${dataDir} is not on the same filesystem as ${root}`);
    const sameAsRepo = statSync(repo).dev === statSync(root).dev;
    const cpu = cpus();
    console.log('Colophon upload bench');
    console.log(`  date        ${new Date().toISOString()}`);
    console.log(`  machine     ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}`);
    console.log(`  work dir    ${root}`);
    console.log(`  filesystem  ${fsDesc}; server data dir on the same one; ${sameAsRepo ? 'same as the project' : 'NOT the project\'s filesystem'}`);
    const loadStart = loadavg()[0] ?? NaN;
    console.log(`  file        ${opts.sizeMb} MiB (${(size / MB).toFixed(1)} MB) of random (incompressible) bytes`);

    const t = process.hrtime.bigint();
    await writeSource(src, opts.sizeMb);
    console.log(`  source written in ${seconds(t).toFixed(1)} s`);
    console.log('  page cache  warm for all runs (nothing dropped); before each run: `sync`, then the source is read once in full');
    console.log('  durability  no method fsyncs what it writes (cp, Node copy and storage-local alike)');
    console.log('');

    const rows: Row[] = [];
    const prepare = async (): Promise<void> => {
      await run('sync', []);
      await readThrough(src, false);
    };
    /** Run one method `repeat` times, each after `prepare()`; `timed` returns its seconds. */
    const measure = async (method: string, timed: (i: number) => Promise<number>): Promise<Row> => {
      const runs: number[] = [];
      for (let i = 0; i < opts.repeat; i++) {
        await prepare();
        runs.push(await timed(i));
        console.log(`  ran ${method}${opts.repeat > 1 ? ` (${i + 1}/${opts.repeat})` : ''}: ${(runs[i] ?? NaN).toFixed(2)} s`);
      }
      const row: Row = { method, seconds: median(runs), runs };
      rows.push(row);
      return row;
    };

    // Baseline 1: Node stream copy, the same primitive storage-local uses to write.
    const nodeCopy = join(root, 'copy-node.bin');
    const copyRow = await measure('node stream copy', async () => {
      const t = process.hrtime.bigint();
      await pipeline(createReadStream(src), createWriteStream(nodeCopy), { signal: cancel.signal });
      const secs = seconds(t);
      if (statSync(nodeCopy).size !== size) throw new BenchError(`node stream copy: ${statSync(nodeCopy).size} bytes, expected ${size}`);
      await rm(nodeCopy);
      return secs;
    });

    // Baseline 2: cp, a real copy (no reflink even where the filesystem could share blocks).
    const cpCopy = join(root, 'copy-cp.bin');
    const cpRow = await measure('cp --reflink=never', async () => {
      const t = process.hrtime.bigint();
      await run('cp', ['--reflink=never', src, cpCopy]);
      const secs = seconds(t);
      if (statSync(cpCopy).size !== size) throw new BenchError(`cp: ${statSync(cpCopy).size} bytes, expected ${size}`);
      await rm(cpCopy);
      return secs;
    });

    // The server: its own data dir (SQLite, storage-local under data/storage), an upload limit above the file.
    const port = await freePort();
    const configFile = join(root, 'config.json');
    writeFileSync(configFile, JSON.stringify({ plugins: { settings: { inventory: { maxUploadBytes: Math.max(DEFAULT_UPLOAD_LIMIT, size + MiB) } } } }, null, 2));
    checkCancel();
    server = ServerProcess.start(repo, dataDir, port, configFile, logFile);
    const srv = server;
    await srv.waitReady(port);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COLOPHON_')));
    const key = (await run(process.execPath, [join(repo, 'bin', 'colophon.js'), 'apikey', 'create', '--role', 'digital-inventory-operator', '--name', 'upload-bench', '--config', configFile, '--data-dir', dataDir], { cwd: repo, env })).trim();
    if (!key || /\s/.test(key)) throw new BenchError(`apikey create printed something that is not a key: "${key.slice(0, 200)}"`);
    const title = created('create title', await httpJson(port, 'POST', '/api/v1/titles', key, { title: 'Upload bench' }));
    const rep = created('create representation', await httpJson(port, 'POST', `/api/v1/titles/${encodeURIComponent(String(title.id))}/representations`, key, { usageType: 'primary' }));
    const repId = String(rep.id);
    console.log(`  server ready: pid ${srv.pid}, http://127.0.0.1:${port}; API key, title ${String(title.id)} and representation ${repId} created`);

    // The uploads: the expected sha256 comes from an untimed full read of the source; every
    // answer is checked against it. The samplers run across all uploads (and the gaps between).
    const expected = await readThrough(src, true);
    const idle = procMemory(srv.pid);
    const ticks = Number((await run('getconf', ['CLK_TCK']).catch(() => '100')).trim()) || 100;
    const cpuBefore = procCpuSeconds(srv.pid, ticks);
    const serverSampler = new RssSampler(srv.pid);
    const selfSampler = new RssSampler('self');
    const uploads: UploadResult[] = [];
    let upRow: Row;
    try {
      upRow = await measure('Colophon upload (HTTP multipart → storage-local, sha256)', async (i) => {
        const up = await upload(port, key, repId, src, size);
        if (up.answer.sha256 !== expected) throw new BenchError(`upload ${i + 1}: the server's sha256 ${String(up.answer.sha256)} differs from the source's ${String(expected)}`);
        if (up.answer.size !== size) throw new BenchError(`upload ${i + 1}: the server recorded ${String(up.answer.size)} bytes, the source has ${size}`);
        uploads.push(up);
        return up.seconds;
      });
    } finally {
      serverSampler.stop();
      selfSampler.stop();
    }
    const mem = procMemory(srv.pid);
    const cpuAfter = procCpuSeconds(srv.pid, ticks);
    if (!mem) throw new BenchError(`the server went away during the upload; its log:\n${srv.logTail()}`);
    const serverPeak = Math.max(mem.hwm, serverSampler.max);
    upRow.serverPeak = serverPeak;
    console.log('');
    const stored = join(dataDir, 'storage');
    const fileIds = uploads.map((u) => String(u.answer.id)).join(', ');
    const up = uploads[uploads.length - 1];
    if (!up) throw new BenchError('internal: no upload was measured');

    const many = opts.repeat > 1;
    const cells = rows.map((r) => [
      r.method, r.seconds.toFixed(2), mbps(size, r.seconds).toFixed(0), r.serverPeak === undefined ? '—' : fmtMB(r.serverPeak),
      ...(many ? [`${Math.min(...r.runs).toFixed(2)}–${Math.max(...r.runs).toFixed(2)}`] : []),
    ]);
    console.log(table([['method', many ? 'seconds (median)' : 'seconds', 'MB/s', 'peak RSS of the server', ...(many ? [`range of ${opts.repeat} runs, s`] : [])], ...cells]));
    console.log('');
    const upRate = mbps(size, upRow.seconds);
    console.log(`upload throughput: ${((100 * upRate) / mbps(size, copyRow.seconds)).toFixed(0)} % of node stream copy, ${((100 * upRate) / mbps(size, cpRow.seconds)).toFixed(0)} % of cp`);
    console.log(`upload timing${many ? ' (last run)' : ''}: last byte sent at ${up.sentSeconds.toFixed(2)} s, 201 at ${up.seconds.toFixed(2)} s (the gap: type sniffing, rename into place, database row)`);
    console.log(`server memory: ${idle ? fmtMB(idle.rss) : '?'} RSS idle before the upload; peak ${fmtMB(mem.hwm)} (VmHWM, whole life of the process), max sampled VmRSS during the upload${many ? 's' : ''} ${fmtMB(serverSampler.max)} (${serverSampler.samples} samples every ${SAMPLE_MS} ms)`);
    if (cpuBefore !== null && cpuAfter !== null) {
      const cpu = (cpuAfter - cpuBefore) / uploads.length;
      console.log(`server CPU: ${cpu.toFixed(2)} s (user + system) per upload, ${((100 * cpu) / upRow.seconds).toFixed(0)} % of one core over the median upload time`);
    }
    const self = procMemory('self');
    console.log(`bench process memory: max sampled VmRSS during the upload${many ? 's' : ''} ${fmtMB(selfSampler.max)}; peak over the whole run ${self ? fmtMB(Math.max(self.hwm, selfSampler.max)) : '?'} (VmHWM)`);
    console.log(`checked: sha256 ${expected ?? '?'} and size ${size} match the server's answer${many ? 's' : ''} (file ${fileIds}, stored under ${stored})`);
    console.log(`load average (1 min) ${loadStart.toFixed(2)} at the start, ${loadavg()[0]?.toFixed(2) ?? '?'} at the end (other work on the machine skews every figure)`);
    console.log('');
    console.log(`server peak RSS goal < ${RSS_GOAL_BYTES / MB} MB: ${serverPeak < RSS_GOAL_BYTES ? 'PASS' : 'FAIL'} (${fmtMB(serverPeak)})`);
  } finally {
    if (server?.running) {
      const code = await server.stop();
      if (code !== 0 && !cancel.signal.aborted) process.stderr.write(`upload-bench: the server exited with code ${String(code)} on SIGTERM; its log:\n${server.logTail()}\n`);
    }
    if (opts.keep) console.log(`kept ${root} (source.bin, data/, server.log)`);
    else await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  if (cancel.signal.aborted) process.exit(130);
  process.stderr.write(`upload-bench: ${err instanceof BenchError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
