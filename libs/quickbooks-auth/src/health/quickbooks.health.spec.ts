import { HealthIndicatorService } from '@nestjs/terminus';
import { RefreshStatus } from '../auth/refresh/refresh-status.service';
import type { StorageStats, TokenStorage } from '../auth/storage/token-storage.interface';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { UndecryptableConnections } from '../auth/undecryptable-connections.service';
import { AuthEventsPublisher } from '../events/auth-events.publisher';
import { QuickBooksHealthIndicator, STORAGE_PING_TIMEOUT_MS } from './quickbooks.health';
import { StorageStatsCache } from '../metrics/storage-stats.cache';

const stats = (over: Partial<StorageStats> = {}): StorageStats => ({
  byStatus: { active: 7, reauth_pending: 0, needs_reauth: 2, revoke_pending: 0, revoked: 1 },
  accessExpiringSoon: 1,
  accessExpired: 0,
  soonestAccessExpiry: new Date(Date.now() + 60_000),
  soonestRefreshExpiry: new Date(Date.now() + 86_400_000),
  staleLeases: 0,
  ...over,
});

function setup(storageOver: Partial<TokenStorage> = {}) {
  const storage = {
    kind: 'memory',
    ping: jest.fn(async () => undefined),
    stats: jest.fn(async () => stats()),
    ...storageOver,
  } as unknown as TokenStorage;
  const status = new RefreshStatus();
  const options = {
    clock: { now: () => Date.now() },
    leaseTtlMs: 90_000,
    scheduler: { tickSeconds: 30 },
    hashRealmIdsInLogs: false,
  } as ResolvedQuickBooksAuthOptions;
  const cache = new StorageStatsCache(storage, options);
  const undecryptable = new UndecryptableConnections(new AuthEventsPublisher(options), storage, options);
  const indicator = new QuickBooksHealthIndicator(new HealthIndicatorService(), storage, status, cache, undecryptable);
  return { storage, status, indicator, undecryptable };
}

describe('QuickBooksHealthIndicator', () => {
  it('is up with aggregates only when storage answers and the scheduler ticks', async () => {
    const { indicator, status } = setup();
    status.schedulerEnabled = true;
    status.lastTickAt = Date.now() - 1_000;
    const result = await indicator.isHealthy();
    expect(result.quickbooks.status).toBe('up');
    expect(result.quickbooks).toMatchObject({
      storage: { backend: 'memory', reachable: true },
      scheduler: { enabled: true, healthy: true },
      breaker: 'closed',
      connections: { active: 7, reauth_pending: 0, needs_reauth: 2, revoke_pending: 0, revoked: 1 },
      accessTokens: { expired: 0, expiringSoon: 1 },
    });
  });

  it('stays up with an open breaker and tenants needing reauth (reported, not fatal)', async () => {
    const { indicator, status } = setup({
      stats: jest.fn(async () =>
        stats({ byStatus: { active: 1, reauth_pending: 0, needs_reauth: 50, revoke_pending: 0, revoked: 0 }, accessExpired: 3 }),
      ),
    });
    status.breakerState = 'open';
    const result = await indicator.isHealthy('qb');
    expect(result.qb.status).toBe('up');
    expect(result.qb.breaker).toBe('open');
  });

  it('is down when the store is unreachable, without the driver message in the output', async () => {
    const { indicator } = setup({ ping: jest.fn(async () => Promise.reject(new Error('connect ECONNREFUSED secret-host:3306'))) });
    const result = await indicator.isHealthy();
    expect(result.quickbooks.status).toBe('down');
    expect(result.quickbooks.storage).toMatchObject({ reachable: false, error: 'unreachable' });
    expect(JSON.stringify(result)).not.toContain('secret-host');
  });

  it('is down when the store hangs past the ping timeout', async () => {
    jest.useFakeTimers({ doNotFake: ['performance'] });
    try {
      const { indicator } = setup({ ping: jest.fn(() => new Promise<void>(() => undefined)) });
      const pending = indicator.isHealthy();
      await jest.advanceTimersByTimeAsync(STORAGE_PING_TIMEOUT_MS + 10);
      const result = await pending;
      expect(result.quickbooks.status).toBe('down');
      expect(result.quickbooks.storage).toMatchObject({ reachable: false, error: 'timeout' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('is down when the scheduler stalled', async () => {
    const { indicator, status } = setup();
    status.schedulerEnabled = true;
    status.tickIntervalMs = 1_000;
    status.lastTickAt = Date.now() - 3_600_000;
    const result = await indicator.isHealthy();
    expect(result.quickbooks.status).toBe('down');
    expect(result.quickbooks.problems).toEqual(['refresh scheduler stalled']);
  });

  it('is degraded, still up, while connections cannot be decrypted, naming no tenant or realm', async () => {
    const { indicator, undecryptable } = setup();
    expect(await indicator.details()).toMatchObject({ undecryptableConnections: 0 });
    expect((await indicator.details()).degraded).toBeUndefined();
    undecryptable.report({ tenantId: 'tenant-secret-id', realmId: '9130000000001', reason: 'key "k0" is not in the key ring' }, 'claim');
    const result = await indicator.isHealthy();
    expect(result.quickbooks).toMatchObject({
      status: 'up',
      degraded: true,
      undecryptableConnections: 1,
      warnings: [expect.stringMatching(/1 connection\(s\) cannot be decrypted/)],
    });
    expect(JSON.stringify(result)).not.toMatch(/tenant-secret-id|9130000000001/);
    undecryptable.resolved({ tenantId: 'tenant-secret-id', realmId: '9130000000001' });
    expect((await indicator.details()).degraded).toBeUndefined();
  });

  it('caches storage stats so frequent probes stay cheap, and survives a failing stats query', async () => {
    const { indicator, storage } = setup();
    await Promise.all([indicator.isHealthy(), indicator.isHealthy(), indicator.isHealthy()]);
    await indicator.isHealthy();
    expect(storage.stats).toHaveBeenCalledTimes(1);

    const failing = setup({ stats: jest.fn(async () => Promise.reject(new Error('slow query'))) });
    const result = await failing.indicator.isHealthy();
    expect(result.quickbooks.status).toBe('up');
    expect(result.quickbooks.connections).toBe('unavailable');
  });
});
