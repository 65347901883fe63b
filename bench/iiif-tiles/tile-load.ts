import { Agent } from 'node:http';
import sharp from 'sharp';
import { BenchError } from '../support/bench-support';
import { cancel, httpRequest, now, secondsSince } from './bench-kit';
import { jpegSize } from './tile-list';

/** The load generator: concurrent keep-alive clients working through one list of image requests. */

export interface ImageJob {
  path: string;
  /** Size the answer must have; `heightSlack` allows ±1 px where the server computes the height ("w," sizes). */
  width: number;
  height: number;
  heightSlack: number;
  /** Same key: the same image (for telling first requests from repeats). */
  key: string;
}

export interface PhaseResult {
  seconds: number;
  /** Per request, in list order, seconds from sending to the last byte. */
  latencies: number[];
  /** Per request: the first request of its key in this phase. */
  first: boolean[];
  bytes: number;
  /** Bodies kept for a full decode after the timing (every `sampleEvery`-th answer). */
  samples: { path: string; body: Buffer; width: number; height: number }[];
}

const MAX_ERRORS = 10;
const REQUEST_TIMEOUT_MS = 120_000;

/**
 * Send `jobs` with `concurrency` clients, each on its own keep-alive connection, each taking the
 * next request of the list when its answer is in. Every answer must be 200 and a JPEG of the
 * expected size (read from its SOF header); after MAX_ERRORS failures the phase stops and fails.
 */
export async function runPhase(port: number, jobs: ImageJob[], concurrency: number, label: string, sampleEvery = 100): Promise<PhaseResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const latencies = new Array<number>(jobs.length).fill(NaN);
  const first = new Array<boolean>(jobs.length).fill(false);
  const seen = new Set<string>();
  const errors: string[] = [];
  const samples: PhaseResult['samples'] = [];
  let bytes = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (errors.length < MAX_ERRORS && !cancel.signal.aborted) {
      const i = next++;
      const job = jobs[i];
      if (!job) return;
      if (!seen.has(job.key)) {
        seen.add(job.key);
        first[i] = true;
      }
      let a;
      try {
        a = await httpRequest(port, job.path, { agent, timeoutMs: REQUEST_TIMEOUT_MS });
      } catch (err) {
        errors.push((err as Error).message);
        continue;
      }
      latencies[i] = a.seconds;
      bytes += a.body.length;
      if (a.status !== 200) {
        errors.push(`GET ${job.path}: HTTP ${a.status}: ${a.body.toString('utf8').slice(0, 200).trim()}`);
        continue;
      }
      const size = jpegSize(a.body);
      if (!size) {
        errors.push(`GET ${job.path}: 200 but not a JPEG (Content-Type ${String(a.headers['content-type'])}, ${a.body.length} bytes)`);
        continue;
      }
      if (size.width !== job.width || Math.abs(size.height - job.height) > job.heightSlack) {
        errors.push(`GET ${job.path}: a ${size.width}×${size.height} JPEG, expected ${job.width}×${job.height}${job.heightSlack ? ` (±${job.heightSlack} in height)` : ''}`);
        continue;
      }
      if (i % sampleEvery === 0) samples.push({ path: job.path, body: a.body, width: size.width, height: size.height });
    }
  };
  const t0 = now();
  try {
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
  } finally {
    agent.destroy();
  }
  const seconds = secondsSince(t0);
  if (cancel.signal.aborted) throw new BenchError('interrupted');
  if (errors.length) {
    throw new BenchError(`${label}: ${errors.length}${errors.length >= MAX_ERRORS ? '+' : ''} failed request(s), the phase stopped; the first:\n  ${errors.slice(0, 5).join('\n  ')}`);
  }
  return { seconds, latencies, first, bytes, samples };
}

/** Decode the kept answers in full (untimed): a JPEG header on a broken body must not pass. */
export async function decodeSamples(samples: PhaseResult['samples'], label: string): Promise<number> {
  for (const s of samples) {
    let info;
    try {
      info = (await sharp(s.body).raw().toBuffer({ resolveWithObject: true })).info;
    } catch (err) {
      throw new BenchError(`${label}: GET ${s.path}: the JPEG does not decode: ${(err as Error).message}`);
    }
    if (info.width !== s.width || info.height !== s.height) throw new BenchError(`${label}: GET ${s.path}: decodes to ${info.width}×${info.height}, its header says ${s.width}×${s.height}`);
  }
  return samples.length;
}

/** The p-th percentile (nearest rank) of some numbers; NaN for none. */
export function percentile(xs: number[], p: number): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

/**
 * Sequential requests of one image (the thumbnail), each after `before()` (a cache reset for a
 * cold series); their latencies in seconds.
 */
export async function sequential(port: number, job: ImageJob, count: number, before: (() => Promise<unknown>) | null, label: string): Promise<number[]> {
  let agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      if (before) {
        await before();
        // A reset may restart the server (iipsrv): a kept-alive socket would be dead. A new
        // connection on 127.0.0.1 adds well under a millisecond.
        agent.destroy();
        agent = new Agent({ keepAlive: true, maxSockets: 1 });
      }
      const a = await httpRequest(port, job.path, { agent, timeoutMs: REQUEST_TIMEOUT_MS });
      if (a.status !== 200) throw new BenchError(`${label}: GET ${job.path}: HTTP ${a.status}: ${a.body.toString('utf8').slice(0, 300)}`);
      const size = jpegSize(a.body);
      if (!size || size.width !== job.width || Math.abs(size.height - job.height) > job.heightSlack) {
        throw new BenchError(`${label}: GET ${job.path}: expected a ${job.width}×${job.height} JPEG, got ${size ? `${size.width}×${size.height}` : 'no JPEG'}`);
      }
      out.push(a.seconds);
    }
  } finally {
    agent.destroy();
  }
  return out;
}
