/**
 * The shared limiter across replicas: two real processes call one realm at the emulator (in this
 * process) at once. With per-process limits each keeps its own 10 in flight and together they
 * go over Intuit's 10 (the emulator answers 429); with the Redis shared limiter the realm's
 * limits hold across both: no 429, and the per-minute limit counts both replicas' calls.
 */
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { QuickBooksApiClient } from '@quickbooks-auth/nestjs';
import { connectTenant, startHarness } from '../support/quickbooks-harness';
import { TEST_CLIENT, testKeyRing, testStateSecret } from '../support/test-keys';
import { eventually } from './governor-support';
import { GovernorReplica } from './support/governor-replica';
import type { GovernorWorkerConfig, GovernorWorkerStatus } from './support/governor-worker-protocol';

jest.setTimeout(120_000);

describe('API governor across 2 processes', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const keyPrefix = `qbgov:${randomBytes(4).toString('hex')}:`;
  let emulator: RunningEmulator;
  let replicas: GovernorReplica[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
  });
  afterEach(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    replicas = [];
    emulator.state.faults.clear();
  });
  afterAll(async () => {
    await emulator.close();
    const redis = new Redis(url);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  async function startPair(shared: boolean, maxRequestsPerMinutePerRealm = 500): Promise<GovernorReplica[]> {
    const [connection] = emulator.state.mint({ clientId: TEST_CLIENT.clientId, count: 1 });
    const base: Omit<GovernorWorkerConfig, 'instanceId'> = {
      emulatorUrl: emulator.url,
      clientId: TEST_CLIENT.clientId,
      clientSecret: TEST_CLIENT.clientSecret,
      redirectUri: TEST_CLIENT.redirectUri,
      encryptionKeys: testKeyRing('k1'),
      stateSecret: testStateSecret(),
      tenantId: 'tenant-gov-mp',
      connection,
      clockOffsetMs: emulator.state.clock.offsetMs,
      maxRequestsPerMinutePerRealm,
      shared: shared ? { url, keyPrefix } : null,
    };
    replicas = [GovernorReplica.start({ ...base, instanceId: 'gov-a' }), GovernorReplica.start({ ...base, instanceId: 'gov-b' })];
    await Promise.all(replicas.map((r) => r.ready));
    return replicas;
  }

  const statuses = (): Promise<GovernorWorkerStatus[]> => Promise.all(replicas.map((r) => r.status()));
  const settled = async (total: number): Promise<GovernorWorkerStatus[]> => {
    let last: GovernorWorkerStatus[] = [];
    await eventually(async () => {
      last = await statuses();
      return last.reduce((n, s) => n + s.ok + Object.values(s.failed).reduce((a, b) => a + b, 0), 0) === total;
    }, 60_000);
    return last;
  };

  it('per process (the default): two replicas together go over 10 in flight and the emulator answers 429', async () => {
    await startPair(false);
    const latency = emulator.state.faults.add({ endpoint: 'companyinfo', type: 'latency', latencyMs: 500, count: 40 });
    await Promise.all(replicas.map((r) => r.calls(20)));
    const s = await settled(40);
    expect(latency.applied).toBeGreaterThan(10);
    expect(s.reduce((n, x) => n + x.throttled, 0)).toBeGreaterThan(0);
  });

  it('shared in Redis: the same load keeps the realm within 10 in flight across both replicas, no 429', async () => {
    await startPair(true);
    emulator.state.faults.add({ endpoint: 'companyinfo', type: 'latency', latencyMs: 500, count: 40 });
    await Promise.all(replicas.map((r) => r.calls(20)));
    const s = await settled(40);
    expect(s.map((x) => x.throttled)).toEqual([0, 0]);
    expect(s.map((x) => x.failed)).toEqual([{}, {}]);
    expect(s.reduce((n, x) => n + x.ok, 0)).toBe(40);
  });

  it('shared in Redis: the per-minute limit counts both replicas; the rest wait for the next minute, then pass', async () => {
    await startPair(true, 20);
    emulator.state.updateConfig({ rateLimitPerMinute: 20 });
    try {
      await Promise.all(replicas.map((r) => r.calls(15)));
      // 20 of the 30 go in this minute, whichever replica asked; 10 wait, none is answered 429.
      await eventually(async () => {
        const s = await statuses();
        return s.reduce((n, x) => n + x.ok, 0) === 20 && s.reduce((n, x) => n + x.queued, 0) === 10;
      }, 30_000);
      emulator.state.clock.advance(61);
      await Promise.all(replicas.map((r) => r.setClock(emulator.state.clock.offsetMs)));
      const s = await settled(30);
      expect(s.reduce((n, x) => n + x.ok, 0)).toBe(30);
      expect(s.map((x) => x.throttled)).toEqual([0, 0]);
    } finally {
      emulator.state.updateConfig({ rateLimitPerMinute: 500 });
    }
  });

  it('Redis unreachable: each replica falls back to its own limits (fail open), logged without the URL password', async () => {
    const canary = `canary-redis-pass-${randomBytes(4).toString('hex')}`;
    const h = await startHarness({
      storage: { type: 'memory' },
      emulator,
      options: { apiGovernor: { shared: { type: 'redis', url: `redis://:${canary}@127.0.0.1:1` } } },
    });
    try {
      const tenantId = 'tenant-gov-noredis';
      const ref = { tenantId, realmId: await connectTenant(h, tenantId) };
      await expect(h.app.get(QuickBooksApiClient).getCompanyInfo(ref)).resolves.toMatchObject({ Id: '1' });
      await eventually(() => h.logs.text().includes('shared API limiter (Redis) failed'));
      expect(h.logs.text()).not.toContain(canary);
    } finally {
      await h.close();
    }
  });
});
