import { createScratchPostgresDatabase } from '../../test/support/postgres';
import { BENCH_CLIENT, startModuleApp } from '../lib/module-app';
import { seedThroughStorage, startBenchEmulator } from '../lib/seed';
async function main() {
  const db = await createScratchPostgresDatabase('qbprof');
  const emulator = await startBenchEmulator();
  const app = await startModuleApp({ emulatorUrl: emulator.url, storage: { type: 'typeorm', url: db.url }, clockNow: () => emulator.state.clock.now(), options: { accessTokenCacheSeconds: 0 } });
  const minted = emulator.state.mint({ clientId: BENCH_CLIENT.clientId, count: 1000 });
  const refs = await seedThroughStorage(app.storage, minted, { tenantId: 'bench-cold', now: emulator.state.clock.now() });
  const s = app.storage as any;
  const rows: any[] = [];
  for (const r of refs) rows.push(await s.readRow(r));
  const v = rows[0].access_token_enc; console.log(typeof v, Buffer.isBuffer(v), v.length);
  const ctx = (row: any) => ({ tenantId: row.tenant_id, realmId: row.realm_id, field: 'access_token' });
  const copies = rows.map((row) => ({ ...row, access_token_enc: Buffer.from(row.access_token_enc, 'latin1').toString('latin1') }));
  for (let rep = 0; rep < 3; rep++) {
    let t = process.hrtime.bigint();
    for (let i = 0; i < 20000; i++) { const row = rows[i % 1000]; s.cipher.decrypt(row.access_token_enc, ctx(row)); }
    const a = Number(process.hrtime.bigint() - t) / 20000 / 1000;
    t = process.hrtime.bigint();
    for (let i = 0; i < 20000; i++) { const row = copies[i % 1000]; s.cipher.decrypt(row.access_token_enc, ctx(row)); }
    const b = Number(process.hrtime.bigint() - t) / 20000 / 1000;
    console.log(`pg strings ${a.toFixed(2)} µs, flat copies ${b.toFixed(2)} µs`);
  }
  // %DebugPrint-free check: string type via v8
  await app.close(); await emulator.close(); await db.drop();
}
main().catch((e) => { console.error(e); process.exit(1); });
