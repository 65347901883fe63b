import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../../core/version';
import { BenchError, freePort } from '../support/bench-support';
import { ChildServer, checkCancel, httpRequest, run, sleep, type TileServer } from './bench-kit';
import { processTree } from './process-tree';

/** The peers of the tile bench: Debian's iipsrv behind lighttpd, and the npm iiif-processor. */

export const IIPSRV_FCGI = '/usr/lib/iipimage-server/iipsrv.fcgi';

export interface IipsrvOptions {
  /** Where the config, socket and logs go. */
  dir: string;
  /** The pyramidal TIFF it serves. */
  tiff: string;
  /** FastCGI processes lighttpd spawns (iipsrv answers one request at a time per process). */
  procs: number;
  jpegQuality: number;
  lighttpd: string;
  fcgi: string;
}

/** A lighttpd.conf string value (double-quoted; backslashes and quotes escaped). */
const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Versions of lighttpd and of the iipimage-server package, for the printed output. */
async function iipsrvVersions(lighttpd: string): Promise<{ lighttpd: string; iipsrv: string }> {
  const l = (await run(lighttpd, ['-v']).catch(() => '?')).trim().split('\n')[0] ?? '?';
  const pkg = (await run('dpkg-query', ['-W', '-f', '${Version}', 'iipimage-server']).catch(() => '')).trim();
  return { lighttpd: l.replace(/ - a light and fast webserver$/, ''), iipsrv: pkg ? `iipimage-server ${pkg} (Debian)` : '' };
}

/**
 * iipsrv 1.x (IIIF Image 2.1) as a FastCGI application of lighttpd, which spawns `procs` iipsrv
 * processes on a UNIX socket; lighttpd listens on a free port on 127.0.0.1. A cold reset restarts
 * lighttpd and with it every iipsrv process (iipsrv's tile cache lives in each process's memory).
 */
export async function startIipsrv(o: IipsrvOptions): Promise<TileServer> {
  if (!existsSync(o.fcgi)) throw new BenchError(`${o.fcgi} is missing: install Debian's iipimage-server (apt-get install iipimage-server), or give --only without iipsrv`);
  mkdirSync(o.dir, { recursive: true });
  const port = await freePort();
  // iipsrv tries memcached (default "localhost") for whole responses; pointed at a closed port,
  // the only cache left is its own in-process tile cache, which a restart empties.
  const noMemcached = await freePort();
  const htdocs = join(o.dir, 'htdocs');
  mkdirSync(htdocs, { recursive: true });
  const iipLog = join(o.dir, 'iipsrv.log');
  const env: Record<string, string> = {
    LOGFILE: iipLog,
    VERBOSITY: '1',
    FILESYSTEM_PREFIX: `${dirname(o.tiff)}/`,
    // The default, said out loud (MB of decoded tiles per process).
    MAX_IMAGE_CACHE_SIZE: '10',
    JPEG_QUALITY: String(o.jpegQuality),
    MAX_CVT: '10000',
    CORS: '*',
    MEMCACHED_SERVERS: `127.0.0.1:${noMemcached}`,
  };
  const conf = join(o.dir, 'lighttpd.conf');
  writeFileSync(conf, [
    `server.document-root = ${q(htdocs)}`,
    'server.bind = "127.0.0.1"',
    `server.port = ${port}`,
    `server.errorlog = ${q(join(o.dir, 'lighttpd-error.log'))}`,
    // Every client keeps its connection for a whole phase (the default closes one after 1000 requests).
    'server.max-keep-alive-requests = 100000',
    'server.max-keep-alive-idle = 60',
    'server.modules += ( "mod_fastcgi" )',
    'fastcgi.server = ( "/fcgi-bin/iipsrv.fcgi" => ((',
    `  "socket" => ${q(join(o.dir, 'iipsrv.sock'))},`,
    '  "check-local" => "disable",',
    `  "max-procs" => ${o.procs},`,
    `  "bin-path" => ${q(o.fcgi)},`,
    '  "bin-environment" => (',
    Object.entries(env).map(([k, v]) => `    ${q(k)} => ${q(v)}`).join(',\n'),
    '  )',
    ')))',
    '',
  ].join('\n'));
  await run(o.lighttpd, ['-tt', '-f', conf]).catch((err: unknown) => {
    throw new BenchError(`lighttpd rejects the generated ${conf}: ${(err as Error).message}`);
  });
  const versions = await iipsrvVersions(o.lighttpd);
  const base = `/fcgi-bin/iipsrv.fcgi?IIIF=/${encodeURIComponent(basename(o.tiff))}`;
  const infoPath = `${base}/info.json`;
  const logFile = join(o.dir, 'lighttpd.log');

  let srv: ChildServer | null = null;
  const start = async (): Promise<void> => {
    checkCancel();
    srv = ChildServer.start('lighttpd (iipsrv)', o.lighttpd, ['-D', '-f', conf], logFile);
    const s = srv;
    await s.waitHttp(port, infoPath);
    // lighttpd spawns the FastCGI processes at start; wait until all of them are up.
    for (let i = 0; i < 100 && processTree(s.pid).length < o.procs + 1; i++) await sleep(20);
  };
  const stop = async (): Promise<void> => {
    const s = srv;
    if (!s) return;
    const children = processTree(s.pid).filter((p) => p !== s.pid);
    const code = await s.stop();
    srv = null;
    // lighttpd 1.4 ends with 1 after a SIGTERM it logged as "server stopped by"; anything else is news.
    if (code !== 0 && code !== 1 && code !== null) process.stderr.write(`iiif-tiles-bench: lighttpd exited with code ${code}; its log:\n${s.logTail()}\n${tail(join(o.dir, 'lighttpd-error.log'))}\n`);
    // lighttpd ends its FastCGI children on the way out; wait for them, so that the next start owns the socket.
    for (let i = 0; i < 250 && children.some((p) => existsSync(`/proc/${p}`) && !isZombie(p)); i++) await sleep(20);
    const left = children.filter((p) => existsSync(`/proc/${p}`) && !isZombie(p));
    if (left.length) {
      for (const p of left) process.kill(p, 'SIGKILL');
    }
  };
  await start();
  const info = await httpRequest(port, infoPath);
  const doc = JSON.parse(info.body.toString('utf8')) as { width?: number; height?: number; tiles?: unknown };
  const version = /IIPImage Server\. Version ([\d.]+)/.exec(tail(iipLog, 1000))?.[1];

  return {
    name: 'iipsrv',
    port,
    version: 2,
    facts: [
      `${versions.iipsrv || 'iipsrv'}${version ? `, "IIPImage Server. Version ${version}"` : ''}, FastCGI under ${versions.lighttpd}, ${o.procs} iipsrv process(es) (max-procs)`,
      `reads the pyramidal TIFF ${basename(o.tiff)}; info.json says ${doc.width ?? '?'}×${doc.height ?? '?'}, tiles ${JSON.stringify(doc.tiles ?? null)}`,
      `env: ${Object.entries(env).filter(([k]) => !['LOGFILE', 'FILESYSTEM_PREFIX'].includes(k)).map(([k, v]) => `${k}=${v}`).join(' ')} (memcached: a closed port, so off)`,
      `IIIF 2.1: http://127.0.0.1:${port}${base}/{x},{y},{w},{h}/{w'},/0/default.jpg`,
    ],
    coldResetHow: 'lighttpd and its iipsrv processes restarted (empties iipsrv\'s in-process tile cache)',
    imagePath: (tail) => `${base}/${tail}`,
    rootPid: () => {
      if (!srv) throw new BenchError('iipsrv is not running');
      return srv.pid;
    },
    coldReset: async () => {
      await stop();
      await start();
    },
    stop,
    logTail: () => `${(srv as ChildServer | null)?.logTail() ?? ''}\n--- iipsrv.log:\n${tail(iipLog)}`,
  };
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(none)';
  }
}

