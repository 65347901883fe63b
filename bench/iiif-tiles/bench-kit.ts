import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { request, type Agent, type IncomingMessage } from 'node:http';
import { BenchError } from '../support/bench-support';

/** What the tile bench's parts share: cancellation, commands, HTTP requests and child servers. */

/** Aborted on SIGINT/SIGTERM: the step in progress fails and main's `finally` cleans up. */
export const cancel = new AbortController();

/** Throw when the bench was interrupted. */
export function checkCancel(): void {
  if (cancel.signal.aborted) throw new BenchError('interrupted');
}

/** Wait `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

/** Run a command to its end; its stdout, or a BenchError naming it with its stderr. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { ...opts, maxBuffer: 16 * 1024 * 1024, signal: cancel.signal }, (err, stdout, stderr) => {
      if (err) rej(new BenchError(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else res(stdout);
    });
  });
}

export const now = (): bigint => process.hrtime.bigint();
export const secondsSince = (t: bigint): number => Number(now() - t) / 1e9;

export interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** From the request being sent to the last byte of the answer. */
  seconds: number;
}

export interface RequestOptions {
  agent?: Agent;
  method?: string;
  headers?: Record<string, string | number>;
  body?: Buffer | null;
  timeoutMs?: number;
}

/** One request to 127.0.0.1:port; the body is read in full. */
export function httpRequest(port: number, path: string, o: RequestOptions = {}): Promise<Answer> {
  const method = o.method ?? 'GET';
  return new Promise((res, rej) => {
    const t0 = now();
    const req = request({
      agent: o.agent, host: '127.0.0.1', port, method, path, headers: o.headers,
      signal: AbortSignal.any([cancel.signal, AbortSignal.timeout(o.timeoutMs ?? 60_000)]),
    });
    req.once('error', (err) => rej(new BenchError(`${method} ${path.slice(0, 160)}: ${cancel.signal.aborted ? 'interrupted' : err.message}`)));
    req.once('response', (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.once('error', (err) => rej(new BenchError(`${method} ${path.slice(0, 160)}: ${err.message}`)));
      r.once('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks), seconds: secondsSince(t0) }));
    });
    req.end(o.body ?? undefined);
  });
}

/** A JSON answer's body, or a BenchError naming the step and what came back. */
export function json(step: string, a: Answer, expected: number): Record<string, unknown> {
  const text = a.body.toString('utf8');
  if (a.status !== expected) throw new BenchError(`${step}: expected ${expected}, got ${a.status}: ${text.slice(0, 500)}`);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new BenchError(`${step}: ${a.status} but the body is not JSON: ${text.slice(0, 200)}`);
  }
}

/** A clean environment: a caller's COLOPHON_* settings (another database, data dir) must not leak in. */
export const cleanEnv = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COLOPHON_')));

const STOP_TIMEOUT_MS = 20_000;
const READY_TIMEOUT_MS = 120_000;

/** A server started by the bench as a child process, its output in a log file. */
export class ChildServer {
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(readonly name: string, readonly child: ChildProcess, readonly logFile: string) {
    this.exited = new Promise((res) => child.once('exit', (code, signal) => res(code ?? (signal ? 128 : null))));
    void this.exited.then((c) => {
      this.exitCode = c;
    });
  }

  /** Spawn `cmd args`; stdout and stderr go to `logFile` (appended: a restarted server keeps one log). */
  static start(name: string, cmd: string, args: string[], logFile: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildServer {
    const log = createWriteStream(logFile, { flags: 'a' });
    // A log that cannot be written (its directory removed under it) must not take the bench down.
    log.once('error', (err) => process.stderr.write(`iiif-tiles-bench: ${name} log ${logFile}: ${err.message}\n`));
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('exit', () => setTimeout(() => log.end(), 50));
    // A spawn failure (no such binary) surfaces as an exit, read by waitHttp.
    child.once('error', (err) => log.write(`spawn failed: ${err.message}\n`));
    return new ChildServer(name, child, logFile);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new BenchError(`${this.name} has no pid (it did not start); its log:\n${this.logTail()}`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Poll `path` until it answers 200; fail when the process exits first or the time runs out. */
  async waitHttp(port: number, path: string, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      checkCancel();
      if (!this.running) throw new BenchError(`${this.name} exited with code ${String(this.exitCode ?? this.child.exitCode)} before it was ready; its log:\n${this.logTail()}`);
      try {
        const a = await httpRequest(port, path, { timeoutMs: 5000 });
        if (a.status === 200) return;
        last = `${a.status} ${a.body.toString('utf8').slice(0, 200)}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(50);
    }
    throw new BenchError(`${this.name} was not ready within ${timeoutMs / 1000} s (last GET ${path}: ${last}); its log:\n${this.logTail()}`);
  }

  /** SIGTERM, wait for the exit; SIGKILL if it does not come in time. The exit code. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.exitCode ?? this.child.exitCode;
    this.child.kill('SIGTERM');
    const timedOut = Symbol('timeout');
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.exited, new Promise<symbol>((res) => (timer = setTimeout(() => res(timedOut), STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (r !== timedOut) return r as number | null;
    process.stderr.write(`iiif-tiles-bench: ${this.name} did not exit ${STOP_TIMEOUT_MS / 1000} s after SIGTERM; killing it\n`);
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** One IIIF image server under test, however it is run. */
export interface TileServer {
  /** As printed: "iipsrv", "iiif-processor", "Colophon". */
  readonly name: string;
  readonly port: number;
  /** The IIIF Image API version the bench speaks to it (tile URL forms differ). */
  readonly version: 2 | 3;
  /** How it is set up and what it reads, one line each, for the printed output. */
  readonly facts: string[];
  /** What a cold reset does to it, for the printed output. */
  readonly coldResetHow: string;
  /** The path of an image request: the service's base plus "/" + `tail` ("info.json" or "region/size/rotation/quality.format"). */
  imagePath(tail: string): string;
  /** The root of the processes that hold its memory (it may change across a restart). */
  rootPid(): number;
  /** Make the next requests cold: empty the server's caches of rendered or decoded images. */
  coldReset(): Promise<void>;
  /** Stop it and everything it started. */
  stop(): Promise<void>;
  logTail(): string;
}
