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
  console.log(s.constructor.name, Object.getPrototypeOf(s) === Object.getPrototypeOf(s), typeof s.readRow);
  const rows = await Promise.all(refs.slice(0, 1000).map((r) => s.readRow(r)));
  console.log(Object.keys(rows[0]).length, Object.entries(rows[0]).map(([k, v]) => `${k}:${typeof v}`).join(' '));
  const N = 100000;
  for (let r = 0; r < 3; r++) {
    let t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) s.toStored(rows[i % 1000]);
    console.log('toStored µs', (Number(process.hrtime.bigint() - t) / N / 1000).toFixed(2));
  }
  // interleaved sequential timing of readRow vs get
  const lat = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
  for (let r = 0; r < 3; r++) {
    const A: number[] = [], B: number[] = [], C: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const ref = refs[(i * 7) % 1000];
      let t = process.hrtime.bigint(); await s.readRow(ref); A.push(Number(process.hrtime.bigint() - t) / 1000);
      t = process.hrtime.bigint(); await s.get(ref); B.push(Number(process.hrtime.bigint() - t) / 1000);
      t = process.hrtime.bigint(); await app.tokens.getAccessToken(ref); C.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    console.log(`readRow ${lat(A).toFixed(0)} get ${lat(B).toFixed(0)} getAccessToken ${lat(C).toFixed(0)}`);
  }
  await app.close(); await emulator.close(); await db.drop();
}
main().catch((e) => { console.error(e); process.exit(1); });
