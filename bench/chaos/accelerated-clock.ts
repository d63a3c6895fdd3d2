import type { RunningEmulator } from '@quickbooks-auth/intuit-emulator';

/**
 * Emulator time running `rate` times faster than wall time, from the emulator's "now" at
 * construction. Replicas compute the same function from the same constants (no IPC, so a paused
 * replica's clock is right the moment it resumes); the emulator's clock is replaced by it, so
 * both sides agree to the millisecond (a periodic sync would lag by interval x rate).
 */
export class AcceleratedClock {
  readonly realStartMs = Date.now();
  readonly emuStartMs: number;

  constructor(
    private readonly emulator: RunningEmulator,
    readonly rate: number,
  ) {
    this.emuStartMs = emulator.state.clock.now();
  }

  now = (): number => this.emuStartMs + (Date.now() - this.realStartMs) * this.rate;

  start(): void {
    this.emulator.state.clock.now = this.now;
  }

  /** Freeze the emulator at the current accelerated time (checks run on a still clock). */
  stop(): void {
    const frozen = this.now();
    this.emulator.state.clock.now = () => frozen;
  }

  get spec(): { kind: 'accelerated'; realStartMs: number; emuStartMs: number; rate: number } {
    return { kind: 'accelerated', realStartMs: this.realStartMs, emuStartMs: this.emuStartMs, rate: this.rate };
  }
}
