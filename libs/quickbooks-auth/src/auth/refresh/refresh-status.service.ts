import { Injectable, Optional } from '@nestjs/common';
import { IntuitCircuitBreaker, type BreakerState } from '../../intuit/intuit-circuit-breaker.service';

/**
 * What the refresh machinery is doing right now, in this process: written by the scheduler, and
 * by the breaker's state changes, read by health and metrics (so neither depends on the other's internals).
 */
@Injectable()
export class RefreshStatus {
  constructor(@Optional() breaker?: IntuitCircuitBreaker) {
    breaker?.onStateChange((state) => (this.breakerState = state));
  }

  /** The scheduler runs in this process. */
  schedulerEnabled = false;
  /** Wall-clock ms of the last completed tick, null before the first. */
  lastTickAt: number | null = null;
  lastTickDurationMs = 0;
  /** How late the oldest due connection was at the last tick (ms, app clock). */
  lastTickLagMs = 0;
  /** Expected tick period (ms), to judge staleness. */
  tickIntervalMs = 30_000;
  breakerState: BreakerState = 'closed';
  /** Refreshes in flight in this process. */
  inFlight = 0;

  /** The scheduler is alive if it ticked within three periods (or is not meant to run here). */
  schedulerHealthy(now = Date.now()): boolean {
    if (!this.schedulerEnabled) return true;
    if (this.lastTickAt === null) return true; // starting up
    return now - this.lastTickAt < Math.max(3 * this.tickIntervalMs, this.tickIntervalMs + 60_000);
  }
}
