/**
 * Per-realm fixed-window limiter for the QBO API slice (Intuit: 500 requests/minute/realm).
 * Windows follow the emulator clock, so advancing the clock also opens a new window.
 */
export class RealmRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  /** Counts one request; true when it is within the limit. */
  take(realmId: string, now: number, limitPerMinute: number): boolean {
    const windowStart = now - (now % 60_000);
    let w = this.windows.get(realmId);
    if (!w || w.start !== windowStart) {
      w = { start: windowStart, count: 0 };
      this.windows.set(realmId, w);
    }
    w.count += 1;
    return w.count <= limitPerMinute;
  }

  /** Seconds until the current window closes, for Retry-After. */
  retryAfterSeconds(now: number): number {
    return Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000));
  }

  clear(): void {
    this.windows.clear();
  }
}
