/**
 * `npm run chaos [-- --store mariadb|redis --replicas N --connections M --duration S --rate X
 *   --kill-every S --pause-every S --outages N --naive S --no-faults --short]`
 * Exits non-zero on any violation by the module, or if the naive control passes.
 */
import { Args } from './lib/args';
import { machineInfo } from './lib/machine';
import { progress } from './lib/progress';
import { writeResults } from './lib/report';
import { DEFAULT_CHAOS, SHORT_CHAOS, type ChaosOptions } from './chaos/chaos-options';
import { renderChaosTable } from './chaos/chaos-report';
import { runChaos } from './chaos/run-chaos';

async function main(): Promise<number> {
  const a = new Args();
  const base: ChaosOptions = a.flag('short') ? SHORT_CHAOS : DEFAULT_CHAOS;
  const store = a.string('store', base.store);
  if (store !== 'mariadb' && store !== 'redis') throw new Error('--store must be mariadb or redis');
  const options: ChaosOptions = {
    ...base,
    store,
    replicas: a.number('replicas', base.replicas),
    connections: a.number('connections', base.connections),
    durationS: a.number('duration', base.durationS),
    clockRate: a.number('rate', base.clockRate),
    killEveryS: a.number('kill-every', base.killEveryS),
    pauseEveryS: a.number('pause-every', base.pauseEveryS),
    storeOutages: a.number('outages', base.storeOutages),
    naiveDurationS: a.number('naive', base.naiveDurationS),
    faults: !a.flag('no-faults'),
  };
  const machine = await machineInfo();
  progress(`chaos: ${JSON.stringify(options)}`);
  const report = await runChaos(options);
  process.stdout.write(`\n${renderChaosTable(report)}\n`);
  for (const c of report.module.checks) if (c.detail) process.stdout.write(`  ${c.name}: ${c.detail}\n`);
  const file = writeResults(`chaos-${options.store}`, { command: `npm run chaos -- ${process.argv.slice(2).join(' ')}`.trim(), at: new Date().toISOString(), machine, ...report });
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
