import { DEFAULT_CHAOS, type ChaosOptions } from './chaos-options';
import type { ChaosReport } from './chaos-report';
import { runModuleChaos } from './run-module-chaos';
import { runNaiveControl } from './run-naive-control';

/** The module under chaos, then the naive control on the same checks. */
export async function runChaos(options: Partial<ChaosOptions> = {}): Promise<ChaosReport> {
  const o = { ...DEFAULT_CHAOS, ...options };
  const started = Date.now();
  const module = await runModuleChaos(o);
  const naive = o.naiveDurationS > 0 ? await runNaiveControl(o) : null;
  return {
    options: o,
    module,
    naive,
    passed: module.violations === 0 && (naive === null || naive.violations > 0),
    durationS: Math.round((Date.now() - started) / 1000),
  };
}