export interface ProcessorOptions {
  dir: string;
  /** The source it reads (the pyramidal TIFF: iiif-processor picks a page per request). */
  file: string;
}

/**
 * iiif-processor in bench/iiif-tiles/iiif-processor-server.ts, a child process of its own on a
 * free port. It keeps nothing between requests (each one opens the file), so a cold reset has
 * nothing to clear.
 */
export async function startIiifProcessor(o: ProcessorOptions): Promise<TileServer> {
  mkdirSync(o.dir, { recursive: true });
  const script = join(PROJECT_ROOT, 'dist', 'bench', 'iiif-tiles', 'iiif-processor-server.js');
  if (!existsSync(script)) throw new BenchError(`${script} is missing; run \`npm run build\``);
  const port = await freePort();
  const srv = ChildServer.start('iiif-processor server', process.execPath, [script, '--file', o.file, '--port', String(port)], join(o.dir, 'iiif-processor.log'), { cwd: PROJECT_ROOT });
  const base = '/iiif/3/source';
  await srv.waitHttp(port, `${base}/info.json`);
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', 'iiif-processor', 'package.json'), 'utf8')) as { version: string };
  const sharpPkg = (await run(process.execPath, ['-e', "const s=require('node:module').createRequire(require.resolve('iiif-processor'))('sharp');process.stdout.write(s.versions.sharp+' (libvips '+s.versions.vips+')')"], { cwd: PROJECT_ROOT }).catch(() => '?')).trim();
  return {
    name: 'iiif-processor',
    port,
    version: 3,
    facts: [
      `iiif-processor ${pkg.version} on sharp ${sharpPkg}, in a plain node:http server (one process, Node ${process.version})`,
      `reads the pyramidal TIFF ${basename(o.file)} through a file stream per request (sharp buffers the stream, then picks the smallest sufficient page); a dimension function gives the pages' sizes`,
      'JPEG quality: sharp\'s default 80 (iiif-processor has no option for it)',
      `IIIF 3.0: http://127.0.0.1:${port}${base}/{x},{y},{w},{h}/{w'},{h'}/0/default.jpg`,
    ],
    coldResetHow: 'nothing to clear (no cache)',
    imagePath: (tail) => `${base}/${tail}`,
    rootPid: () => srv.pid,
    coldReset: () => Promise.resolve(),
    stop: async () => {
      const code = await srv.stop();
      if (code !== 0 && code !== null) process.stderr.write(`iiif-tiles-bench: the iiif-processor server exited with code ${code}; its log:\n${srv.logTail()}\n`);
    },
    logTail: () => srv.logTail(),
  };
}
