// Headless Chromium for specs that must see a page as a browser does: Debian's chromium driven by
// playwright-core (which downloads no browser of its own). Generic on purpose: any spec can open a
// URL of a server it started and get back what went wrong (page errors, console errors, CSP
// violations) and every request with its status.
import { accessSync, constants as fsConstants } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';

/** The Chromium binary (Debian package `chromium`); CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for a quiet, reproducible browser in a container: no sandbox (specs run as root), no GPU,
 * and none of the background traffic (updates, sync, field trials) a fresh profile starts.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether the Chromium binary is there and executable. */
export function browserAvailable(): boolean {
  try {
    accessSync(CHROMIUM_PATH, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let told = false;
/**
 * In a mocha `before` with `function () {}`: skip, saying why, when Chromium is missing. On CI
 * (.ci/run installs the Debian package) a missing browser fails instead, so a broken install step
 * cannot pass silently.
 */
export function requireBrowser(ctx: Mocha.Context): void {
  if (browserAvailable()) return;
  const why = `${CHROMIUM_PATH} is missing (Debian: apt-get install chromium)`;
  if (process.env.CI) throw new Error(`${why}; on CI it must be installed`);
  if (!told) console.log(`      (skipped: ${why}; these specs need a browser)`);
  told = true;
  ctx.skip();
}

/**
 * Launch headless Chromium. Playwright gives each launch a fresh temporary profile
 * (user data dir) and removes it on close(), so no state leaks between runs.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** One request the page made, once it finished or failed. */
export interface CollectedRequest {
  url: string;
  method: string;
  /** Playwright's resource type: document, script, image, fetch, xhr, media, stylesheet, … */
  resourceType: string;
  /** HTTP status; null when the request failed without a response. */
  status: number | null;
  /** Why it failed (net::ERR_…), when it did. */
  failure?: string;
  /** Milliseconds from the start of navigation until the page sent it. */
  startedMs: number;
  /** Milliseconds from the start of navigation until it finished or failed. */
  atMs: number;
}

/** A Content-Security-Policy violation the page reported (securitypolicyviolation event). */
export interface CspViolation {
  directive: string;
  blockedURI: string;
  sourceFile: string;
  lineNumber: number;
}

/** What to wait for after navigation; all given conditions must hold. */
export interface WaitFor {
  /** Until the page's load event ('load', the default), DOMContentLoaded, or network idle. */
  loadState?: 'load' | 'domcontentloaded' | 'networkidle';
  /** Until this selector is attached. */
  selector?: string;
  /** Until some finished request satisfies this. */
  request?: (r: CollectedRequest) => boolean;
  /** Until this many requests satisfy `request` (default 1). */
  requestCount?: number;
  /** Give up waiting after this long (default 20 s); the report then says waitSatisfied: false. */
  timeoutMs?: number;
}

/** Options of openAndCollect. */
export interface OpenOptions<T> {
  /** A browser to reuse (a fresh context is made in it); without one, a browser is launched and closed. */
  browser?: Browser;
  waitFor?: WaitFor;
  viewport?: { width: number; height: number };
  /** Runs in the page once waiting is over, before it closes; its result is the report's `result`. */
  inspect?: (page: Page, report: Omit<PageReport<never>, 'result'>) => Promise<T>;
}

/** Everything openAndCollect saw. */
export interface PageReport<T> {
  /** Status of the main document. */
  status: number | null;
  /** The main document's response headers (lower-case names). */
  headers: Record<string, string>;
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** console.error messages (Chromium also logs refused loads and CSP violations here). */
  consoleErrors: string[];
  consoleWarnings: string[];
  cspViolations: CspViolation[];
  /** Finished and failed requests, in the order they ended. */
  requests: CollectedRequest[];
  /** False when a waitFor condition did not hold within its timeout. */
  waitSatisfied: boolean;
  /** Milliseconds from the start of navigation until waiting was over. */
  elapsedMs: number;
  result: T;
}

// Runs before any page script (Playwright injects it through the DevTools protocol, so the page's
// own CSP does not apply to it) and reports violations through a binding.
const CSP_LISTENER = `document.addEventListener('securitypolicyviolation', function (e) {
  window.__colophonCsp({ directive: e.effectiveDirective || e.violatedDirective, blockedURI: e.blockedURI,
    sourceFile: e.sourceFile || '', lineNumber: e.lineNumber || 0 });
});`;

/**
 * Open a URL in a fresh browser context and collect what happened: page errors, console errors,
 * CSP violations and every request with its status, until the `waitFor` conditions hold.
 */
export async function openAndCollect<T = undefined>(url: string, opts: OpenOptions<T> = {}): Promise<PageReport<T>> {
  const ownBrowser = opts.browser ? undefined : await launchBrowser();
  const browser = opts.browser ?? ownBrowser;
  if (!browser) throw new Error('no browser');
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 }, serviceWorkers: 'block' });
  const wait = opts.waitFor ?? {};
  const timeoutMs = wait.timeoutMs ?? 20_000;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const consoleWarnings: string[] = [];
  const cspViolations: CspViolation[] = [];
  const requests: CollectedRequest[] = [];
  // Requests still in flight when the page closes fail with net::ERR_ABORTED; they are not the
  // page's fault, so recording stops first.
  let recording = true;
  let t0 = performance.now();
  let matched = 0;
  let onMatched: (() => void) | undefined;
  const wanted = wait.requestCount ?? 1;
  const requestsDone = new Promise<void>((resolve) => {
    onMatched = resolve;
  });

  const started = new WeakMap<Request, number>();
  const startOf = (req: Request): number => started.get(req) ?? 0;
  const record = (r: CollectedRequest): void => {
    if (!recording) return;
    requests.push(r);
    if (wait.request?.(r) && ++matched >= wanted) onMatched?.();
  };
  const finished = async (req: Request): Promise<void> => {
    const atMs = performance.now() - t0;
    const res = await req.response().catch(() => null);
    record({ url: req.url(), method: req.method(), resourceType: req.resourceType(), status: res ? res.status() : null, startedMs: startOf(req), atMs });
  };

  try {
    await context.exposeFunction('__colophonCsp', (v: CspViolation) => {
      if (recording) cspViolations.push(v);
    });
    await context.addInitScript(CSP_LISTENER);
    const page = await context.newPage();
    page.on('pageerror', (err) => {
      if (recording) pageErrors.push(err.stack ?? err.message);
    });
    page.on('console', (msg) => {
      if (!recording) return;
      if (msg.type() === 'error') consoleErrors.push(msg.text());
      else if (msg.type() === 'warning') consoleWarnings.push(msg.text());
    });
    page.on('request', (req) => {
      started.set(req, performance.now() - t0);
    });
    page.on('requestfinished', (req) => {
      void finished(req);
    });
    page.on('requestfailed', (req) => {
      record({
        url: req.url(), method: req.method(), resourceType: req.resourceType(), status: null,
        failure: req.failure()?.errorText ?? 'failed', startedMs: startOf(req), atMs: performance.now() - t0,
      });
    });

    t0 = performance.now();
    const deadline = t0 + timeoutMs;
    const left = (): number => Math.max(1, deadline - performance.now());
    const response = await page.goto(url, { waitUntil: wait.loadState ?? 'load', timeout: timeoutMs });
    let waitSatisfied = true;
    if (wait.selector) {
      waitSatisfied = await page.waitForSelector(wait.selector, { state: 'attached', timeout: left() }).then(() => true, () => false);
    }
    if (wait.request && waitSatisfied) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), left());
      });
      waitSatisfied = await Promise.race([requestsDone.then(() => true), timedOut]);
      clearTimeout(timer);
    }
    const elapsedMs = performance.now() - t0;
    const partial = {
      status: response ? response.status() : null,
      headers: response ? await response.allHeaders() : {},
      pageErrors, consoleErrors, consoleWarnings, cspViolations, requests, waitSatisfied, elapsedMs,
    };
    const result = opts.inspect ? await opts.inspect(page, partial) : (undefined as T);
    recording = false;
    // Copies, so that late events (none are recorded now) cannot change what the caller holds.
    return { ...partial, requests: [...requests], result };
  } finally {
    recording = false;
    await context.close();
    if (ownBrowser) await ownBrowser.close();
  }
}
