/**
 * IIIF tile benchmark: 512 px tiles at random positions and scale factors of a 10000×10000 image,
 * from concurrent keep-alive clients on 127.0.0.1, against Colophon and two peers in one run:
 * Debian's iipsrv (IIIF 2.1, FastCGI behind lighttpd) and the npm iiif-processor (in a tiny
 * node:http server). Each server gets the same request list twice: cold (its caches emptied
 * first) and warm (straight after); then a 200 px thumbnail of the whole image, cold and warm.
 *
 *   node dist/bench/iiif-tiles/iiif-tiles-bench.js [--requests 2000] [--only iipsrv,iiif-processor,colophon]
 *        [--db sqlite|mariadb] [--concurrency 8] [--keep] [--tmp-dir DIR] ...
 *
 * The servers run one after the other (never together: they would share the cores). Every answer
 * is checked: HTTP 200, a JPEG (its SOF header) of the expected size; a sample is decoded in full.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { PROJECT_ROOT } from '../../core/version';
import { BenchError, procCpuSeconds, table } from '../support/bench-support';
import { cancel, checkCancel, httpRequest, run, type TileServer } from './bench-kit';
import { dropColophonDatabase, MARIADB_DATABASE, startColophon, type Db } from './colophon-server';
import { IIPSRV_FCGI, startIipsrv, startIiifProcessor } from './peer-servers';
import { processTree, resetPeaks, TreeRssSampler } from './process-tree';
import { makeSourceImages, type SourceImages } from './source-image';
import { decodeSamples, percentile, runPhase, sequential, type ImageJob, type PhaseResult } from './tile-load';
import { describeList, tileKey, tileList, tileTail, type Tile } from './tile-list';

const MB = 1e6;
const SERVERS = ['iipsrv', 'iiif-processor', 'colophon'] as const;
type ServerId = (typeof SERVERS)[number];
const SCALES = [1, 2, 4, 8, 16, 32];
const TILE = 512;
const THUMB = 200;
const DEFAULT_MARIADB_URL = 'mysql://root@127.0.0.1:3306';
const SEED = 20_261_201;
/** JPEG quality of answers: Colophon's default (iiif-image jpegQuality), given to iipsrv too. */
const JPEG_QUALITY = 85;

/** Goals of the issue, for Colophon: cold at least iipsrv's throughput with p95 ≤ 40 ms; warm ≥ 3× iipsrv; thumbnail ≤ 30 ms. */
const GOAL_COLD_P95_MS = 40;
const GOAL_WARM_FACTOR = 3;
const GOAL_THUMB_MS = 30;

interface Options {
  requests: number;
  only: ServerId[];
  db: Db;
  concurrency: number;
  thumbRequests: number;
  side: number;
  tiffTile: number;
  iipsrvProcs: number;
  seed: number;
  keep: boolean;
  tmpDir: string;
  mariadbUrl: string;
  lighttpd: string;
  colophonBin: string;
}

const USAGE = `usage: node dist/bench/iiif-tiles/iiif-tiles-bench.js [options]
  --requests N        tile requests per phase (default 2000)
  --only LIST         servers, comma-separated: iipsrv, iiif-processor, colophon (default all three)
  --db ENGINE         Colophon's database: sqlite (default) or mariadb
  --concurrency N     concurrent keep-alive clients (default 8)
  --thumb-requests N  sequential thumbnail requests, cold and warm each (default 20)
  --side N            width and height of the square source image (default 10000)
  --tiff-tile N       tile size of the pyramidal TIFF that iipsrv and iiif-processor read (default 512, as Colophon's derivatives)
  --iipsrv-procs N    iipsrv FastCGI processes under lighttpd (default: the number of cores)
  --seed N            seed of the tile list and the image grain (default ${SEED})
  --keep              keep the work dir (images, configs, logs) and the MariaDB database
  --tmp-dir DIR       parent of the work dir (default: the OS temp dir)
  --mariadb-url URL   MariaDB server for --db mariadb (default ${DEFAULT_MARIADB_URL}); the bench creates and drops ${MARIADB_DATABASE} there
  --lighttpd PATH     the lighttpd binary (default: lighttpd from PATH or /usr/sbin/lighttpd)
  --colophon-bin PATH the colophon launcher for serve and apikey create (default: bin/colophon.js of this checkout)`;

