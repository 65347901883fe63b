import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ColophonApp } from './app';

export interface RunningServer {
  server: Server;
  port: number;
  /** Graceful shutdown: stop accepting, drain requests in flight, then close the app. */
  shutdown(): Promise<void>;
}

/** Listen on the configured host and port; shutdown drains connections then closes the app. */
export async function listen(app: ColophonApp, port = app.config.server.port, host = app.config.server.host): Promise<RunningServer> {
  const server = createServer(app.callback());
  server.keepAliveTimeout = 5000;
  const sockets = new Map<Socket, number>();
  server.on('connection', (s) => {
    sockets.set(s, 0);
    s.on('close', () => sockets.delete(s));
  });
  server.on('request', (req, res) => {
    const s = req.socket;
    sockets.set(s, (sockets.get(s) ?? 0) + 1);
    res.on('finish', () => {
      const n = (sockets.get(s) ?? 1) - 1;
      sockets.set(s, n);
      if (n === 0 && closing) s.destroySoon();
    });
  });
  let closing = false;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  let done: Promise<void> | undefined;
  return {
    server,
    port: actual,
    shutdown: () => {
      done ??= (async () => {
        closing = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Idle keep-alive connections close now; busy ones after their response.
        for (const [s, n] of sockets) if (n === 0) s.destroySoon();
        const timeout = new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            for (const s of sockets.keys()) s.destroy();
            resolve();
          }, app.config.server.shutdownTimeoutMs);
          t.unref();
        });
        await Promise.race([closed, timeout]);
        await app.close();
      })();
      return done;
    },
  };
}
