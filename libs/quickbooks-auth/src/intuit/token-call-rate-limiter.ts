import type { TokenCallGate } from './token-call-gate';

/**
 * The inner part of the token-call gate: a global cap on token-endpoint calls per second (GCRA, the token bucket in "virtual time").
 * Every caller reserves its slot at once, so waiters go out in arrival order and a burst of
 * `burst` calls may leave together. Intuit does not document a token-endpoint limit; this keeps
 * a recovering fleet from answering an outage with a stampede.
 */
export class TokenCallRateLimiter implements TokenCallGate {
  private readonly intervalMs: number;
  private readonly burstMs: number;
  /** Theoretical arrival time of the next call (ms, wall clock). */
  private tat = 0;

  constructor(
    callsPerSecond: number,
    burst = Math.max(1, Math.ceil(callsPerSecond)),
    private readonly now: () => number = Date.now,
  ) {
    if (!(callsPerSecond > 0)) throw new RangeError('callsPerSecond must be > 0');
    this.intervalMs = 1000 / callsPerSecond;
    this.burstMs = (Math.max(1, burst) - 1) * this.intervalMs;
  }

  /** How long the caller must wait before its call may go out (0 when it may go now). */
  reserve(): number {
    const now = this.now();
    this.tat = Math.max(this.tat, now);
    const wait = Math.max(0, this.tat - now - this.burstMs);
    this.tat += this.intervalMs;
    return wait;
  }

  /** Resolves when the caller's slot comes. */
  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  /** The call, once its slot comes. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    await this.take();
    return call();
  }
}
