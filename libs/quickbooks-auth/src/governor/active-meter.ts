/**
 * prom-client keeps one gauge per name for the whole process, so the month gauges' collect()
 * calls through this slot, which points at the meter of the app started last (as metrics-collector does).
 */
let active: (() => Promise<void>) | null = null;

/** @internal */
export function setActiveMeter(collector: (() => Promise<void>) | null): void {
  active = collector;
}

/** @internal */
export function isActiveMeter(collector: () => Promise<void>): boolean {
  return active === collector;
}

/** @internal */
export async function collectActiveMeter(): Promise<void> {
  await active?.();
}
