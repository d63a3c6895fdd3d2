import { register } from 'prom-client';

/** The value of one series in the process's Prometheus registry (0 when it has none yet). */
export async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = register.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const match = values.find(
    (v) =>
      Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val) &&
      (name.endsWith('_seconds') ? (v as { metricName?: string }).metricName?.endsWith('_count') : true),
  );
  return match?.value ?? 0;
}

/** Waits for `check` (real time, bounded), then asserts it. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check()) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  expect(await check()).toBe(true);
}

/** A settled promise's outcome, for asserting on rejections without unhandled ones. */
export function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}
