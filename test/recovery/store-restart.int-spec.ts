import { QuickBooksHealthIndicator, QuickBooksUnavailableError, type StorageOptions } from '@quickbooks-auth/nestjs';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { startPrivateMariaDb, startPrivatePostgres, startPrivateRedis, type PrivateServer } from '../support/private-servers';
import { connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';
import { TEST_CLIENT } from '../support/test-keys';

const HOUR = 3600;

/**
 * The store restarted mid-run: the module reconnects by itself, health shows the outage while
 * it lasts, a refresh whose write hit the outage is stored once the store is back, and no token
 * is lost (the emulator sees no superseded refresh token).
 */
describe.each([
  ['MariaDB', startPrivateMariaDb, (url: string): StorageOptions => ({ type: 'typeorm', url })],
  ['PostgreSQL', startPrivatePostgres, (url: string): StorageOptions => ({ type: 'typeorm', url })],
  ['Redis (AOF, fsync always)', startPrivateRedis, (url: string): StorageOptions => ({ type: 'redis', url })],
])('store restart: %s', (_name, startServer, storageFor) => {
  let server: PrivateServer;
  let emulator: RunningEmulator;
  let h: Harness;
  const realms: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
    // No in-process token cache: every call must go to the store, so the outage is visible.
    h = await startHarness({ storage: storageFor(server.url), emulator, options: { accessTokenCacheSeconds: 0 } });
    for (let i = 0; i < 4; i++) realms.push(await connectTenant(h, 'tenant-restart'));
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await emulator?.close();
    await server?.destroy();
  });

  const health = () => h.app.get(QuickBooksHealthIndicator).details();

  it('reports the outage, then recovers by itself with every token intact', async () => {
    expect((await health()).storage.reachable).toBe(true);
    await server.stop();
    const during = await health();
    expect(during.storage.reachable).toBe(false);
    expect(during.problems?.length).toBeGreaterThan(0);
    await expect(h.tokens.getAccessToken({ tenantId: 'tenant-restart', realmId: realms[0] })).rejects.toThrow();
    await server.start();
    // Reconnects on its own: no restart of the app.
    const deadline = Date.now() + 20_000;
    while (!(await health()).storage.reachable && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect((await health()).storage.reachable).toBe(true);
    for (const realmId of realms) {
      await expect(h.tokens.getAccessToken({ tenantId: 'tenant-restart', realmId })).resolves.toEqual(expect.any(String));
    }
  }, 60_000);

  it('a refresh whose write meets the outage is stored once the store is back (I2)', async () => {
    const ref = { tenantId: 'tenant-restart', realmId: realms[1] };
    // Past 24 h: this refresh rotates the refresh token, so losing its result would kill the connection.
    emulator.state.clock.advance(25 * HOUR);
    emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs: 1_500, count: 1 });
    const pending = h.tokens.getAccessToken(ref);
    await new Promise((r) => setTimeout(r, 300)); // the token call is in flight
    await server.stop();
    await new Promise((r) => setTimeout(r, 2_500)); // the response arrives while the store is down
    await server.start();
    await expect(pending).resolves.toEqual(expect.any(String));
    // The write really met the outage and was retried, not lucky timing.
    expect(h.logs.lines.some((l) => l.includes('storing refreshed tokens failed, retrying'))).toBe(true);
    expect(emulator.state.realmSummary(ref.realmId)!.rotations).toBe(1);
    // The rotated token is the one stored: the next refresh uses it without a superseded use.
    emulator.state.clock.advance(2 * HOUR);
    for (const realmId of realms) {
      await expect(h.tokens.getAccessToken({ tenantId: 'tenant-restart', realmId })).resolves.toEqual(expect.any(String));
    }
    expect(emulator.state.statsSnapshot().supersededRefreshTokenUses).toBe(0);
    expect((await h.tokens.listConnections('tenant-restart')).every((c) => c.status === 'active')).toBe(true);
  }, 90_000);

  it('keeps retrying that write through an outage longer than the lease', async () => {
    // A second app on the same store with a 2 s lease: the outage below outlasts it.
    const short = await startHarness({
      storage: storageFor(server.url),
      emulator,
      options: {
        ...h.options,
        accessTokenCacheSeconds: 0,
        leaseTtlMs: 2_000,
        leaseWaitTimeoutMs: 2_000,
        http: { connectTimeoutMs: 1_000 },
      },
    });
    try {
      const ref = { tenantId: 'tenant-restart', realmId: realms[2] };
      emulator.state.clock.advance(25 * HOUR);
      const rotationsBefore = emulator.state.realmSummary(ref.realmId)!.rotations;
      const fingerprintBefore = (await short.storage.get(ref))!.refreshTokenFingerprint;
      emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs: 1_500, count: 1 });
      const pending = short.tokens.getAccessToken(ref).then(
        () => 'served',
        (err: Error) => err,
      );
      await new Promise((r) => setTimeout(r, 300));
      await server.stop();
      // The caller is not held for the whole outage: it gets a typed error after one lease.
      expect(await pending).toBeInstanceOf(QuickBooksUnavailableError);
      await new Promise((r) => setTimeout(r, 3_000)); // the outage lasts 2.5 leases
      await server.start();
      expect(emulator.state.realmSummary(ref.realmId)!.rotations).toBe(rotationsBefore + 1);
      // Meanwhile the write kept retrying in the background and lands once the store is back.
      const stored = async () => (await short.storage.get(ref).catch(() => null))?.refreshTokenFingerprint;
      const deadline = Date.now() + 20_000;
      while ((await stored()) === fingerprintBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await stored()).not.toBe(fingerprintBefore);
      expect(short.logs.lines.some((l) => l.includes('storing refreshed tokens failed, retrying'))).toBe(true);
      emulator.state.clock.advance(2 * HOUR);
      await expect(short.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
      expect(emulator.state.statsSnapshot().supersededRefreshTokenUses).toBe(0);
      expect((await short.tokens.getConnection(ref)).status).toBe('active');
    } finally {
      await short.close();
    }
  }, 90_000);
});
