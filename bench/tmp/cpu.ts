import { Pool } from 'pg';
import { createScratchPostgresDatabase } from '../../test/support/postgres';
import { createScratchDatabase } from '../../test/support/mariadb';
import mysql from 'mysql2/promise';
import { BENCH_CLIENT, startModuleApp } from '../lib/module-app';
import { seedThroughStorage, startBenchEmulator } from '../lib/seed';
import { toStoredConnection } from '@quickbooks-auth/nestjs/auth/storage/typeorm/connection-row';
async function main() {
  const kind = process.argv[2] ?? 'pg';
  const db = kind === 'pg' ? await createScratchPostgresDatabase('qbprof') : await createScratchDatabase('qbprof');
  const emulator = await startBenchEmulator();
  const app = await startModuleApp({ emulatorUrl: emulator.url, storage: { type: 'typeorm', url: db.url }, clockNow: () => emulator.state.clock.now(), options: { accessTokenCacheSeconds: 0 } });
  const minted = emulator.state.mint({ clientId: BENCH_CLIENT.clientId, count: 1000 });
  const refs = await seedThroughStorage(app.storage, minted, { tenantId: 'bench-cold', now: emulator.state.clock.now() });
  const s = app.storage as any;
  let raw: (r: any) => Promise<unknown>; let end: () => Promise<void>;
  if (kind === 'pg') {
    const pool = new Pool({ connectionString: db.url, max: 10 });
    const text = 'SELECT * FROM quickbooks_connections WHERE tenant_id = $1 AND realm_id = $2';
    raw = (r) => pool.query({ name: 'b', text, values: [r.tenantId, r.realmId] }); end = () => pool.end();
  } else {
    const pool = mysql.createPool({ uri: db.url, connectionLimit: 10 });
    const text = 'SELECT * FROM quickbooks_connections WHERE tenant_id = ? AND realm_id = ?';
    raw = (r) => pool.execute(text, [r.tenantId, r.realmId]); end = () => pool.end();
  }
  const stages: Record<string, (r: any) => Promise<unknown>> = {
    rowNoDec0: async (r) => { const row = await s.readRow(r); return toStoredConnection(row, null); }, raw, readRow: (r) => s.readRow(r), readRowKeep: async (r) => { const row = await s.readRow(r); (globalThis as any).__k = row; return row; }, get: (r) => s.get(r), gat: (r) => app.tokens.getAccessToken(r), rowStored: async (r) => s.toStored(await s.readRow(r)), rowDecOne: async (r) => { const row = await s.readRow(r); return s.cipher.decrypt(row.access_token_enc, { tenantId: row.tenant_id, realmId: row.realm_id, field: 'access_token' }); }, rowNoDec: async (r) => { const row = await s.readRow(r); return toStoredConnection(row, null); },
  };
  const res: Record<string, number[]> = {}; const wall: Record<string, number[]> = {};
  for (let rep = 0; rep < 6; rep++) for (const [k, f] of Object.entries(stages)) {
    const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint();
    for (let i = 0; i < 3000; i++) await f(refs[(i * 7 + rep) % 1000]);
    const c = process.cpuUsage(c0); const w = Number(process.hrtime.bigint() - t0) / 3000 / 1000;
    if (rep > 0) { (res[k] ??= []).push((c.user + c.system) / 3000); (wall[k] ??= []).push(w); }
  }
  const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
  console.log(kind, Object.keys(stages).map((k) => `${k} cpu ${med(res[k]).toFixed(1)} wall ${med(wall[k]).toFixed(0)}`).join(' | '));
  await end(); await app.close(); await emulator.close(); await db.drop();
}
main().catch((e) => { console.error(e); process.exit(1); });
