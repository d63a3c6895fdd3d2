/**
 * How long a token call takes from here, as this process has seen it: its own calls, and other
 * replicas' refreshes it waited for (call start to fresh token read). The median of the recent
 * ones, so one slow answer does not move it. Used to time the polls of a wait (holder-poll-delay).
 */
export class TokenCallLatency {
  private readonly recent: number[] = [];
  private next = 0;

  constructor(private readonly window = 32) {}

  observe(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.recent.length < this.window) this.recent.push(ms);
    else this.recent[this.next] = ms;
    this.next = (this.next + 1) % this.window;
  }

  /** The median of the recent observations; undefined before the first. */
  typicalMs(): number | undefined {
    if (this.recent.length === 0) return undefined;
    const sorted = [...this.recent].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)];
  }
}
