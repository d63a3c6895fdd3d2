import { SHORT_CHAOS } from '../../bench/chaos/chaos-options';
import { renderChaosTable } from '../../bench/chaos/chaos-report';
import { runChaos } from '../../bench/chaos/run-chaos';

/**
 * The short chaos run, on MariaDB and on PostgreSQL: 2 replica processes x 100 connections on the
 * store (through a TCP proxy that is cut once), about two emulator days in 30 s, SIGKILLs with respawn (some timed on a received
 * rotation, inside the receive→commit window), SIGSTOP/SIGCONT, Intuit 5xx/429/resets/latency/
 * drop_after_rotate, then a settle phase until parked connections are reconciled or revived.
 * Every loss and superseded-token use must be attributed to a rotation that provably died (a
 * dropped response, or a SIGKILLed process that held it or had it in flight), from what replicas
 * reported over IPC and the emulator's ledger: anything else is a protocol violation, never luck.
 * The naive refresher, checked the same way, must show at least one (or the checks prove nothing).
 */
describe.each(['mariadb', 'postgres'] as const)('chaos (short) on %s', (store) => {
  it('module: 0 violations under kills, pauses, faults and a store outage; naive control: caught', async () => {
    process.env.QB_QUIET_REPLICAS = '1'; // expected [error] lines; the checks below are the verdict
    const report = await runChaos({ ...SHORT_CHAOS, store });
    // The whole table and every check's detail are the useful failure message.
    if (report.module.violations !== 0) {
      const details = report.module.checks.map((c) => `${c.name}: ${c.violations} violation(s) ${c.detail ?? ''}`).join('\n');
      throw new Error(`chaos found ${report.module.violations} module violation(s)\n${renderChaosTable(report)}\n${details}`);
    }
    expect(report.naive!.violations).toBeGreaterThan(0);
    expect(report.module.counters.kills).toBeGreaterThanOrEqual(1);
    expect(report.module.counters.rotations).toBeGreaterThan(0);
  }, 240_000);
});