function positive(flag: string, v: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^[1-9][0-9]*$/.test(v) || Number(v) > max) throw new BenchError(`${flag}: expected a whole number from 1 to ${max}, got "${v}"`);
  return Number(v);
}

function parseArgs(argv: string[]): Options | null {
  const o: Options = {
    requests: 2000, only: [...SERVERS], db: 'sqlite', concurrency: 8, thumbRequests: 20, side: 10_000, tiffTile: 512,
    iipsrvProcs: cpus().length, seed: SEED, keep: false, tmpDir: tmpdir(), mariadbUrl: DEFAULT_MARIADB_URL, lighttpd: '',
    colophonBin: join(PROJECT_ROOT, 'bin', 'colophon.js'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new BenchError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--help' || a === '-h') return null;
    else if (a === '--keep') o.keep = true;
    else if (a === '--requests') o.requests = positive(a, value());
    else if (a === '--concurrency') o.concurrency = positive(a, value(), 1000);
    else if (a === '--thumb-requests') o.thumbRequests = positive(a, value());
    else if (a === '--side') o.side = positive(a, value(), 65_000);
    else if (a === '--tiff-tile') o.tiffTile = positive(a, value(), 4096);
    else if (a === '--iipsrv-procs') o.iipsrvProcs = positive(a, value(), 64);
    else if (a === '--seed') o.seed = positive(a, value());
    else if (a === '--tmp-dir') o.tmpDir = resolve(value());
    else if (a === '--lighttpd') o.lighttpd = resolve(value());
    else if (a === '--mariadb-url') o.mariadbUrl = value();
    else if (a === '--colophon-bin') o.colophonBin = resolve(value());
    else if (a === '--db') {
      const v = value();
      if (v !== 'sqlite' && v !== 'mariadb') throw new BenchError(`--db: expected sqlite or mariadb, got "${v}"`);
      o.db = v;
    } else if (a === '--only') {
      const names = value().split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
      const bad = names.filter((n) => !(SERVERS as readonly string[]).includes(n));
      if (!names.length || bad.length) throw new BenchError(`--only: expected some of ${SERVERS.join(', ')}, got "${bad.join(',') || '(nothing)'}"`);
      // Always in the same order: the peers first, so that their figures are in before Colophon's.
      o.only = SERVERS.filter((s) => names.includes(s));
    } else throw new BenchError(`unknown argument "${a}"\n${USAGE}`);
  }
  if (o.side % 2) throw new BenchError('--side must be even');
  if (o.tiffTile % 16) throw new BenchError('--tiff-tile must be a multiple of 16 (TIFF tiles)');
  return o;
}

// ---------------------------------------------------------------------------------------------

interface PhaseFigures {
  phase: string;
  requests: number;
  seconds: number;
  rate: number;
  p50: number;
  p95: number;
  max: number;
  /** Latencies of the first request of each tile in the phase (the ones no cache could answer). */
  firstCount: number;
  firstP50: number;
  firstP95: number;
  repeatP50: number;
  /** Peak of the server's processes during the phase: sum of their VmHWM (reset at its start), and the largest sampled sum of VmRSS. */
  peakHwm: number;
  peakSampled: number;
  hwmReset: boolean;
  processes: number;
  /** Server CPU seconds (user + system, its whole process tree). */
  cpu: number | null;
  clientCpu: number;
  bytes: number;
}

interface ServerResult {
  id: ServerId;
  server: TileServer;
  phases: PhaseFigures[];
  thumbCold: number[];
  thumbWarm: number[];
  decoded: number;
}

const ms = (s: number): string => (Number.isFinite(s) ? (s * 1000).toFixed(1) : '—');
const fmtMB = (b: number): string => `${(b / MB).toFixed(1)} MB`;

function treeCpu(root: number, ticks: number): number | null {
  let sum = 0;
  for (const pid of processTree(root)) {
    const c = procCpuSeconds(pid, ticks);
    if (c === null) return null;
    sum += c;
  }
  return sum;
}

/** One timed pass over the list: memory sampled, CPU counted, every answer checked. */
async function phase(server: TileServer, name: string, jobs: ImageJob[], o: Options, ticks: number): Promise<{ figures: PhaseFigures; result: PhaseResult }> {
  checkCancel();
  const root = server.rootPid();
  const hwmReset = resetPeaks(processTree(root));
  const sampler = new TreeRssSampler(() => server.rootPid());
  const cpu0 = treeCpu(root, ticks);
  const self0 = process.cpuUsage();
  let result: PhaseResult;
  try {
    result = await runPhase(server.port, jobs, o.concurrency, `${server.name} ${name}`);
  } finally {
    sampler.stop();
  }
  const self = process.cpuUsage(self0);
  const cpu1 = treeCpu(root, ticks);
  const first = result.latencies.filter((_, i) => result.first[i]);
  const repeats = result.latencies.filter((_, i) => !result.first[i]);
  return {
    result,
    figures: {
      phase: name,
      requests: jobs.length,
      seconds: result.seconds,
      rate: jobs.length / result.seconds,
      p50: percentile(result.latencies, 50),
      p95: percentile(result.latencies, 95),
      max: percentile(result.latencies, 100),
      firstCount: first.length,
      firstP50: percentile(first, 50),
      firstP95: percentile(first, 95),
      repeatP50: percentile(repeats, 50),
      peakHwm: sampler.maxHwmSum,
      peakSampled: sampler.maxRss,
      hwmReset,
      processes: processTree(root).length,
      cpu: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null,
      clientCpu: (self.user + self.system) / 1e6,
      bytes: result.bytes,
    },
  };
}

function printPhase(f: PhaseFigures): void {
  console.log(`    ${f.phase}: ${f.requests} tiles in ${f.seconds.toFixed(2)} s, ${f.rate.toFixed(1)} tiles/s; latency p50 ${ms(f.p50)} ms, p95 ${ms(f.p95)} ms, max ${ms(f.max)} ms; ${(f.bytes / f.requests / 1000).toFixed(1)} kB per tile`);
  if (f.phase === 'cold') console.log(`      first request of each of ${f.firstCount} tiles: p50 ${ms(f.firstP50)} ms, p95 ${ms(f.firstP95)} ms; repeats (${f.requests - f.firstCount}): p50 ${ms(f.repeatP50)} ms`);
  const cpu = f.cpu === null ? '?' : `${f.cpu.toFixed(1)} s (${((100 * f.cpu) / f.seconds).toFixed(0)} % of one core)`;
  console.log(`      memory: peak ${fmtMB(f.peakHwm)} (sum of VmHWM over ${f.processes} process(es)${f.hwmReset ? ', reset at the phase start' : ', NOT reset: whole life'}), max sampled RSS ${fmtMB(f.peakSampled)}; CPU: server ${cpu}, bench client ${f.clientCpu.toFixed(1)} s`);
}

async function benchServer(id: ServerId, server: TileServer, tiles: Tile[], o: Options, ticks: number): Promise<ServerResult> {
  const slack = server.version === 2 ? 1 : 0;
  const jobs: ImageJob[] = tiles.map((t) => ({ path: server.imagePath(tileTail(t, server.version)), width: t.outW, height: t.outH, heightSlack: slack, key: tileKey(t) }));
  // Untimed: info.json and one rendered request outside the list (a 256 px view of a region no
  // tile in the list asks for), so that a Node server's first requests do not time its JIT
  // warm-up. The cold reset follows.
  const info = await httpRequest(server.port, server.imagePath('info.json'));
  if (info.status !== 200) throw new BenchError(`${server.name}: info.json: HTTP ${info.status}: ${info.body.toString('utf8').slice(0, 300)}`);
  const warmUp = server.version === 3 ? '100,100,1000,1000/256,256/0/default.jpg' : '100,100,1000,1000/256,/0/default.jpg';
  const w = await httpRequest(server.port, server.imagePath(warmUp));
  if (w.status !== 200) throw new BenchError(`${server.name}: warm-up request ${warmUp}: HTTP ${w.status}: ${w.body.toString('utf8').slice(0, 300)}`);

  await server.coldReset();
  const cold = await phase(server, 'cold', jobs, o, ticks);
  printPhase(cold.figures);
  const warm = await phase(server, 'warm', jobs, o, ticks);
  printPhase(warm.figures);

  const thumb: ImageJob = { path: server.imagePath(`full/${THUMB},/0/default.jpg`), width: THUMB, height: Math.round((THUMB * o.side) / o.side), heightSlack: 1, key: 'thumb' };
  const thumbCold = await sequential(server.port, thumb, o.thumbRequests, () => server.coldReset(), `${server.name} thumbnail (cold)`);
  const thumbWarm = await sequential(server.port, thumb, o.thumbRequests, null, `${server.name} thumbnail (warm)`);
  console.log(`    thumbnail full/${THUMB},/0/default.jpg, ${o.thumbRequests} sequential requests: cold p50 ${ms(percentile(thumbCold, 50))} ms (min ${ms(Math.min(...thumbCold))}, max ${ms(Math.max(...thumbCold))}; a cold reset before each); warm p50 ${ms(percentile(thumbWarm, 50))} ms (min ${ms(Math.min(...thumbWarm))}, max ${ms(Math.max(...thumbWarm))})`);
  const decoded = (await decodeSamples(cold.result.samples, `${server.name} cold`)) + (await decodeSamples(warm.result.samples, `${server.name} warm`));
  console.log(`    checked: all ${2 * jobs.length} tile answers HTTP 200 and JPEGs of the expected size (SOF header${slack ? `; height ±${slack} px for "w," sizes` : ''}); ${decoded} of them decoded in full`);
  return { id, server, phases: [cold.figures, warm.figures], thumbCold, thumbWarm, decoded };
}

function summary(results: ServerResult[], o: Options, src: SourceImages): void {
  const rows: string[][] = [['server', 'phase', 'tiles/s', 'p50 ms', 'p95 ms', 'peak RSS MB', 'CPU ms/tile']];
  for (const r of results) {
    for (const f of r.phases) {
      rows.push([r.server.name, f.phase, f.rate.toFixed(1), ms(f.p50), ms(f.p95), (f.peakHwm / MB).toFixed(1), f.cpu === null ? '?' : ((1000 * f.cpu) / f.requests).toFixed(2)]);
      // The requests of the cold phase no cache could have answered (a tile's first request), as a row of their own.
      if (f.phase === 'cold' && f.firstCount < f.requests) rows.push([r.server.name, `cold, 1st of each tile (${f.firstCount})`, '—', ms(f.firstP50), ms(f.firstP95), '—', '—']);
    }
  }
  console.log(table(rows));
  console.log(`(${o.requests} tiles of ${TILE} px per phase, ${o.concurrency} keep-alive clients; "1st of each tile": the cold phase's requests for tiles not asked for before in it;`);
  console.log(' peak RSS: sum of VmHWM over the server\'s processes during the phase; CPU ms/tile: the server\'s CPU time (user + system, all its');
  console.log(' processes) over the phase, per request, steadier than wall-clock figures on a shared machine)');
  console.log('');
  for (const r of results) {
    console.log(`thumbnail ${r.server.name.padEnd(14)} full/${THUMB},/0/default.jpg of the ${src.width}×${src.height} image: cold p50 ${ms(percentile(r.thumbCold, 50))} ms, warm p50 ${ms(percentile(r.thumbWarm, 50))} ms (${o.thumbRequests} sequential requests each)`);
  }
  console.log('');
  console.log('goals (Colophon):');
  const col = results.find((r) => r.id === 'colophon');
  const iip = results.find((r) => r.id === 'iipsrv');
  const line = (what: string, ok: boolean | null, detail: string): void => console.log(`  ${what}: ${ok === null ? 'n/a' : ok ? 'PASS' : 'FAIL'} (${detail})`);
  const colCold = col?.phases[0];
  const colWarm = col?.phases[1];
  const iipCold = iip?.phases[0];
  const iipWarm = iip?.phases[1];
  if (!colCold || !colWarm) {
    console.log('  n/a: Colophon was not run (--only)');
    return;
  }
  line('cold throughput ≥ iipsrv cold', iipCold ? colCold.rate >= iipCold.rate : null, iipCold ? `${colCold.rate.toFixed(1)} vs ${iipCold.rate.toFixed(1)} tiles/s` : 'iipsrv not run');
  line(`cold p95 ≤ ${GOAL_COLD_P95_MS} ms`, colCold.p95 * 1000 <= GOAL_COLD_P95_MS, `${ms(colCold.p95)} ms; first request of each tile ${ms(colCold.firstP95)} ms`);
  line(`warm throughput ≥ ${GOAL_WARM_FACTOR}× iipsrv warm`, iipWarm ? colWarm.rate >= GOAL_WARM_FACTOR * iipWarm.rate : null, iipWarm ? `${colWarm.rate.toFixed(1)} vs ${iipWarm.rate.toFixed(1)} tiles/s = ${(colWarm.rate / iipWarm.rate).toFixed(2)}×` : 'iipsrv not run');
  const thumbCold = percentile(col.thumbCold, 50);
  line(`${THUMB} px thumbnail ≤ ${GOAL_THUMB_MS} ms (cold p50)`, thumbCold * 1000 <= GOAL_THUMB_MS, `${ms(thumbCold)} ms; warm p50 ${ms(percentile(col.thumbWarm, 50))} ms`);
}

async function which(cmd: string, fallback: string): Promise<string> {
  const out = (await run('sh', ['-c', `command -v ${cmd}`]).catch(() => '')).trim();
  return out || fallback;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (!o) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (process.platform !== 'linux') throw new BenchError('this bench reads /proc for memory and processes; it runs on Linux only');
  if (!o.lighttpd) o.lighttpd = await which('lighttpd', '/usr/sbin/lighttpd');
  mkdirSync(o.tmpDir, { recursive: true });
  const root = await mkdtemp(join(o.tmpDir, 'colophon-iiif-bench-'));
  let live: TileServer | null = null;
  let mariadbTouched = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (cancel.signal.aborted) {
      process.stderr.write(`iiif-tiles-bench: ${sig} again; exiting now (${root} may remain)\n`);
      process.exit(130);
    }
    process.stderr.write(`iiif-tiles-bench: ${sig}; stopping the server and cleaning up\n`);
    cancel.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const ticks = Number((await run('getconf', ['CLK_TCK']).catch(() => '100')).trim()) || 100;
  const results: ServerResult[] = [];

  try {
    const cpu = cpus();
    console.log('Colophon IIIF tile bench');
    console.log(`  date        ${new Date().toISOString()}`);
    console.log(`  machine     ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}, sharp ${sharp.versions.sharp ?? '?'} (libvips ${sharp.versions.vips})`);
    console.log(`  load avg    ${(loadavg()[0] ?? NaN).toFixed(2)} (1 min) at the start`);
    console.log(`  work dir    ${root}`);
    console.log(`  servers     ${o.only.join(', ')} (one after the other)`);

    const src = await makeSourceImages(join(root, 'images'), { side: o.side, jpegQuality: 90, tiffTile: o.tiffTile, tiffQuality: JPEG_QUALITY, seed: o.seed });
    console.log(`  source      ${src.width}×${src.height}: ${src.content}`);
    console.log(`              source.jpg ${fmtMB(src.jpegBytes)} (JPEG q90, 4:2:0; made in ${src.jpegSeconds.toFixed(1)} s) — what Colophon ingests`);
    console.log(`              source-pyramid.tif ${fmtMB(src.tiffBytes)} (tiled ${o.tiffTile}×${o.tiffTile}, JPEG q${JPEG_QUALITY}, levels ${src.levels.map((l) => l.width).join('/')}; made in ${src.tiffSeconds.toFixed(1)} s by sharp) — what iipsrv and iiif-processor read`);
    const tiles = tileList(src.width, src.height, TILE, SCALES, o.requests, o.seed);
    const d = describeList(tiles);
    console.log(`  requests    ${o.requests} tiles of ${TILE} px per phase, scale factors ${SCALES.join('/')} aligned to each level's ${TILE} px grid, ${d.distinct} distinct (every tile of the pyramid once before any repeat), seed ${o.seed}`);
    console.log(`              per scale factor: ${[...d.perScale.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(', ')}`);
    console.log(`  clients     ${o.concurrency} concurrent, one keep-alive connection each, on 127.0.0.1; the same list for every server, cold then warm`);
    console.log('  page cache  warm for every server (the images were just written; nothing dropped)');
    console.log('');

    for (const id of o.only) {
      checkCancel();
      const dir = join(root, id);
      if (id === 'iipsrv') {
        console.log('iipsrv');
        live = await startIipsrv({ dir, tiff: src.tiff, procs: o.iipsrvProcs, jpegQuality: JPEG_QUALITY, lighttpd: o.lighttpd, fcgi: IIPSRV_FCGI });
      } else if (id === 'iiif-processor') {
        console.log('iiif-processor');
        live = await startIiifProcessor({ dir, file: src.tiff });
      } else {
        console.log('Colophon');
        mariadbTouched = o.db === 'mariadb';
        live = await startColophon({ dir, jpeg: src.jpeg, db: o.db, mariadbUrl: o.mariadbUrl, bin: o.colophonBin, say: (l) => console.log(l) });
      }
      const server = live;
      for (const f of server.facts) console.log(`  ${f}`);
      console.log(`  cold reset: ${server.coldResetHow}`);
      try {
        results.push(await benchServer(id, server, tiles, o, ticks));
      } catch (err) {
        if (err instanceof BenchError && !cancel.signal.aborted) err.message += `\n--- ${server.name} log (tail):\n${server.logTail()}`;
        throw err;
      } finally {
        await server.stop();
        live = null;
      }
      console.log('');
    }

    console.log(`Summary (load average ${(loadavg()[0] ?? NaN).toFixed(2)} at the end; ${cpus().length} cores shared with whatever else runs)`);
    summary(results, o, src);
    console.log('');
    console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}; ${results.map((r) => `${r.server.name}: ${r.server.facts[0] ?? ''}`).join('; ')}`);
  } finally {
    if (live) await live.stop().catch(() => undefined);
    if (mariadbTouched && !o.keep) {
      await dropColophonDatabase(o.mariadbUrl).catch((err: unknown) => process.stderr.write(`iiif-tiles-bench: could not drop the database ${MARIADB_DATABASE}: ${(err as Error).message}\n`));
    }
    if (o.keep) console.log(`kept ${root} (images/, per server: configs, logs${o.only.includes('colophon') ? ', Colophon data dir' : ''})`);
    else await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  if (cancel.signal.aborted) process.exit(130);
  process.stderr.write(`iiif-tiles-bench: ${err instanceof BenchError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
