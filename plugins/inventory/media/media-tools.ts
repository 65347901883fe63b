import { spawn } from 'node:child_process';
import { MediaError } from './media-error';

/** The external programs the media layer may run (Debian: poppler-utils, ffmpeg, libopenjp2-tools). */
export const MEDIA_TOOLS = ['pdftoppm', 'pdfinfo', 'ffmpeg', 'ffprobe', 'opj_decompress'] as const;
export type MediaToolName = (typeof MEDIA_TOOLS)[number];

/** Options shared by probeMedia, makeThumbnail and mediaTools. */
export interface MediaToolsOptions {
  /** Executable overrides by tool name (default: the bare name, looked up on PATH). */
  tools?: Partial<Record<MediaToolName, string>>;
  /** Largest image, in pixels, that is decoded; more is a MediaError 'media-too-large'. */
  maxInputPixels?: number;
  /** Where temporary files go (default: the OS temp directory). */
  tmpDir?: string;
  /** Aborting kills running tools and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Longest run of one external tool, ms (default 120 000). */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 120_000;
/** sharp's own default pixel limit (0x3FFF²), kept as ours so the figure is visible. */
export const DEFAULT_MAX_INPUT_PIXELS = 268_402_689;

/** A tool that could not be started (not installed, not executable); callers fall back. */
export class ToolMissingError extends Error {
  constructor(
    readonly tool: MediaToolName,
    readonly executable: string,
    cause: unknown,
  ) {
    super(`${tool} is not available (${executable}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
      cause,
    });
    this.name = 'ToolMissingError';
  }
}

export interface ToolRun {
  /** Exit code; -1 when the process died of a signal. */
  code: number;
  stdout: Buffer;
  /** The last few KiB of standard error, as text. */
  stderr: string;
}

const STDERR_TAIL = 16 * 1024;
const NOT_RUNNABLE = new Set(['ENOENT', 'EACCES', 'ENOTDIR', 'EPERM', 'ENOEXEC']);

/** The executable to run for a tool: the override if given, else the bare name. */
export function toolPath(tool: MediaToolName, opts: MediaToolsOptions = {}): string {
  return opts.tools?.[tool] ?? tool;
}

/**
 * Run a media tool without a shell, with an argument array, a timeout, an abort signal and a
 * bounded stdout. Resolves with the exit code whatever it is (callers know what a non-zero exit
 * means for their tool); rejects with ToolMissingError, MediaError ('media-timeout',
 * 'media-tool-failed') or the abort reason.
 */
export function runTool(
  tool: MediaToolName,
  args: readonly string[],
  opts: MediaToolsOptions = {},
  maxStdout = 4 * 1024 * 1024,
): Promise<ToolRun> {
  const executable = toolPath(tool, opts);
  const { signal } = opts;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);

  return new Promise<ToolRun>((resolve, reject) => {
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let failure: unknown;
    let spawnError: NodeJS.ErrnoException | undefined;

    const kill = (why: unknown): void => {
      failure ??= why;
      // SIGKILL: these tools hold no state worth a graceful exit, and SIGTERM can be ignored mid-decode.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () => kill(new MediaError('media-timeout', `${tool} ran longer than ${timeoutMs} ms and was stopped`)),
      timeoutMs,
    );
    const onAbort = (): void => kill(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdout) {
        kill(new MediaError('media-tool-failed', `${tool} wrote more than ${maxStdout} bytes to stdout`));
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (spawnError) {
        reject(
          spawnError.code !== undefined && NOT_RUNNABLE.has(spawnError.code)
            ? new ToolMissingError(tool, executable, spawnError)
            : new MediaError('media-tool-failed', `${tool} could not be run: ${spawnError.message}`, spawnError),
        );
      } else if (failure !== undefined) {
        reject(failure as Error);
      } else {
        resolve({ code: code ?? (sig ? -1 : 0), stdout: Buffer.concat(chunks), stderr });
      }
    });
  });
}

/** The last meaningful line a tool wrote to stderr, for error messages. */
export function toolSaid(run: ToolRun): string {
  const lines = run.stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines.length ? lines.slice(-3).join(' / ') : `exit code ${run.code}`;
}

// Argument that makes each tool print its version (or usage) and exit without touching a file.
const VERSION_ARGS: Record<MediaToolName, string[]> = {
  pdftoppm: ['-v'],
  pdfinfo: ['-v'],
  ffmpeg: ['-version'],
  ffprobe: ['-version'],
  opj_decompress: ['-h'],
};

const runnable = new Map<string, Promise<boolean>>();

/** Which external tools are runnable (cached per executable path). */
export async function mediaTools(opts: MediaToolsOptions = {}): Promise<Record<MediaToolName, boolean>> {
  const entries = await Promise.all(
    MEDIA_TOOLS.map(async (tool) => {
      const exe = toolPath(tool, opts);
      let known = runnable.get(exe);
      if (!known) {
        // Only whether it starts matters: opj_decompress -h exits 1, and that is fine.
        known = runTool(tool, VERSION_ARGS[tool], { tools: opts.tools, timeoutMs: 15_000 }, 1024 * 1024).then(
          () => true,
          () => false,
        );
        runnable.set(exe, known);
      }
      return [tool, await known] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<MediaToolName, boolean>;
}
