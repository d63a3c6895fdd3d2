import { SHORT_CHAOS } from '../../bench/chaos/chaos-options';
import { renderChaosTable } from '../../bench/chaos/chaos-report';
import { runChaos } from '../../bench/chaos/run-chaos';

/**
 * The short chaos run: 2 replica processes x 100 connections on MariaDB (through a TCP proxy that
 * is cut once), about two emulator days in 40 s, SIGKILLs with respawn, SIGSTOP/SIGCONT, Intuit
 * 5xx/429/resets/latency/drop_after_rotate. The module must show no violation; the naive
 * refresher, checked the same way, must show at least one (or the checks prove nothing).
 */
describe('chaos (short)', () => {
  it('module: 0 violations under kills, pauses, faults and a store outage; naive control: caught', async () => {
    const report = await runChaos(SHORT_CHAOS);
    const table = renderChaosTable(report);
    // The table is the useful failure message: which check, how many, module vs control.
    expect({ moduleViolations: report.module.violations, table }).toEqual({ moduleViolations: 0, table });
    expect(report.naive!.violations).toBeGreaterThan(0);
    expect(report.module.counters.kills).toBeGreaterThanOrEqual(1);
    expect(report.module.counters.rotations).toBeGreaterThan(0);
  }, 180_000);
});
