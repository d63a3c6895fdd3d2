/**
 * `@nestjs/event-emitter` is an optional peer: a host that never installed it boots the built
 * library and connects a realm. The host runs in a child process whose node_modules has every
 * package of this repository except that one (a real MODULE_NOT_FOUND, not a mock).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { buildLibraryInto, createHostSandbox, installedPackages, type HostSandbox } from '../support/host-sandbox';
import { TEST_CLIENT, testKeyRing, testStateSecret } from '../support/test-keys';

const run = promisify(execFile);

// Plain CommonJS, as a host's compiled main.js would be.
const HOST_MAIN = `
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const qb = require('@quickbooks-auth/nestjs');

async function main() {
  let eventEmitterResolvable = true;
  try { require.resolve('@nestjs/event-emitter'); } catch { eventEmitterResolvable = false; }
  const lines = [];
  const keep = (m) => lines.push(String(m));
  const logger = { log: keep, warn: keep, error: keep, fatal: keep, debug() {}, verbose() {} };
  const options = { ...JSON.parse(process.env.QB_HOST_OPTIONS), storage: { type: 'memory' }, scheduler: { enabled: false } };
  class AppModule {}
  Module({ imports: [qb.QuickBooksAuthModule.forRoot(options)] })(AppModule);
  const app = await NestFactory.createApplicationContext(AppModule, { logger });
  const connect = app.get(qb.ConnectService);
  const { url } = await connect.createAuthorizeUrl({ tenantId: 'tenant-a' });
  const consent = await fetch(url, { redirect: 'manual' });
  const query = Object.fromEntries(new URL(consent.headers.get('location')).searchParams);
  const result = await connect.handleCallback({ query, expectedTenantId: 'tenant-a' });
  const summary = await app.get(qb.TokenService).getConnection({ tenantId: 'tenant-a', realmId: result.connection.realmId });
  await app.close();
  process.stdout.write(JSON.stringify({ eventEmitterResolvable, status: summary.status, lines }));
}
main().catch((err) => { process.stderr.write(String((err && err.stack) || err)); process.exit(1); });
`;

describe('a host without @nestjs/event-emitter installed', () => {
  let sandbox: HostSandbox;
  let emulator: RunningEmulator;

  beforeAll(async () => {
    sandbox = createHostSandbox(
      installedPackages().filter((name) => name !== '@nestjs/event-emitter' && !name.startsWith('@quickbooks-auth/')),
    );
    buildLibraryInto(sandbox);
    writeFileSync(join(sandbox.dir, 'main.js'), HOST_MAIN);
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
    emulator.state.setAutoApprove(true);
  }, 120_000);

  afterAll(async () => {
    await emulator?.close();
    sandbox?.remove();
  });

  it('boots, connects a realm, and logs that events are only logged and counted', async () => {
    const options = { ...TEST_CLIENT, encryptionKeys: testKeyRing('k1'), stateSecret: testStateSecret(), intuitBaseUrl: emulator.url };
    const env = { PATH: process.env.PATH ?? '', QB_HOST_OPTIONS: JSON.stringify(options) }; // no NODE_PATH: only the sandbox resolves
    const { stdout } = await run(process.execPath, ['main.js'], { cwd: sandbox.dir, env, timeout: 60_000 });
    const report = JSON.parse(stdout) as { eventEmitterResolvable: boolean; status: string; lines: string[] };

    expect(report.eventEmitterResolvable).toBe(false);
    expect(report.status).toBe('active');
    expect(report.lines).toContain('events: @nestjs/event-emitter is not installed, quickbooks.* events are logged and counted only');
    expect(report.lines.some((l) => l.includes(TEST_CLIENT.clientSecret) || l.includes(options.stateSecret))).toBe(false);
  });
});
