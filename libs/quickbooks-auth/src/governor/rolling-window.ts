/**
 * Start times of the calls made in the last `windowMs`: at most `limit` in any window of that
 * length. A rolling window, not a fixed one, so no burst at a window edge can exceed the limit
 * inside whatever window Intuit counts in.
 */
export class RollingWindow {
  private readonly starts: number[] = [];
  private head = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Calls counted at `now`. */
  count(now: number): number {
    this.expire(now);
    return this.starts.length - this.head;
  }

  /** True when one more call may start at `now`. */
  hasRoom(now: number): boolean {
    return this.count(now) < this.limit;
  }

  /** Counts a call started at `now`. */
  record(now: number): void {
    this.starts.push(now);
  }

  /** When the oldest counted call leaves the window (the earliest a full window has room). */
  nextOpening(now: number): number {
    this.expire(now);
    return this.head < this.starts.length ? this.starts[this.head] + this.windowMs : now;
  }

  private expire(now: number): void {
    while (this.head < this.starts.length && this.starts[this.head] + this.windowMs <= now) this.head++;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.starts.length) {
      this.starts.splice(0, this.head);
      this.head = 0;
    }
  }
}
