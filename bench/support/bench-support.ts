import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Helpers the benchmarks share: free ports, /proc memory and CPU readings, result tables. Linux only. */

/** A failure a bench reports in one line and exits non-zero for. */
export class BenchError extends Error {}

/** How often RssSampler reads VmRSS. */
export const SAMPLE_MS = 100;

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res, rej) => {
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => res());
  });
  const addr = srv.address();
  await new Promise<void>((res) => srv.close(() => res()));
  if (!addr || typeof addr !== 'object') throw new BenchError('could not find a free TCP port');
  return addr.port;
}

/** Fields of /proc/<pid>/status in bytes (VmRSS, VmHWM), or null once the process is gone. */
export function procMemory(pid: number | 'self'): { rss: number; hwm: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null once it is gone. */
export function procCpuSeconds(pid: number, ticksPerSecond: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the parenthesised command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / ticksPerSecond;
}

/** Sample a process's VmRSS every SAMPLE_MS until stopped; keeps the largest. */
export class RssSampler {
  max = 0;
  samples = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number | 'self') {
    this.take();
    this.timer = setInterval(() => this.take(), SAMPLE_MS);
  }
  private take(): void {
    const m = procMemory(this.pid);
    if (m && Number.isFinite(m.rss)) {
      this.max = Math.max(this.max, m.rss);
      this.samples++;
    }
  }
  stop(): number {
    clearInterval(this.timer);
    this.take();
    return this.max;
  }
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  const line = (r: string[]): string => `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join(' | ')} |`;
  const [header, ...body] = rows;
  return [line(header ?? []), `|${widths.map((w, c) => (c === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`, ...body.map(line)].join('\n');
}
