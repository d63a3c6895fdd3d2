import { existsSync } from 'node:fs';
import { createExampleApp } from './bootstrap';
import { demoBanner } from './demo/demo-banner';
import { resolveRuntime } from './runtime/resolve-runtime';

async function main(): Promise<void> {
  // Values already in the environment win over .env.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const runtime = await resolveRuntime(process.env);
  const app = await createExampleApp(runtime).catch(async (err: unknown) => {
    await runtime.demo?.emulator.close();
    throw err;
  });
  // Demo mode: 127.0.0.1 unless HOST says otherwise; live mode: every interface unless HOST is set.
  await (runtime.host ? app.listen(runtime.port, runtime.host) : app.listen(runtime.port));
  console.log(demoBanner(runtime));
}

main().catch((err: unknown) => {
  // Configuration errors list variable names only, never values.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
