import mysql from 'mysql2/promise';
import { Pool } from 'pg';
import type { ConnectionRef } from '@quickbooks-auth/nestjs';
import { createScratchDatabase } from '../../test/support/mariadb';
import { createScratchPostgresDatabase } from '../../test/support/postgres';
import { BENCH_CLIENT, startModuleApp } from '../lib/module-app';
import { progress } from '../lib/progress';
import { seedThroughStorage, startBenchEmulator } from '../lib/seed';
import { inputRange, timePaired } from '../lib/paired-timing';
import { median, percentile, round } from '../lib/stats';
import type { Figure } from '../lib/report';
import type { BenchProfile, SectionResult } from './section';

/** One SQL server under test: a scratch database and the floor, a raw prepared point select on it. */
interface ColdStore {
  name: 'MariaDB' | 'PostgreSQL';
  baselineLabel: string;
  open(): Promise<{ url: string; drop(): Promise<void> }>;
  /** A pool of the same size as the module's, running the same point select as a prepared statement. */
  rawSelect(url: string): { select(ref: ConnectionRef): Promise<number>; end(): Promise<void> };
}

const POOL_SIZE = 10;

const STORES: ColdStore[] = [
  {
    name: 'MariaDB',
    baselineLabel: 'mysql2 prepared point select',
    open: () => createScratchDatabase('qbbench'),
    rawSelect: (url) => {
      const pool = mysql.createPool({ uri: url, connectionLimit: POOL_SIZE });
      const text = 'SELECT * FROM quickbooks_connections WHERE tenant_id = ? AND realm_id = ?';
      return {
        select: async (r) => ((await pool.execute(text, [r.tenantId, r.realmId]))[0] as unknown[]).length,
        end: () => pool.end(),
      };
    },
  },
  {
    name: 'PostgreSQL',
    baselineLabel: 'pg named prepared point select',
    open: () => createScratchPostgresDatabase('qbbench'),
    rawSelect: (url) => {
      const pool = new Pool({ connectionString: url, max: POOL_SIZE });
      const text = 'SELECT * FROM quickbooks_connections WHERE tenant_id = $1 AND realm_id = $2';
      return {
        select: async (r) => (await pool.query({ name: 'bench_cold_point_select', text, values: [r.tenantId, r.realmId] })).rows.length,
        end: () => pool.end(),
      };
    },
  },
];

/**
 * getAccessToken on a cache miss, reading and decrypting one row, on MariaDB and on PostgreSQL,
 * each against its floor: a raw prepared point select of the same row with the server's own
 * driver (same pool size, same server, same rows, interleaved repeats).
 */
export async function benchColdPath(profile: BenchProfile): Promise<SectionResult> {
  const figures: Figure[] = [];
  const detail: Record<string, unknown> = { callsPerRepeat: profile.coldIterations };
  for (const store of STORES) {
    const result = await coldPathOn(store, profile);
    figures.push(...result.figures);
    detail[store.name] = result.rounds;
  }
  return { figures, detail };
}

async function coldPathOn(store: ColdStore, profile: BenchProfile): Promise<{ figures: Figure[]; rounds: unknown[] }> {
  const db = await store.open();
  const emulator = await startBenchEmulator();
  const app = await startModuleApp({
    emulatorUrl: emulator.url,
    storage: { type: 'typeorm', url: db.url },
    clockNow: () => emulator.state.clock.now(),
    // The in-process access-token cache off: this measures the storage read + decrypt path.
    options: { accessTokenCacheSeconds: 0 },
  });
  const pool = store.rawSelect(db.url);
  try {
    const minted = emulator.state.mint({ clientId: BENCH_CLIENT.clientId, count: 1000 });
    const refs = await seedThroughStorage(app.storage, minted, { tenantId: 'bench-cold', now: emulator.state.clock.now() });
    const raw = async (i: number) => {
      if ((await pool.select(refs[i % refs.length])) !== 1) throw new Error('row missing');
    };
    const viaModule = async (i: number) => {
      await app.tokens.getAccessToken(refs[i % refs.length]);
    };
    // Both paths timed call by call, alternating which goes first, on the same rows (in µs).
    const timeBoth = async (n: number, offset: number) => {
      const { base, subj } = await timePaired(inputRange(n, offset, 7), raw, viaModule);
      return { base: base.map((ms) => ms * 1000), subj: subj.map((ms) => ms * 1000) };
    };
    await timeBoth(500, 0);
    const n = profile.coldIterations;
    const rounds: Array<{ baseP50: number; baseP99: number; p50: number; p99: number }> = [];
    for (let r = 0; r < profile.repeats; r++) {
      const { base, subj } = await timeBoth(n, r * 13);
      rounds.push({ baseP50: percentile(base, 50), baseP99: percentile(base, 99), p50: percentile(subj, 50), p99: percentile(subj, 99) });
      progress(
        `cold path (${store.name}): repeat ${r + 1}/${profile.repeats}: getAccessToken p50 ${round(rounds[r].p50, 0)} µs, raw select p50 ${round(rounds[r].baseP50, 0)} µs`,
      );
    }
    const ratio50 = median(rounds.map((x) => x.p50 / x.baseP50));
    const ratio99 = median(rounds.map((x) => x.p99 / x.baseP99));
    return {
      rounds,
      figures: [
        {
          section: 'cold path',
          metric: `getAccessToken p50, ${store.name} read + decrypt`,
          value: median(rounds.map((x) => x.p50)),
          unit: 'µs',
          baseline: median(rounds.map((x) => x.baseP50)),
          baselineLabel: store.baselineLabel,
          ratio: ratio50,
          target: '≤ 1.3x',
          met: ratio50 <= 1.3,
        },
        {
          section: 'cold path',
          metric: `getAccessToken p99, ${store.name}`,
          value: median(rounds.map((x) => x.p99)),
          unit: 'µs',
          baseline: median(rounds.map((x) => x.baseP99)),
          baselineLabel: `${store.baselineLabel}, p99`,
          ratio: ratio99,
        },
      ],
    };
  } finally {
    await pool.end();
    await app.close();
    await emulator.close();
    await db.drop();
  }
}
