import mysql from 'mysql2/promise';
import { loadavg } from 'node:os';
import { Pool } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { QUICKBOOKS_AUTH_ENTITIES } from '@quickbooks-auth/nestjs/auth/storage/typeorm/quickbooks-auth.entities';
import { runQuickBooksMigrations } from '@quickbooks-auth/nestjs/migrations/run-migrations';
import { createScratchDatabase } from '../../test/support/mariadb';
import { createScratchPostgresDatabase } from '../../test/support/postgres';
import type { Figure } from '../lib/report';
import { analyzeConnections, bulkInsertConnections, type BulkInsertTarget } from '../lib/bulk-insert';
import { ReplicaProcess } from '../lib/fork-replica';
import { BENCH_CLIENT, benchSecrets } from '../lib/module-app';
import { progress } from '../lib/progress';
import type { ReplicaStats } from '../lib/replica-protocol';
import { startBenchEmulator } from '../lib/seed';
import { round } from '../lib/stats';
import type { BenchProfile, SectionResult } from './section';

const TENANT = 'bench-scale';

/** A SQL server the scale section runs on: a scratch database, a DataSource for migrations, a bulk-insert pool. */
interface ScaleStore {
  name: 'MariaDB' | 'PostgreSQL';
  open(): Promise<{ url: string; drop(): Promise<void> }>;
  dataSource(url: string): DataSourceOptions;
  pool(url: string): BulkInsertTarget;
}

const STORES: Record<string, ScaleStore> = {
  mariadb: {
    name: 'MariaDB',
    open: () => createScratchDatabase('qbbench'),
    dataSource: (url) => ({ type: 'mysql', url, entities: [...QUICKBOOKS_AUTH_ENTITIES] }),
    pool: (url) => ({ kind: 'mysql', pool: mysql.createPool({ uri: url, connectionLimit: 4 }) }),
  },
  postgres: {
    name: 'PostgreSQL',
    open: () => createScratchPostgresDatabase('qbbench'),
    dataSource: (url) => ({ type: 'postgres', url, entities: [...QUICKBOOKS_AUTH_ENTITIES], installExtensions: false }),
    pool: (url) => ({ kind: 'postgres', pool: new Pool({ connectionString: url, max: 4 }) }),
  },
};

/**
 * N connections in the store, all due at once, refreshed by the scheduler of one replica process
 * at concurrency C against an emulator answering in `latency` ms, on MariaDB and on PostgreSQL
 * one after the other (`--stores` picks). The ceiling is C / latency refreshes per second; we
 * report the steady-state rate (10 % → 90 % done) against it, SQL statements per refresh
 * (counted by a TypeORM logger in the replica) and the replica's peak RSS and CPU per refresh.
 */
export async function benchScale(profile: BenchProfile): Promise<SectionResult> {
  const figures: Figure[] = [];
  const detail: Record<string, unknown> = {};
  const sizes = profile.scaleSizes?.length ? profile.scaleSizes : [profile.scaleConnections];
  for (const key of profile.scaleStores) {
    const store = STORES[key];
    if (!store) throw new Error(`--stores: unknown store ${key} (mariadb, postgres)`);
    for (const n of sizes) {
      const result = await scaleOn(store, profile, n);
      figures.push(...result.figures);
      detail[sizes.length > 1 ? `${store.name} ${n}` : store.name] = result.detail;
    }
  }
  if (sizes.length > 1) progress(`scale: replica memory by fleet size\n${memoryTable(detail)}`);
  return { figures, detail };
}

