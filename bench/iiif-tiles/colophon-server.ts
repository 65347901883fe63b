import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, relative } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { PROJECT_ROOT } from '../../core/version';
import { BenchError, freePort } from '../support/bench-support';
import { cancel, ChildServer, checkCancel, cleanEnv, httpRequest, json, now, run, secondsSince, sleep, type Answer, type TileServer } from './bench-kit';

/**
 * The Colophon half of the tile bench, in one place so that it is easy to adjust to the
 * iiif-image plugin as it settles. What it relies on (see startColophon):
 *
 * - config `plugins.settings['iiif-image'] = { enabled: true, cache: { enabled: true } }`;
 * - `colophon apikey create --role general-system-administrator` (inventory:read/write and system:admin);
 * - POST /api/v1/titles {title}, POST /api/v1/titles/{id}/representations {usageType: 'primary'},
 *   POST /api/v1/representations/{id}/files (multipart, field `file`) → 201 {id, width, height};
 *   a new active representation without an access-rights profile is open to anonymous IIIF requests;
 * - GET /api/v1/files/{fileId}/iiif-derivative → {status, tileSize, levels, size, error}: polled every 0.5 s
 *   while 'pending'; 'ready' goes on; anything else ('failed', 'unsupported', 'not-applicable') fails the run;
 * - GET /iiif/3/{fileId}/info.json and /iiif/3/{fileId}/{region}/{size}/{rotation}/{quality}.{format};
 * - POST /api/v1/iiif-image/cache/clear (system:admin) empties the rendered-response cache,
 *   memory and disk (answer {removed}); GET /api/v1/iiif-image/cache gives its figures.
 */

export type Db = 'sqlite' | 'mariadb';
/** The bench's own MariaDB database: created fresh, dropped at the end. */
export const MARIADB_DATABASE = 'colophon_bench_iiif';
const DERIVATIVE_TIMEOUT_MS = 15 * 60_000;

export interface ColophonOptions {
  dir: string;
  /** The source JPEG to upload (the plugin makes its own pyramid of it). */
  jpeg: string;
  db: Db;
  mariadbUrl: string;
  /** The colophon launcher (default bin/colophon.js), for `serve` and `apikey create`. */
  bin: string;
  /** Progress lines. */
  say: (line: string) => void;
}

/** Create (or recreate) the bench database on a MariaDB server; the URL of it and the server version. */
async function createDatabase(url: string): Promise<{ url: string; version: string }> {
  const u = new URL(url);
  let c;
  try {
    c = await createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password) });
  } catch (err) {
    throw new BenchError(`cannot connect to MariaDB at ${u.host}: ${(err as Error).message} (start it, pass --mariadb-url, or use --db sqlite)`);
  }
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${MARIADB_DATABASE}\``);
    await c.query(`CREATE DATABASE \`${MARIADB_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const [rows] = await c.query('SELECT VERSION() AS v');
    u.pathname = `/${MARIADB_DATABASE}`;
    return { url: u.toString(), version: String((rows as { v: string }[])[0]?.v ?? '?') };
  } finally {
    await c.end();
  }
}

/** Drop the bench database (after a run). */
export async function dropColophonDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const c = await createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password) });
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${MARIADB_DATABASE}\``);
  } finally {
    await c.end();
  }
}

