import type { Clock } from '../utils/clock';

/** How many real milliseconds to wait for `clockMs` of the configured clock to pass. */
export function realDelayMs(clock: Clock, clockMs: number): number {
  const speed = typeof clock.speed === 'number' && clock.speed > 0 ? clock.speed : 1;
  return Math.max(0, Math.ceil(clockMs / speed));
}
