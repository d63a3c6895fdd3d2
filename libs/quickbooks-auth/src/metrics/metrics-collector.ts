/**
 * prom-client keeps one metric per name in its global registry, created with the first app's
 * `collect()`. Gauges therefore call through this slot, which points at the metrics service of the
 * app currently running (the last one started, in a test process that boots several).
 */
let active: (() => Promise<void>) | null = null;

/** @internal */
export function setActiveSnapshotCollector(collector: (() => Promise<void>) | null): void {
  active = collector;
}

/** @internal */
export function isActiveSnapshotCollector(collector: () => Promise<void>): boolean {
  return active === collector;
}

/** @internal Called by every gauge's collect(); the collector caches, so one scrape queries once. */
export async function collectActiveSnapshot(): Promise<void> {
  if (active) await active();
}
