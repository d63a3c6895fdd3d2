/**
 * `npm run bench [-- --quick | --full] [--scale N] [--stores mariadb,postgres] [--only hot,cold,refresh,stampede,scale,campaign,governor,budget]`
 * Every figure is a ratio to a baseline measured in the same run; each is a median of repeats.
 */
import { Args } from './lib/args';
import { machineInfo } from './lib/machine';
import { progress } from './lib/progress';
import { renderTable, writeResults, type Figure } from './lib/report';
import { benchBudget } from './sections/budget';
import { benchColdPath } from './sections/cold-path';
import { benchHotPath } from './sections/hot-path';
import { benchRefresh } from './sections/refresh';
import { benchScale } from './sections/scale';
import { benchReconnectCampaign } from './sections/reconnect-campaign';
import type { BenchProfile, SectionResult } from './sections/section';
import { benchStampede } from './sections/stampede';
import { benchGovernor } from './sections/governor';

function profileFrom(args: Args): BenchProfile {
  const name = args.flag('quick') ? 'quick' : args.flag('full') ? 'full' : 'default';
  const base: Record<BenchProfile['name'], Omit<BenchProfile, 'scaleStores' | 'scaleSizes' | 'scaleSeconds'>> = {
    quick: {
      name: 'quick',
      repeats: 3,
      hotIterations: 50_000,
      coldIterations: 1_000,
      refreshIterations: 100,
      stampedeCallers: 10_000,
      stampedeProcesses: 4,
      scaleConnections: 5_000,
      scaleConcurrency: 64,
      scaleLatencyMs: 100,
    },
    default: {
      name: 'default',
      repeats: 5,
      hotIterations: 200_000,
      coldIterations: 2_000,
      refreshIterations: 200,
      stampedeCallers: 10_000,
      stampedeProcesses: 4,
      scaleConnections: 10_000,
      scaleConcurrency: 64,
      scaleLatencyMs: 100,
    },
    full: {
      name: 'full',
      repeats: 7,
      hotIterations: 500_000,
      coldIterations: 4_000,
      refreshIterations: 400,
      stampedeCallers: 10_000,
      stampedeProcesses: 4,
      scaleConnections: 100_000,
      scaleConcurrency: 64,
      scaleLatencyMs: 100,
    },
  };
  const p = base[name];
  return {
    ...p,
    repeats: args.number('repeats', p.repeats),
    scaleConnections: scaleSizes(args, p.scaleConnections)[0],
    scaleSizes: scaleSizes(args, p.scaleConnections),
    ...(args.flag('scale-seconds') ? { scaleSeconds: args.number('scale-seconds', 0) } : {}),
    scaleStores: args.list('stores') ?? ['mariadb', 'postgres'],
    scaleConcurrency: args.number('concurrency', p.scaleConcurrency),
    stampedeCallers: args.number('callers', p.stampedeCallers),
  };
}

/** `--scale N` or `--scale N1,N2,...`. */
function scaleSizes(args: Args, fallback: number): number[] {
  const list = args.list('scale');
  if (!list) return [fallback];
  return list.map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--scale must be a number of connections (or a comma list), got ${v}`);
    return n;
  });
}

const SECTIONS: Record<string, (p: BenchProfile) => Promise<SectionResult>> = {
  hot: benchHotPath,
  cold: benchColdPath,
  refresh: benchRefresh,
  stampede: benchStampede,
  scale: benchScale,
  budget: benchBudget,
  campaign: benchReconnectCampaign,
  governor: benchGovernor,
};

async function main(): Promise<void> {
  const args = new Args();
  const profile = profileFrom(args);
  const only = args.list('only') ?? Object.keys(SECTIONS);
  const machine = await machineInfo();
  progress(
    `bench profile ${profile.name} (${only.join(', ')}), ${machine.nproc} cpu ${machine.cpuModel}, node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}`,
  );
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  const started = Date.now();
  for (const name of only) {
    const run = SECTIONS[name];
    if (!run) throw new Error(`unknown section ${name}; known: ${Object.keys(SECTIONS).join(', ')}`);
    progress(`section ${name}: start`);
    const result = await run(profile);
    figures.push(...result.figures);
    details[name] = result.detail;
    progress(`section ${name}: done`);
  }
  const table = renderTable(figures);
  process.stdout.write(`\n${table}\n\n`);
  const file = writeResults('bench', {
    command: process.argv.length > 2 ? `npm run bench -- ${process.argv.slice(2).join(' ')}` : 'npm run bench',
    at: new Date().toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    machine,
    profile,
    figures,
    details,
  });
  process.stdout.write(`results: ${file}\n`);
  const missed = figures.filter((f) => f.met === false);
  if (missed.length) process.stdout.write(`targets missed: ${missed.map((f) => `${f.section}: ${f.metric}`).join('; ')}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
