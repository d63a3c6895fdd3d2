/**
 * The emulator's notion of "now": real time plus an offset that tests move forward, so a
 * 25-hour rotation or a 100-day idle expiry can be exercised in milliseconds. All expiry math
 * goes through here; nothing in the emulator reads Date.now() directly for token lifetimes.
 */
export class EmulatorClock {
  private offset = 0;
  private rate = 1;
  private rateSince = 0;

  now(): number {
    const real = Date.now();
    return real + this.offset + (this.rate === 1 ? 0 : Math.round((real - this.rateSince) * (this.rate - 1)));
  }

  /** Clock milliseconds per real millisecond (1 unless setSpeed changed it). */
  get speed(): number {
    return this.rate;
  }

  /**
   * Lets time run `factor` times faster from now on (1: real time again), so a bench can live
   * through minutes of per-minute rate limits in seconds. "Now" does not jump when it changes.
   */
  setSpeed(factor: number): void {
    if (!Number.isFinite(factor) || factor < 1) throw new Error('factor must be a finite number >= 1');
    const at = this.now();
    this.rate = factor;
    this.rateSince = Date.now();
    this.offset = at - this.rateSince;
  }

  get offsetMs(): number {
    return this.rate === 1 ? this.offset : this.now() - Date.now();
  }

  advance(seconds: number): void {
    if (!Number.isFinite(seconds)) throw new Error('seconds must be a finite number');
    this.offset += Math.round(seconds * 1000);
  }

  set(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) throw new Error('offsetMs must be a finite number');
    this.offset = Math.round(offsetMs);
  }

  snapshot(): { now: string; nowMs: number; offsetMs: number } {
    const nowMs = this.now();
    return { now: new Date(nowMs).toISOString(), nowMs, offsetMs: this.offset };
  }
}
