import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { startHarness, type Harness } from '../support/quickbooks-harness';
import { openScratchStore, type ScratchStore, type ScratchStoreKind } from '../support/scratch-stores';
import { TEST_CLIENT } from '../support/test-keys';
import { seedConnections } from './support/seed-connections';
import { RefreshWorker } from './support/worker-pool';
import type { WorkerConfig } from './support/worker-protocol';

const CONNECTIONS = 500;
const WORKERS = 3;
const LEAD_S = 1800;
/** Clock step: a connection that becomes due inside a step still has >= LEAD_S - STEP_S of validity. */
const STEP_S = 1400;
const LEASE_TTL_MS = 3000;
const TENANT = 'tenant-mp';

/** The shared stores (the workers' and this process's), each a kind of scratch store. */
const stores: Array<[string, ScratchStoreKind]> = [
  ['MariaDB', 'mariadb'],
  ['PostgreSQL', 'postgres'],
  ['Redis', 'redis'],
];

/**
 * Three replica processes share one store (MariaDB, PostgreSQL, then Redis) and one emulator (in this
 * process) and keep 500 connections fresh through a simulated day; one replica is SIGKILLed
 * with refreshes in flight. Proves I1 across processes (no concurrent use of one refresh token,
 * no superseded token sent), that no lease stays stuck and that no connection is lost.
 */
