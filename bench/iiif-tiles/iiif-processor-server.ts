/**
 * A tiny IIIF Image server on the npm iiif-processor (samvera/node-iiif), run as a child process
 * by the tile bench: the same source file for every identifier, IIIF 3 at /iiif/3/{id}/... and
 * IIIF 2 at /iiif/2/{id}/..., as its README's examples do it (a file stream resolver, a dimension
 * function that knows the pyramid's pages so the processor picks the smallest sufficient level).
 *
 *   node dist/bench/iiif-tiles/iiif-processor-server.js --file IMAGE --port N [--host 127.0.0.1]
 *
 * It prints one line, "listening <port>", once it accepts requests.
 */
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { Processor, IIIFError } from 'iiif-processor';
import type Sharp from 'sharp';

/**
 * The sharp iiif-processor itself loads (it may bring its own version): two libvips builds in one
 * process must not meet, and the page sizes should be read the way the processor will read them.
 */
const sharp = createRequire(require.resolve('iiif-processor'))('sharp') as typeof Sharp;

interface Args {
  file: string;
  port: number;
  host: string;
}

function parseArgs(argv: string[]): Args {
  const out: Partial<Args> = { host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${argv[i] ?? ''} needs a value`);
    if (argv[i] === '--file') out.file = v;
    else if (argv[i] === '--port') out.port = Number(v);
    else if (argv[i] === '--host') out.host = v;
    else throw new Error(`unknown argument ${argv[i] ?? ''}`);
  }
  if (!out.file || !out.port || !out.host) throw new Error('usage: iiif-processor-server --file IMAGE --port N [--host H]');
  return out as Args;
}

/** Every page of the source (the levels of a pyramidal TIFF; one page for a JPEG), largest first. */
async function pages(file: string): Promise<{ width: number; height: number }[]> {
  const n = (await sharp(file, { limitInputPixels: false }).metadata()).pages ?? 1;
  const out: { width: number; height: number }[] = [];
  for (let page = 0; page < n; page++) {
    const m = await sharp(file, { page, limitInputPixels: false }).metadata();
    out.push({ width: m.width, height: m.height });
  }
  return out;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  // Read once: the README's advice ("avoiding an expensive image request" per call).
  const dims = await pages(a.file);
  const streamResolver = (): Promise<NodeJS.ReadableStream> => Promise.resolve(createReadStream(a.file));
  const dimensionFunction = (): Promise<{ width: number; height: number }[]> => Promise.resolve(dims);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' || !req.url?.startsWith('/iiif/')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const url = `http://${a.host}:${a.port}${req.url}`;
    try {
      const result = await new Processor(url, streamResolver, { dimensionFunction, pathPrefix: '/iiif/{{version}}/' }).execute();
      if (result.type === 'content') {
        const headers: Record<string, string> = { 'Content-Type': String(result.contentType), 'Access-Control-Allow-Origin': '*' };
        if (result.canonicalLink) headers.Link = `<${result.canonicalLink}>;rel="canonical"`;
        res.writeHead(200, headers).end(result.body);
      } else if (result.type === 'redirect') {
        res.writeHead(302, { Location: result.location }).end();
      } else {
        res.writeHead(result.statusCode || 500, { 'Content-Type': 'text/plain' }).end(`${result.message}\n`);
      }
    } catch (err) {
      const status = err instanceof IIIFError ? (err.statusCode ?? 500) : 500;
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(`${(err as Error).message}\n`);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`${(err as Error).message}\n`);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(a.port, a.host, () => res());
  });
  process.stdout.write(`listening ${a.port}\n`);
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`iiif-processor-server: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
