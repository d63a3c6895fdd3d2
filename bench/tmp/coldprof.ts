import { Pool } from 'pg';
import { createScratchPostgresDatabase } from '../../test/support/postgres';
import { BENCH_CLIENT, startModuleApp } from '../lib/module-app';
import { seedThroughStorage, startBenchEmulator } from '../lib/seed';
import { now, msSince, percentile } from '../lib/stats';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

async function main() {
  const db = await createScratchPostgresDatabase('qbprof');
  const emulator = await startBenchEmulator();
  const app = await startModuleApp({ emulatorUrl: emulator.url, storage: { type: 'typeorm', url: db.url }, clockNow: () => emulator.state.clock.now(), options: { accessTokenCacheSeconds: 0 } });
  const pool = new Pool({ connectionString: db.url, max: 10 });
  const minted = emulator.state.mint({ clientId: BENCH_CLIENT.clientId, count: 1000 });
  const refs = await seedThroughStorage(app.storage, minted, { tenantId: 'bench-cold', now: emulator.state.clock.now() });
  const text = 'SELECT * FROM quickbooks_connections WHERE tenant_id = $1 AND realm_id = $2';
  const stages: Record<string, (i: number) => Promise<unknown>> = {
    raw: (i) => pool.query({ name: 'b', text, values: [refs[i % 1000].tenantId, refs[i % 1000].realmId] }),
    readRow: (i) => (app.storage as any).readRow(refs[i % 1000]),
    get: (i) => app.storage.get(refs[i % 1000]),
    getAccessToken: (i) => app.tokens.getAccessToken(refs[i % 1000]),
  };
  const time = async (fn: (i: number) => Promise<unknown>, n: number) => { const out: number[] = []; for (let i = 0; i < n; i++) { const t = now(); await fn(i * 7); out.push(msSince(t) * 1000); } return out; };
  for (const f of Object.values(stages)) await time(f, 1000);
  for (let r = 0; r < 3; r++) {
    const line: string[] = [];
    for (const [k, f] of Object.entries(stages)) line.push(`${k} ${percentile(await time(f, 2000), 50).toFixed(0)}`);
    console.log(line.join('  '));
  }
  if (process.env.PROF) {
    const s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.setSamplingInterval', { interval: 50 }); await s.post('Profiler.start');
    await time(stages.getAccessToken, 20000);
    const { profile } = await s.post('Profiler.stop'); writeFileSync('/tmp/cold.cpuprofile', JSON.stringify(profile));
  }
  await pool.end(); await app.close(); await emulator.close(); await db.drop();
}
main().catch((e) => { console.error(e); process.exit(1); });
