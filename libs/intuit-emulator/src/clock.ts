/**
 * The emulator's notion of "now": real time plus an offset that tests move forward, so a
 * 25-hour rotation or a 100-day idle expiry can be exercised in milliseconds. All expiry math
 * goes through here; nothing in the emulator reads Date.now() directly for token lifetimes.
 */
export class EmulatorClock {
  private offset = 0;

  now(): number {
    return Date.now() + this.offset;
  }

  get offsetMs(): number {
    return this.offset;
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