/** One row per store and size: peak RSS, and what it was at boot and at the end (heap, external). */
function memoryTable(detail: Record<string, unknown>): string {
  const rows = Object.entries(detail).map(([name, d]) => {
    const m = (d as { memory: { bootRssMb: number; peakRssMb: number; end: ReplicaStats['memory'] } }).memory;
    return `| ${name} | ${m.bootRssMb} | ${m.peakRssMb} | ${m.end.rssMb} | ${m.end.heapUsedMb} / ${m.end.heapTotalMb} | ${m.end.externalMb} |`;
  });
  return [
    '| store, connections | RSS after boot (MB) | peak RSS (MB) | RSS at end (MB) | heap used / total at end (MB) | external (MB) |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

async function scaleOn(store: ScaleStore, profile: BenchProfile, n: number): Promise<SectionResult> {
  const c = profile.scaleConcurrency;
  const latencyMs = profile.scaleLatencyMs;
  const db = await store.open();
  const emulator = await startBenchEmulator();
  const target = store.pool(db.url);
  let replica: ReplicaProcess | null = null;
  try {
    const ds = new DataSource(store.dataSource(db.url));
    await ds.initialize();
    await runQuickBooksMigrations(ds);
    await ds.destroy();

    const setupStarted = Date.now();
    const now = emulator.state.clock.now();
    let t = Date.now();
    const minted = [];
    for (let left = n; left > 0; left -= 100_000)
      minted.push(...emulator.state.mint({ clientId: BENCH_CLIENT.clientId, count: Math.min(left, 100_000) }));
    const mintMs = Date.now() - t;
    progress(`scale (${store.name}): minted ${n} at the emulator in ${mintMs} ms`);
    t = Date.now();
    await bulkInsertConnections(target, minted, {
      tenantId: TENANT,
      now,
      nextRefreshAt: now - 1000,
      encryptionKeys: benchSecrets().encryptionKeys,
      onProgress: (done) => done % 100_000 === 0 && progress(`scale (${store.name}): inserted ${done}/${n}`),
    });
    const insertMs = Date.now() - t;
    progress(`scale (${store.name}): inserted ${n} rows in ${insertMs} ms`);
    t = Date.now();
    await analyzeConnections(target);
    const analyzeMs = Date.now() - t;
    progress(`scale (${store.name}): analyzed in ${analyzeMs} ms`);

    emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs });
    const batchSize = 4 * c;
    replica = await ReplicaProcess.start(
      {
        name: 'scale-0',
        emulatorUrl: emulator.url,
        storage: { type: 'typeorm', url: db.url, migrationsRun: false },
        clock: { kind: 'offset', offsetMs: emulator.state.clock.offsetMs },
        countStatements: true,
        options: { scheduler: { enabled: true, tickSeconds: 1, concurrency: c, batchSize, breakerConsecutiveFailures: 1_000_000 } },
      },
      undefined,
      { compiled: true },
    );
    const startStats = await replica.request<ReplicaStats>({ type: 'stats' });
    const setupMs = Date.now() - setupStarted;
    progress(
      `scale (${store.name}): setup ${setupMs} ms (mint ${mintMs}, insert ${insertMs}, analyze ${analyzeMs}), replica up at ${startStats.maxRssMb} MB RSS`,
    );
    const marks: Array<{ at: number; done: number }> = [];
    const runStarted = Date.now();
    const capped = profile.scaleSeconds !== undefined;
    const deadline = runStarted + (capped ? profile.scaleSeconds! * 1000 : Math.max(120_000, (n / (c / (latencyMs / 1000))) * 4000));
    let stats = startStats;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      stats = await replica.request<ReplicaStats>({ type: 'stats' });
      const done = (stats.scheduler.refreshed ?? 0) + (stats.scheduler.failed ?? 0) + (stats.scheduler.reauthRequired ?? 0);
      marks.push({ at: Date.now(), done });
      if (marks.length % 10 === 0)
        progress(
          `scale (${store.name}): ${done}/${n} refreshed (${stats.scheduler.failed ?? 0} failed), peak rss ${stats.maxRssMb} MB (now ${stats.memory.rssMb}: heap ${stats.memory.heapUsedMb}/${stats.memory.heapTotalMb}, external ${stats.memory.externalMb})`,
        );
      if (done >= n || Date.now() > deadline) break;
    }
    const at = (fraction: number) => marks.find((m) => m.done >= fraction * n);
    // --scale-seconds cut the run short of 90 %: the window is then from 10 % of the run's time to its end.
    const cut = capped && !at(0.9);
    const m10 = cut ? marks.find((m) => m.at >= runStarted + 0.1 * (Date.now() - runStarted)) : at(0.1);
    const m90 = cut ? marks[marks.length - 1] : at(0.9);
    const steadyRate = m10 && m90 && m90.at > m10.at ? (m90.done - m10.done) / ((m90.at - m10.at) / 1000) : NaN;
    const ceiling = c / (latencyMs / 1000);
    const refreshed = stats.scheduler.refreshed ?? 0;
    const statements = stats.statements - startStats.statements;
    const perRefresh = statements / Math.max(1, refreshed);
    const emu = emulator.state.statsSnapshot();
    const fraction = steadyRate / ceiling;
    const cpuPerRefresh = (stats.cpuMs - startStats.cpuMs) / Math.max(1, refreshed);
    const userPerRefresh = (stats.cpuUserMs - startStats.cpuUserMs) / Math.max(1, refreshed);
    const systemPerRefresh = (stats.cpuSystemMs - startStats.cpuSystemMs) / Math.max(1, refreshed);
    const calls = stats.tokenCalls.count - startStats.tokenCalls.count;
    const callLatencyMs = (stats.tokenCalls.totalMs - startStats.tokenCalls.totalMs) / Math.max(1, calls);
    return {
      figures: [
        {
          section: 'scale',
          metric: `${store.name}: ${n} due connections, C=${c}, latency ${latencyMs} ms: refreshes/s (${cut ? `run cut at ${profile.scaleSeconds} s, ${marks[marks.length - 1]?.done ?? 0} done: last 90 % of its time` : 'steady 10-90 %'})`,
          value: steadyRate,
          unit: '/s',
          baseline: ceiling,
          baselineLabel: 'C / latency',
          ratio: fraction,
          target: '≥ 0.95x',
          met: fraction >= 0.95,
        },
        { section: 'scale', metric: `${store.name}: ${n}: SQL statements per refresh (claim share included)`, value: perRefresh, unit: '' },
        {
          section: 'scale',
          metric: `${store.name}: ${n}: setup (mint, bulk insert, replica boot)`,
          value: setupMs / 1000,
          unit: 's',
          note: `mint ${round(mintMs / 1000)} s, insert ${round(insertMs / 1000)} s, analyze ${round(analyzeMs / 1000)} s`,
        },
        {
          section: 'scale',
          metric: `${store.name}: ${n}: replica peak RSS`,
          value: stats.maxRssMb,
          unit: 'MB',
          target: '≤ 250 MB',
          met: stats.maxRssMb <= 250,
          note: `after boot ${startStats.maxRssMb} MB`,
        },
        {
          section: 'scale',
          metric: `${store.name}: ${n}: replica CPU per refresh (CPU-bound ceiling = 1000 / this per core)`,
          value: cpuPerRefresh,
          unit: 'ms',
          target: '≤ 0.5 ms',
          met: cpuPerRefresh <= 0.5,
          note: `user ${userPerRefresh.toFixed(2)} + system ${systemPerRefresh.toFixed(2)} ms; load average at end ${loadavg()
            .map((v) => v.toFixed(1))
            .join(' ')}`,
        },
        {
          section: 'scale',
          metric: `${store.name}: ${n}: token call latency as the replica saw it (mean; C / this is the call-bound ceiling)`,
          value: callLatencyMs,
          unit: 'ms',
          baseline: latencyMs,
          baselineLabel: 'emulator latency',
          ratio: callLatencyMs / latencyMs,
        },
        {
          section: 'scale',
          metric: `${store.name}: ${n}: token calls per connection; superseded uses`,
          value: (emu.calls.byGrant.refresh_token ?? 0) / n,
          unit: '',
          note: `superseded ${emu.supersededRefreshTokenUses}, max concurrent per token ${emu.concurrentRefreshesMaxPerToken}`,
        },
      ],
      detail: {
        connections: n,
        concurrency: c,
        batchSize,
        latencyMs,
        setupMs,
        mintMs,
        insertMs,
        analyzeMs,
        refreshed,
        memory: { bootRssMb: startStats.maxRssMb, peakRssMb: stats.maxRssMb, end: stats.memory },
        cpuPerRefreshUserMs: userPerRefresh,
        cpuPerRefreshSystemMs: systemPerRefresh,
        tokenCallLatencyMs: callLatencyMs,
        failed: stats.scheduler.failed ?? 0,
        statements,
        statementsByKind: diffCounts(stats.statementsByKind, startStats.statementsByKind),
        steadyRate: round(steadyRate),
        ceiling,
        cpuPerRefreshMs: cpuPerRefresh,
        loadAverageAtEnd: loadavg(),
        marks,
        emulator: { ...emu, calls: { byGrant: emu.calls.byGrant } },
      },
    };
  } finally {
    await replica?.stop();
    await target.pool.end();
    await emulator.close();
    await db.drop();
  }
}

function diffCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]));
}
