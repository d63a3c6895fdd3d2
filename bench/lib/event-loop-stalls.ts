/**
 * Records when this process's event loop did not run (GC, CPU starvation on a busy machine).
 * Chaos runs the clock thousands of times faster than the wall, so a 200 ms stall between the
 * module's validity check and the caller noting the time ages a token by ten emulator minutes;
 * the check subtracts measured stalls instead of blaming the module for them.
 */
export class EventLoopStalls {
  private lastBeat = Date.now();
  private readonly gaps: Array<{ from: number; to: number }> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly beatMs = 10,
    /** Gaps shorter than this are ordinary timer jitter, not stalls. */
    private readonly thresholdMs = 30,
    private readonly keepMs = 60_000,
  ) {
    this.timer = setInterval(() => this.beat(), beatMs);
    this.timer.unref();
  }

  /** Milliseconds the loop stood still within [from, to], including a stall still in progress. */
  stalledWithin(from: number, to: number): number {
    let total = 0;
    for (const g of this.gaps) total += Math.max(0, Math.min(g.to, to) - Math.max(g.from, from));
    // The beat after a stall may not have run yet: the stall in progress is [lastBeat + beat, now].
    const open = { from: this.lastBeat + this.beatMs, to: Date.now() };
    if (open.to - open.from > this.thresholdMs) total += Math.max(0, Math.min(open.to, to) - Math.max(open.from, from));
    return total;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    const now = Date.now();
    const gap = now - this.lastBeat - this.beatMs;
    if (gap > this.thresholdMs) this.gaps.push({ from: this.lastBeat + this.beatMs, to: now });
    this.lastBeat = now;
    while (this.gaps.length > 0 && this.gaps[0].to < now - this.keepMs) this.gaps.shift();
  }
}
