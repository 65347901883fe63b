import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { procMemory, SAMPLE_MS } from '../support/bench-support';

/**
 * Memory of a server that is more than one process (lighttpd and the iipsrv FastCGI processes it
 * spawns): the tree under a root pid, from /proc. Linux only.
 */

/** The parent pid of a process, or null once it is gone. */
function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may hold spaces): state, ppid, ...
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** `root` and every live descendant of it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const ppid = parentOf(pid);
    if (ppid === null) continue;
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop() ?? root;
    // A zombie has no memory and is not the server any more.
    if (procMemory(pid) === null || state(pid) === 'Z') continue;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

function state(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return 'X';
  }
}

/** The command name of a process (/proc/<pid>/comm). */
export function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/**
 * Reset the VmHWM of every process in a tree to its current RSS (writing 5 to clear_refs,
 * Linux ≥ 4.0), so that a peak read afterwards is the peak of one phase. False if any failed.
 */
export function resetPeaks(pids: number[]): boolean {
  let ok = true;
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      ok = false;
    }
  }
  return ok;
}

/** Sum of VmRSS and of VmHWM over some processes (a tree's, by default), bytes. */
export function treeMemory(root: number, pids = processTree(root)): { rss: number; hwm: number; processes: number } {
  let rss = 0;
  let hwm = 0;
  let processes = 0;
  for (const pid of pids) {
    const m = procMemory(pid);
    if (!m || !Number.isFinite(m.rss)) continue;
    rss += m.rss;
    hwm += Number.isFinite(m.hwm) ? m.hwm : m.rss;
    processes++;
  }
  return { rss, hwm, processes };
}

const TREE_REFRESH = 10;

/**
 * Samples the summed VmRSS of a process tree every SAMPLE_MS and keeps the largest; also keeps
 * the largest sum of VmHWM seen (each process's own peak since the last reset), which catches
 * spikes between samples and bounds the tree's true peak from above.
 */
export class TreeRssSampler {
  maxRss = 0;
  maxHwmSum = 0;
  samples = 0;
  private readonly timer: NodeJS.Timeout;
  /** The tree's members, found again every TREE_REFRESH samples (a /proc scan costs the client CPU the servers share). */
  private pids: number[] = [];

  constructor(private readonly root: () => number) {
    this.take();
    this.timer = setInterval(() => this.take(), SAMPLE_MS);
  }

  private take(): void {
    if (this.samples % TREE_REFRESH === 0 || !this.pids.length) this.pids = processTree(this.root());
    const m = treeMemory(this.root(), this.pids);
    if (!m.processes) return;
    this.maxRss = Math.max(this.maxRss, m.rss);
    this.maxHwmSum = Math.max(this.maxHwmSum, m.hwm);
    this.samples++;
  }

  /** Stop sampling after one last reading. */
  stop(): this {
    clearInterval(this.timer);
    this.pids = [];
    this.take();
    return this;
  }
}
