import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { createExampleApp } from '../../apps/example/src/bootstrap';
import type { ExampleRuntime } from '../../apps/example/src/runtime/example-runtime';
import { resolveRuntime } from '../../apps/example/src/runtime/resolve-runtime';

export const KEY_A = 'key-tenant-a-0123456789abcdef';
export const KEY_B = 'key-tenant-b-0123456789abcdef';

export interface ExampleAppHandle {
  app: NestExpressApplication;
  runtime: ExampleRuntime;
  emulator: RunningEmulator;
  /** http://localhost:<port> (the app really listens: browsers and Intuit redirects need it). */
  baseUrl: string;
  /** Every log line the app wrote, to scan for secrets. */
  logs: string[];
  dataDir: string;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function tempDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'qb-example-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Boots the example app exactly as `npm start` does in demo mode (resolveRuntime → SQLite in a
 * temp data dir, in-process emulator, generated secrets), plus two API-key tenants.
 */
export async function startExampleApp(params: {
  dataDir: string;
  port?: number;
  env?: Record<string, string>;
  /** Adjust the resolved runtime before the app is built (module option overrides in tests). */
  configure?: (runtime: ExampleRuntime) => void;
}): Promise<ExampleAppHandle> {
  const port = params.port ?? (await freePort());
  const runtime = await resolveRuntime({
    PORT: String(port),
    EXAMPLE_DATA_DIR: params.dataDir,
    EXAMPLE_EMULATOR_PORT: '0',
    EXAMPLE_API_KEYS: `${KEY_A}:tenant-a,${KEY_B}:tenant-b`,
    EXAMPLE_LOG_LEVEL: 'info',
    ...params.env,
  });
  params.configure?.(runtime);
  const logs: string[] = [];
  runtime.logDestination = { write: (line: string) => logs.push(line) };
  const app = await createExampleApp(runtime).catch(async (err: unknown) => {
    await runtime.demo?.emulator.close();
    throw err;
  });
  // As main.ts does: demo mode listens on loopback only.
  await (runtime.host ? app.listen(port, runtime.host) : app.listen(port));
  return {
    app,
    runtime,
    emulator: runtime.demo!.emulator,
    baseUrl: runtime.publicUrl,
    logs,
    dataDir: params.dataDir,
    close: async () => {
      await app.close();
    },
  };
}
