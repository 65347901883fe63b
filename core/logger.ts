import pino, { type Logger } from 'pino';

/** Structured JSON logs (pino) to stdout, or to stderr for CLI commands whose stdout is data. */
export function createLogger(level: string, opts: { stderr?: boolean } = {}): Logger {
  return pino(
    { level, base: { svc: 'colophon' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: opts.stderr ? 2 : 1, sync: false }),
  );
}
