/**
 * Failed sign-ins per (client address, username) in a fixed one-minute window, in memory. It
 * slows down guessing one account from one place; several instances each keep their own count
 * (an attacker spread over them gets N times the budget, still bounded). The map is bounded: when
 * full, expired windows go first, then the oldest.
 */
export class LoginLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  private key(ip: string, username: string): string {
    return `${ip}\n${username.normalize('NFC').toLowerCase()}`;
  }

  /** Seconds until another attempt is allowed, or 0 when it is allowed now. */
  retryAfter(ip: string, username: string): number {
    const w = this.windows.get(this.key(ip, username));
    if (!w) return 0;
    const left = w.start + this.windowMs - this.now();
    if (left <= 0) return 0;
    return w.failures >= this.maxFailures ? Math.ceil(left / 1000) : 0;
  }

  fail(ip: string, username: string): void {
    const k = this.key(ip, username);
    const t = this.now();
    const w = this.windows.get(k);
    if (w && t - w.start < this.windowMs) {
      w.failures += 1;
      return;
    }
    this.windows.delete(k);
    if (this.windows.size >= this.maxKeys) this.prune(t);
    this.windows.set(k, { start: t, failures: 1 });
  }

  /** A successful sign-in clears the count. */
  succeed(ip: string, username: string): void {
    this.windows.delete(this.key(ip, username));
  }

  private prune(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(k);
    // Still full: drop the oldest (Map keeps insertion order).
    for (const k of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) break;
      this.windows.delete(k);
    }
  }
}