/** Stream a file as multipart/form-data (field `file`) with a computed Content-Length. */
async function uploadFile(port: number, key: string, repId: string, file: string, mimeType: string): Promise<Answer> {
  const boundary = `----colophon-bench-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="source.jpg"\r\nContent-Type: ${mimeType}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const size = statSync(file).size;
  const t0 = now();
  const req = request({
    signal: cancel.signal, host: '127.0.0.1', port, method: 'POST', path: `/api/v1/representations/${encodeURIComponent(repId)}/files`,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': head.length + size + tail.length },
  });
  const answered = new Promise<Answer>((res, rej) => {
    req.once('error', rej);
    req.once('response', (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.once('error', rej);
      r.once('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks), seconds: secondsSince(t0) }));
    });
  });
  answered.catch(() => undefined);
  req.write(head);
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024, signal: cancel.signal })) {
    if (!req.write(chunk as Buffer)) await once(req, 'drain');
  }
  req.end(tail);
  return answered;
}

/**
 * Colophon (`node bin/colophon.js serve`, its own data dir, SQLite or a fresh MariaDB database)
 * with the iiif-image plugin on, the source JPEG uploaded through the staff API, and its
 * pyramidal derivative waited for. A cold reset empties the rendered-response cache.
 */
export async function startColophon(o: ColophonOptions): Promise<TileServer> {
  const root = PROJECT_ROOT;
  if (!existsSync(join(root, 'dist', 'core', 'cli', 'main.js'))) throw new BenchError(`the server is not built (no dist/core/cli/main.js); run \`npm run build\` in ${root}`);
  const dataDir = join(o.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const configFile = join(o.dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ plugins: { settings: { 'iiif-image': { enabled: true, cache: { enabled: true } } } } }, null, 2));
  const dbArgs: string[] = [];
  let dbFact = `SQLite (${dataDir})`;
  if (o.db === 'mariadb') {
    const db = await createDatabase(o.mariadbUrl);
    dbArgs.push('--database-url', db.url);
    dbFact = `MariaDB ${db.version} (database ${MARIADB_DATABASE} at ${new URL(o.mariadbUrl).host})`;
  }
  const port = await freePort();
  const srv = ChildServer.start('Colophon', process.execPath, [o.bin, 'serve', '--config', configFile, '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), ...dbArgs, '--log-level', 'warn'], join(o.dir, 'server.log'), { cwd: root });
  try {
    await srv.waitHttp(port, '/readyz');
    const key = (await run(process.execPath, [o.bin, 'apikey', 'create', '--role', 'general-system-administrator', '--name', 'iiif-tiles-bench', '--config', configFile, '--data-dir', dataDir, ...dbArgs], { cwd: root, env: cleanEnv() })).trim();
    if (!key || /\s/.test(key)) throw new BenchError(`apikey create printed something that is not a key: "${key.slice(0, 200)}"`);
    const auth = { Authorization: `Bearer ${key}` };
    const post = (path: string, body: unknown): Promise<Answer> => {
      const b = Buffer.from(JSON.stringify(body));
      return httpRequest(port, path, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', 'Content-Length': b.length }, body: b });
    };
    const title = json('create title', await post('/api/v1/titles', { title: 'IIIF tile bench' }), 201);
    const rep = json('create representation', await post(`/api/v1/titles/${encodeURIComponent(String(title.id))}/representations`, { usageType: 'primary' }), 201);
    const up = await uploadFile(port, key, String(rep.id), o.jpeg, 'image/jpeg');
    const file = json('upload the source JPEG', up, 201);
    const fileId = String(file.id);
    o.say(`  Colophon: pid ${srv.pid}, http://127.0.0.1:${port}; uploaded ${(statSync(o.jpeg).size / 1e6).toFixed(1)} MB in ${up.seconds.toFixed(1)} s: file ${fileId} (${String(file.width)}×${String(file.height)}, ${String(file.mimeType)})`);

    // The derivative job starts after the ingest; until it is ready, requests render from the original.
    const t0 = now();
    let d: Record<string, unknown> = {};
    for (let shown = ''; ; await sleep(500)) {
      checkCancel();
      if (!srv.running) throw new BenchError(`Colophon exited while making the derivative; its log:\n${srv.logTail()}`);
      d = json('GET the derivative state', await httpRequest(port, `/api/v1/files/${fileId}/iiif-derivative`, { headers: auth }), 200);
      const status = String(d.status);
      if (status === 'ready') break;
      if (status !== 'pending') throw new BenchError(`the IIIF derivative of file ${fileId} is "${status}": ${JSON.stringify(d).slice(0, 500)}; the server log:\n${srv.logTail()}`);
      if (secondsSince(t0) * 1000 > DERIVATIVE_TIMEOUT_MS) throw new BenchError(`the IIIF derivative of file ${fileId} was not ready after ${DERIVATIVE_TIMEOUT_MS / 60_000} minutes (still "${status}")`);
      if (!shown) {
        shown = status;
        o.say(`  Colophon: waiting for the pyramidal derivative (${status})`);
      }
    }
    const levels = Array.isArray(d.levels) ? (d.levels as { width: number; height: number }[]) : [];
    o.say(`  Colophon: derivative ready after ${secondsSince(t0).toFixed(1)} s: tile ${String(d.tileSize)}, ${levels.length} levels, ${typeof d.size === 'number' ? `${(d.size / 1e6).toFixed(1)} MB` : '? MB'}`);

    const base = `/iiif/3/${encodeURIComponent(fileId)}`;
    const info = json('GET info.json', await httpRequest(port, `${base}/info.json`), 200);
    const clear = async (): Promise<void> => {
      json('clear the IIIF render cache', await post('/api/v1/iiif-image/cache/clear', {}), 200);
    };
    const cacheStats = async (): Promise<string> => {
      const a = await httpRequest(port, '/api/v1/iiif-image/cache', { headers: auth });
      return a.status === 200 ? a.body.toString('utf8').slice(0, 300) : `HTTP ${a.status}`;
    };
    o.say(`  Colophon: render cache before the run: ${await cacheStats()}`);
    return {
      name: 'Colophon',
      port,
      version: 3,
      facts: [
        `Colophon (node ${o.bin.startsWith(`${root}/`) ? relative(root, o.bin) : o.bin} serve, Node ${process.version}) on ${dbFact}, iiif-image plugin, render cache on (disk + memory)`,
        `reads its own derivative of source.jpg: tile ${String(d.tileSize)}, levels ${levels.map((l) => `${l.width}`).join('/')}, ${typeof d.size === 'number' ? `${(d.size / 1e6).toFixed(1)} MB` : '?'}`,
        `info.json: ${String(info.width)}×${String(info.height)}, tiles ${JSON.stringify(info.tiles ?? null)}`,
        `IIIF 3.0: http://127.0.0.1:${port}${base}/{x},{y},{w},{h}/{w'},{h'}/0/default.jpg`,
      ],
      coldResetHow: 'POST /api/v1/iiif-image/cache/clear (rendered-response cache emptied; the derivative stays)',
      imagePath: (tail) => `${base}/${tail}`,
      rootPid: () => srv.pid,
      coldReset: clear,
      stop: async () => {
        const code = await srv.stop();
        if (code !== 0 && code !== null && !cancel.signal.aborted) process.stderr.write(`iiif-tiles-bench: Colophon exited with code ${code} on SIGTERM; its log:\n${srv.logTail()}\n`);
      },
      logTail: () => srv.logTail(),
    };
  } catch (err) {
    await srv.stop();
    throw err;
  }
}
