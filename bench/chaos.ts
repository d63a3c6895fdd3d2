/**
 * `npm run chaos [-- --store mariadb|postgres|redis --replicas N --connections M --duration S --rate X
 *   --kill-every S --receipt-kills F --pause-every S --outages N --naive S --no-faults --short
 *   --deploys | --long-pauses | --grace S | --soak N]`
 * Exits non-zero on any violation by the module, or if the naive control passes.
 */
import { Args } from './lib/args';
import { machineInfo } from './lib/machine';
import { progress } from './lib/progress';
import { writeResults } from './lib/report';
import { DEFAULT_CHAOS, SHORT_CHAOS, withMode, type ChaosOptions } from './chaos/chaos-options';
import { renderChaosTable, type ChaosReport } from './chaos/chaos-report';
import { runChaos } from './chaos/run-chaos';
import { renderSoakTable, soakRow, type SoakRow } from './chaos/soak-table';

function optionsFrom(a: Args): ChaosOptions {
  const soak = a.number('soak', 0);
  const base0: ChaosOptions = a.flag('short') || soak > 0 ? SHORT_CHAOS : DEFAULT_CHAOS;
  const modes = (['deploys', 'long-pauses'] as const).filter((m) => a.flag(m));
  const graceS = a.number('grace', 0);
  if (modes.length + (graceS > 0 ? 1 : 0) > 1) throw new Error('choose one of --deploys, --long-pauses, --grace S');
  const base = withMode(base0, graceS > 0 ? 'grace' : (modes[0] ?? 'normal'), graceS);
  const store = a.string('store', base.store);
  if (store !== 'mariadb' && store !== 'postgres' && store !== 'redis') throw new Error('--store must be mariadb, postgres or redis');
  return {
    ...base,
    store,
    replicas: a.number('replicas', base.replicas),
    connections: a.number('connections', base.connections),
    durationS: a.number('duration', base.durationS),
    clockRate: a.number('rate', base.clockRate),
    killEveryS: a.number('kill-every', base.killEveryS),
    receiptKillFraction: a.number('receipt-kills', base.receiptKillFraction),
    pauseEveryS: a.number('pause-every', base.pauseEveryS),
    storeOutages: a.number('outages', base.storeOutages),
    naiveDurationS: a.number('naive', base.naiveDurationS),
    faults: !a.flag('no-faults'),
  };
}

function printReport(report: ChaosReport): void {
  process.stdout.write(`\n${renderChaosTable(report)}\n`);
  for (const c of report.module.checks) if (c.detail) process.stdout.write(`  ${c.name}: ${c.detail}\n`);
}

async function main(): Promise<number> {
  const a = new Args();
  const options = optionsFrom(a);
  const soak = a.number('soak', 0);
  const command = `npm run chaos -- ${process.argv.slice(2).join(' ')}`.trim();
  const machine = await machineInfo();
  progress(`chaos: ${JSON.stringify(options)}`);
  if (soak > 0) {
    // The short chaos N times in a row: the flake test for `npm test`.
    const rows: SoakRow[] = [];
    const reports: ChaosReport[] = [];
    for (let i = 1; i <= soak; i++) {
      progress(`soak: run ${i}/${soak}`);
      const report = await runChaos(options);
      reports.push(report);
      rows.push(soakRow(i, report));
      if (!report.passed) printReport(report);
      process.stdout.write(`\n${renderSoakTable(rows)}\n`);
    }
    const file = writeResults(`chaos-soak-${options.store}`, { command, at: new Date().toISOString(), machine, rows, reports });
    process.stdout.write(`results: ${file}\n`);
    return rows.every((r) => r.passed) ? 0 : 1;
  }
  const report = await runChaos(options);
  printReport(report);
  const file = writeResults(`chaos-${options.store}${options.mode === 'normal' ? '' : `-${options.mode}`}`, {
    command,
    at: new Date().toISOString(),
    machine,
    ...report,
  });
  process.stdout.write(`results: ${file}\n`);
  return report.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`chaos failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  },
);