describe.each(stores)('refresh scheduler across 3 processes on %s', (_name, kind) => {
  jest.setTimeout(180_000);
  let store: ScratchStore;
  let emulator: RunningEmulator;
  let h: Harness;
  let refs: Array<{ tenantId: string; realmId: string }>;
  const workers: RefreshWorker[] = [];
  let workerSeq = 0;

  const now = () => emulator.state.clock.now();
  const startWorker = () => {
    const w = RefreshWorker.start(workerConfig(`worker-${++workerSeq}`));
    workers.push(w);
    return w;
  };
  const live = () => workers.filter((w) => w.alive);
  const workerConfig = (instanceId: string): WorkerConfig => ({
    instanceId,
    // These kinds' options are a URL (and a key prefix): they cross to the worker as JSON.
    storage: store.storage as WorkerConfig['storage'],
    emulatorUrl: emulator.url,
    clientId: TEST_CLIENT.clientId,
    clientSecret: TEST_CLIENT.clientSecret,
    redirectUri: TEST_CLIENT.redirectUri,
    encryptionKeys: h.options.encryptionKeys as string,
    stateSecret: h.options.stateSecret,
    tickSeconds: 0.2,
    concurrency: 32,
    batchSize: 100,
    leaseTtlMs: LEASE_TTL_MS,
    refreshLeadSeconds: LEAD_S,
    clockOffsetMs: emulator.state.clock.offsetMs,
  });
  // Read through the storage API so the same checks hold for every backend.
  const all = () => h.storage.listByTenant(TENANT);
  const dueCount = async () => (await all()).filter((c) => c.status === 'active' && c.nextRefreshAt.getTime() <= now()).length;
  const leasedCount = async () => (await all()).filter((c) => c.leaseOwner !== null).length;
  const soonestExpiry = async () =>
    Math.min(...(await all()).filter((c) => c.status === 'active').map((c) => c.accessTokenExpiresAt.getTime()));
  const statusCount = async (status: string) => (await all()).filter((c) => c.status === status).length;

  /** Moves the emulator clock and every worker's app clock together. */
  const advance = async (seconds: number) => {
    emulator.state.clock.advance(seconds);
    await Promise.all(live().map((w) => w.setClock(emulator.state.clock.offsetMs)));
  };
  const waitUntil = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) {
        const rows = (await all())
          .filter((c) => c.status === 'active' && c.nextRefreshAt.getTime() <= now())
          .slice(0, 5)
          .map((c) => ({
            realm: c.realmId,
            failures: c.failureCount,
            error: c.lastErrorCode,
            lease: c.leaseOwner,
            leaseUntil: c.leaseExpiresAt,
            nextAttempt: c.nextAttemptAt,
            next: c.nextRefreshAt,
          }));
        const logs = workers.map((w) => `${w.config.instanceId}: ${w.stderr.slice(-1500)}`).join('\n');
        throw new Error(`timed out waiting for ${what} (now ${now()}, real ${Date.now()}): ${JSON.stringify(rows)}\n${logs}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  beforeAll(async () => {
    store = await openScratchStore(kind, 'qb_sched');
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
    // This process migrates the store, seeds it and reads it; its scheduler is off and its
    // token cache is off, so what it serves comes straight from the store.
    h = await startHarness({ storage: store.storage, emulator, options: { refreshLeadSeconds: LEAD_S, accessTokenCacheSeconds: 0 } });
    const minted = emulator.state.mint({ clientId: TEST_CLIENT.clientId, count: CONNECTIONS });
    refs = await seedConnections(h.storage, minted, { tenantId: TENANT, now: now(), refreshLeadSeconds: LEAD_S, concurrency: 16 });
    for (let i = 0; i < WORKERS; i++) startWorker();
    const boots = await Promise.all(workers.map((w) => w.ready));
    process.stdout.write(`[scheduler-mp] ${WORKERS} workers booted in ${boots.join(', ')} ms\n`);
  });

  afterAll(async () => {
    if (process.env.QB_TEST_LOGS === '1') for (const w of workers) process.stdout.write(`--- ${w.config.instanceId}\n${w.stderr}\n`);
    await Promise.all(workers.map((w) => w.stop().catch(() => w.kill('SIGKILL'))));
    await h?.close();
    await emulator?.close();
    await store?.cleanup();
  });

  it('a replica killed with refreshes in flight leaves no stuck lease and loses nothing', async () => {
    // Slow token calls so the victim certainly has refreshes in flight; fewer than the lease TTL
    // so a takeover never overlaps a call that is still running (that is what the lease is for).
    emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs: 1500, count: 40 });
    await advance(3600 - LEAD_S + 60); // the first ~15 % of connections are due
    const victim = workers[0];
    await waitUntil('the victim to have refreshes in flight', async () => (await victim.stats()).inFlight > 0, 10_000);
    victim.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    const replacement = startWorker();
    // Everything the victim held is taken over once its lease expires.
    await waitUntil('every due connection to be refreshed', async () => (await dueCount()) === 0 && (await leasedCount()) === 0, 30_000);
    const recoveredMs = Date.now() - killedAt;
    expect(recoveredMs).toBeGreaterThanOrEqual(LEASE_TTL_MS - 500);
    expect(await statusCount('active')).toBe(CONNECTIONS);
    expect(await soonestExpiry()).toBeGreaterThan(now() + 300_000);
    const stats = emulator.state.statsSnapshot();
    expect(stats.supersededRefreshTokenUses).toBe(0);
    expect(stats.concurrentRefreshesMaxPerToken).toBeLessThanOrEqual(1);
    await replacement.ready;
    await replacement.setClock(emulator.state.clock.offsetMs);
    process.stdout.write(`[scheduler-mp] victim pid ${victim.pid} killed; in-flight work recovered in ${recoveredMs} ms\n`);
  });

  it('keeps 500 connections fresh through a simulated day: every refresh before expiry, no double use', async () => {
    emulator.state.faults.clear();
    const callsBefore = emulator.state.statsSnapshot().calls.byGrant.refresh_token ?? 0;
    const started = Date.now();
    for (let t = 0; t < 86_400; t += STEP_S) {
      await advance(STEP_S);
      await waitUntil(`due connections at +${t + STEP_S} s to be refreshed`, async () => (await dueCount()) === 0, 20_000);
      // Nothing in storage is expired or inside getAccessToken's minimum validity window...
      expect(await soonestExpiry()).toBeGreaterThan(now() + 300_000);
      // ...and what a caller is served comes straight from it.
      const sample = refs[(t / STEP_S) % refs.length];
      const served = await h.tokens.getAccessTokenDetails(sample);
      expect(served.expiresAt.getTime()).toBeGreaterThan(now() + 300_000);
    }
    const elapsedS = (Date.now() - started) / 1000;
    const stats = emulator.state.statsSnapshot();
    const refreshes = (stats.calls.byGrant.refresh_token ?? 0) - callsBefore;
    expect(stats.supersededRefreshTokenUses).toBe(0);
    expect(stats.concurrentRefreshesMaxPerToken).toBeLessThanOrEqual(1);
    expect(await statusCount('active')).toBe(CONNECTIONS);
    // Every refresh token rotated during the day and the new one is what storage holds.
    const rotated = refs.filter((r) => (emulator.state.realmSummary(r.realmId)?.rotations ?? 0) >= 1).length;
    expect(rotated).toBe(CONNECTIONS);
    const perWorker = await Promise.all(live().map((w) => w.stats()));
    process.stdout.write(
      `[scheduler-mp] simulated day: ${refreshes} refreshes in ${elapsedS.toFixed(1)} s (${(refreshes / elapsedS).toFixed(0)}/s), ` +
        `per worker ${perWorker.map((s) => `${s.instanceId}=${s.counters.refreshed}`).join(' ')}\n`,
    );
    expect(perWorker.filter((s) => s.counters.refreshed > 0).length).toBeGreaterThanOrEqual(2); // the work was shared
  });

  it('graceful shutdown releases every lease', async () => {
    await advance(STEP_S);
    await Promise.all(live().map((w) => w.stop()));
    expect(await leasedCount()).toBe(0);
    expect(await statusCount('active')).toBe(CONNECTIONS);
  });
});
