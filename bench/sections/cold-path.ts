import mysql from 'mysql2/promise';
import { createScratchDatabase } from '../../test/support/mariadb';
import { BENCH_CLIENT, startModuleApp } from '../lib/module-app';
import { progress } from '../lib/progress';
import { seedThroughStorage, startBenchEmulator } from '../lib/seed';
import { median, msSince, now, percentile, round } from '../lib/stats';
import type { BenchProfile, SectionResult } from './section';

/**
 * getAccessToken on a cache miss, reading and decrypting one row from MariaDB vs the floor: a raw mysql2 prepared
 * point select of the same row (same pool size, same server, same rows, interleaved repeats).
 */
export async function benchColdPath(profile: BenchProfile): Promise<SectionResult> {
  const db = await createScratchDatabase('qbbench');
  const emulator = await startBenchEmulator();
  const app = await startModuleApp({ emulatorUrl: emulator.url, storage: { type: 'typeorm', url: db.url }, clockNow: () => emulator.state.clock.now(),
    // The in-process access-token cache off: this measures the storage read + decrypt path.
    options: { accessTokenCacheSeconds: 0 } });
  const pool = mysql.createPool({ uri: db.url, connectionLimit: 10 });
  try {
    const minted = emulator.state.mint({ clientId: BENCH_CLIENT.clientId, count: 1000 });
    const refs = await seedThroughStorage(app.storage, minted, { tenantId: 'bench-cold', now: emulator.state.clock.now() });
    const select = 'SELECT * FROM quickbooks_connections WHERE tenant_id = ? AND realm_id = ?';
    const raw = async (i: number) => {
      const r = refs[i % refs.length];
      const [rows] = await pool.execute(select, [r.tenantId, r.realmId]);
      if ((rows as unknown[]).length !== 1) throw new Error('row missing');
    };
    const viaModule = async (i: number) => {
      await app.tokens.getAccessToken(refs[i % refs.length]);
    };
    const timeEach = async (fn: (i: number) => Promise<void>, n: number, offset: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = now();
        await fn(offset + i * 7);
        out.push(msSince(t) * 1000);
      }
      return out;
    };
    await timeEach(raw, 500, 0);
    await timeEach(viaModule, 500, 0);
    const n = profile.coldIterations;
    const rounds: Array<{ baseP50: number; baseP99: number; p50: number; p99: number }> = [];
    for (let r = 0; r < profile.repeats; r++) {
      const base = await timeEach(raw, n, r * 13);
      const subj = await timeEach(viaModule, n, r * 13);
      rounds.push({ baseP50: percentile(base, 50), baseP99: percentile(base, 99), p50: percentile(subj, 50), p99: percentile(subj, 99) });
      progress(`cold path: repeat ${r + 1}/${profile.repeats}: getAccessToken p50 ${round(rounds[r].p50, 0)} µs, raw select p50 ${round(rounds[r].baseP50, 0)} µs`);
    }
    const ratio50 = median(rounds.map((x) => x.p50 / x.baseP50));
    const ratio99 = median(rounds.map((x) => x.p99 / x.baseP99));
    return {
      figures: [
        {
          section: 'cold path',
          metric: 'getAccessToken p50, MariaDB read + decrypt',
          value: median(rounds.map((x) => x.p50)),
          unit: 'µs',
          baseline: median(rounds.map((x) => x.baseP50)),
          baselineLabel: 'mysql2 prepared point select',
          ratio: ratio50,
          target: '≤ 1.3x',
          met: ratio50 <= 1.3,
        },
        {
          section: 'cold path',
          metric: 'getAccessToken p99',
          value: median(rounds.map((x) => x.p99)),
          unit: 'µs',
          baseline: median(rounds.map((x) => x.baseP99)),
          baselineLabel: 'mysql2 p99',
          ratio: ratio99,
        },
      ],
      detail: { callsPerRepeat: n, rounds },
    };
  } finally {
    await pool.end();
    await app.close();
    await emulator.close();
    await db.drop();
  }
}
