import { fork } from 'node:child_process';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { createScratchDatabase } from '../../test/support/mariadb';
import { BENCH_CLIENT } from '../lib/module-app';
import { progress } from '../lib/progress';
import { startBenchEmulator } from '../lib/seed';
import { AcceleratedClock } from './accelerated-clock';
import type { ChaosOptions } from './chaos-options';
import type { ChaosCheck, ChaosSideReport } from './chaos-report';

const PRE_AGE_S = 18 * 3600;

/**
 * The naive refresher (no lease, unconditional write) in `replicas` processes on the same kind of
 * emulator and clock, no faults at all: the same checks must flag it.
 */
export async function runNaiveControl(o: ChaosOptions): Promise<ChaosSideReport> {
  const emulator = await startBenchEmulator();
  const db = await createScratchDatabase('qbnaive');
  const pool = mysql.createPool({ uri: db.url, connectionLimit: 2 });
  let clock: AcceleratedClock | null = null;
  try {
    await pool.query(
      'CREATE TABLE naive_tokens (realm_id VARCHAR(64) PRIMARY KEY, refresh_token VARCHAR(255) NOT NULL, access_token TEXT NOT NULL, status VARCHAR(16) NOT NULL)',
    );
    const minted = emulator.state.mint({ clientId: BENCH_CLIENT.clientId, count: o.connections });
    await pool.query('INSERT INTO naive_tokens VALUES ?', [minted.map((m) => [m.realmId, m.refresh_token, m.access_token, 'active'])]);
    emulator.state.clock.advance(PRE_AGE_S);
    clock = new AcceleratedClock(emulator, o.clockRate);
    clock.start();
    // Intuit answers in tens to hundreds of ms; without it the naive processes rarely overlap.
    emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs: 50 });
    progress(`naive control: ${o.replicas} processes, ${o.connections} connections, ${o.naiveDurationS} s`);
    const children = Array.from({ length: o.replicas }, () =>
      fork(join(__dirname, 'naive-refresher.ts'), [], {
        execArgv: ['-r', 'ts-node/register/transpile-only'],
        env: {
          ...process.env,
          NAIVE_EMULATOR_URL: emulator.url,
          NAIVE_DB_URL: db.url,
          NAIVE_CLIENT_ID: BENCH_CLIENT.clientId,
          NAIVE_CLIENT_SECRET: BENCH_CLIENT.clientSecret,
          NAIVE_CONCURRENCY: '4',
          NAIVE_DURATION_MS: String(o.naiveDurationS * 1000),
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
    clock.stop();
    const days = Math.round(((clock.now() - clock.emuStartMs) / 86_400_000) * 100) / 100;
    const stats = emulator.state.statsSnapshot();
    const [rows] = await pool.query('SELECT realm_id, refresh_token, status FROM naive_tokens');
    let lost = 0;
    for (const row of rows as Array<{ realm_id: string; refresh_token: string; status: string }>) {
      const grant = emulator.state.store.grantsByRealm.get(row.realm_id)?.at(-1);
      if (row.status !== 'active' || !grant || grant.current.value !== row.refresh_token) lost++;
    }
    const checks: ChaosCheck[] = [
      { name: 'superseded refresh-token uses', value: stats.supersededRefreshTokenUses, violations: stats.supersededRefreshTokenUses },
      {
        name: 'max concurrent refreshes per token',
        value: stats.concurrentRefreshesMaxPerToken,
        violations: stats.concurrentRefreshesMaxPerToken > 1 ? 1 : 0,
      },
      { name: 'connections lost', value: lost, violations: lost, detail: 'no faults injected: every loss is unexplained' },
    ];
    return {
      label: 'naive',
      checks,
      violations: checks.reduce((n, c) => n + c.violations, 0),
      counters: { refreshCalls: stats.calls.byGrant.refresh_token ?? 0, rotations: stats.rotations, emulatorDays: days },
    };
  } finally {
    clock?.stop();
    await pool.end();
    await db.drop();
    await emulator.close();
  }
}
