import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { RedisTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/redis/redis-token-storage';
import { DecryptionError, StorageError, ConfigurationError, KeyRing, TokenCipher } from '@quickbooks-auth/nestjs';
import { makeCipher, newConnection, uniqueId } from '../support/storage-fixtures';

// Every run writes under its own key prefix and deletes only that prefix: never FLUSHALL.
describe('RedisTokenStorage (backend specifics)', () => {
  let redis: Redis;
  let prefix: string;
  let storage: RedisTokenStorage;
  const { cipher } = makeCipher();

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL!, { lazyConnect: false, maxRetriesPerRequest: 1 });
  });
  beforeEach(() => {
    prefix = `${uniqueId('qbtest')}:`;
    storage = new RedisTokenStorage(redis, cipher, { keyPrefix: prefix });
  });
  afterEach(async () => {
    const keys = await redis.keys(`${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`);
    if (keys.length) await redis.del(...keys);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('lays keys out per tenant with encoded ids, and stores only ciphertext', async () => {
    const tenant = 'acme:*{x} y';
    await storage.saveConnection(newConnection(tenant, '123', { accessToken: 'AT-PLAIN', refreshToken: 'RT-PLAIN' }));
    const keys = (await redis.keys(`${prefix}*`)).sort();
    expect(keys).toEqual(
      [`${prefix}due`, `${prefix}refs`, `${prefix}t:acme%3A%2A%7Bx%7D%20y:conn:123`, `${prefix}t:acme%3A%2A%7Bx%7D%20y:conns`].sort(),
    );
    const hash = await redis.hgetall(`${prefix}t:acme%3A%2A%7Bx%7D%20y:conn:123`);
    expect(JSON.stringify(hash)).not.toMatch(/AT-PLAIN|RT-PLAIN/);
    expect(hash.accessTokenEnc).toMatch(/^v1:k1:/);
    expect(await redis.smembers(`${prefix}t:acme%3A%2A%7Bx%7D%20y:conns`)).toEqual(['123']);
    expect(Number(await redis.zscore(`${prefix}due`, 'acme%3A%2A%7Bx%7D%20y:123'))).toBeGreaterThan(Date.now());
    const got = await storage.get({ tenantId: tenant, realmId: '123' });
    expect(got?.accessToken).toBe('AT-PLAIN');
    expect(await storage.listByTenant(tenant)).toHaveLength(1);
    expect(await storage.listByTenant('acme')).toHaveLength(0);
  });

  it("a ciphertext copied to another tenant's hash fails to decrypt (I6)", async () => {
    await storage.saveConnection(newConnection('a', 'r1'));
    await storage.saveConnection(newConnection('b', 'r1'));
    const enc = await redis.hget(`${prefix}t:a:conn:r1`, 'refreshTokenEnc');
    await redis.hset(`${prefix}t:b:conn:r1`, 'refreshTokenEnc', enc!);
    await expect(storage.get({ tenantId: 'b', realmId: 'r1' })).rejects.toBeInstanceOf(DecryptionError);
    await expect(storage.get({ tenantId: 'a', realmId: 'r1' })).resolves.not.toBeNull();
  });

  it('a hash whose ids do not match its key is rejected as foreign', async () => {
    await storage.saveConnection(newConnection('a', 'r1'));
    await redis.hset(`${prefix}t:a:conn:r1`, 'tenantId', 'b');
    await expect(storage.get({ tenantId: 'a', realmId: 'r1' })).rejects.toBeInstanceOf(StorageError);
  });

  it('lease times come from the Redis clock, not the caller', async () => {
    await storage.saveConnection(newConnection('a', 'r1'));
    const [sec] = await redis.time();
    const leased = await storage.acquireLease({ tenantId: 'a', realmId: 'r1' }, 'w1', 60_000);
    expect(Math.abs(leased!.leaseExpiresAt!.getTime() - (Number(sec) * 1000 + 60_000))).toBeLessThan(2000);
  });

  it('50 concurrent acquireLease calls: exactly one winner', async () => {
    const ref = { tenantId: 't', realmId: 'r' };
    await storage.saveConnection(newConnection('t', 'r'));
    const wins = await Promise.all(Array.from({ length: 50 }, (_, i) => storage.acquireLease(ref, `w${i}`, 30_000)));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('50 concurrent compare-and-swaps on one fingerprint: exactly one wins', async () => {
    const ref = { tenantId: 't', realmId: 'r' };
    const saved = await storage.saveConnection(newConnection('t', 'r'));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        // Every result rotates the token: the fingerprint alone decides, whatever the generation.
        storage.compareAndSwapTokens(
          ref,
          saved.refreshTokenFingerprint,
          { ...newConnection('t', 'r', { refreshToken: `rt-${i}` }) },
          { owner: `w${i}`, generation: i },
        ),
      ),
    );
    const winners = results.filter(Boolean);
    expect(winners).toHaveLength(1);
    expect((await storage.get(ref))!.refreshToken).toBe(winners[0]!.refreshToken);
  });

  it('50 concurrent claimers over 200 due rows never share a row', async () => {
    const past = new Date(Date.now() - 1000);
    for (let i = 0; i < 200; i++) await storage.saveConnection(newConnection(`t${i % 7}`, `r${i}`, { nextRefreshAt: past }));
    // A second storage instance on its own client: two "replicas".
    const other = new Redis(process.env.REDIS_URL!);
    const replica2 = new RedisTokenStorage(other, cipher, { keyPrefix: prefix });
    try {
      const batches = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? replica2 : storage).claimDue(new Date(), 7, `owner-${i}`, 60_000)),
      );
      const all = batches.flat().map((c) => `${c.tenantId}/${c.realmId}`);
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe(200);
      expect(await storage.claimDue(new Date(), 10, 'late', 60_000)).toEqual([]);
    } finally {
      await other.quit();
    }
  });

  it('claimDue skips rows in backoff and rows leased by a live owner, and takes over expired leases', async () => {
    const past = new Date(Date.now() - 1000);
    await storage.saveConnection(newConnection('t', 'backoff', { nextRefreshAt: past }));
    await storage.saveConnection(newConnection('t', 'leased', { nextRefreshAt: past }));
    await storage.saveConnection(newConnection('t', 'expired', { nextRefreshAt: past }));
    const backoff = (await storage.acquireLease({ tenantId: 't', realmId: 'backoff' }, 'x', 30_000))!;
    await storage.recordFailure(
      { tenantId: 't', realmId: 'backoff' },
      { owner: 'x', generation: backoff.leaseGeneration },
      { failureCount: 1, nextAttemptAt: new Date(Date.now() + 60_000), lastErrorCode: 'http_503' },
    );
    await storage.acquireLease({ tenantId: 't', realmId: 'leased' }, 'x', 30_000);
    await storage.acquireLease({ tenantId: 't', realmId: 'expired' }, 'x', 1);
    await new Promise((r) => setTimeout(r, 20));
    const claimed = await storage.claimDue(new Date(), 10, 'y', 30_000);
    expect(claimed.map((c) => c.realmId)).toEqual(['expired']);
    expect(claimed[0].leaseOwner).toBe('y');
  });

  it('reauth_pending stays on the due index at pendingUntil; needs_reauth leaves it', async () => {
    const pending = { tenantId: 't', realmId: 'pending' };
    const needs = { tenantId: 't', realmId: 'needs' };
    const p = await storage.saveConnection(newConnection('t', 'pending', { nextRefreshAt: new Date(Date.now() - 1000) }));
    const n = await storage.saveConnection(newConnection('t', 'needs', { nextRefreshAt: new Date(Date.now() - 1000) }));
    const pendingUntil = new Date(Date.now() + 60_000);
    const pl = (await storage.acquireLease(pending, 'x', 30_000))!;
    const nl = (await storage.acquireLease(needs, 'x', 30_000))!;
    const mark = { errorCode: 'invalid_grant' };
    expect(
      await storage.markNeedsReauth(
        pending,
        { owner: 'x', generation: pl.leaseGeneration },
        { ...mark, fingerprint: p.refreshTokenFingerprint, pendingUntil },
      ),
    ).toBe(true);
    expect(
      await storage.markNeedsReauth(
        needs,
        { owner: 'x', generation: nl.leaseGeneration },
        { ...mark, fingerprint: n.refreshTokenFingerprint, pendingUntil: null },
      ),
    ).toBe(true);
    expect(Number(await redis.zscore(`${prefix}due`, 't:pending'))).toBe(pendingUntil.getTime());
    expect(await redis.zscore(`${prefix}due`, 't:needs')).toBeNull();
    expect(await redis.hget(`${prefix}t:t:conn:pending`, 'lastErrorFingerprint')).toBe(p.refreshTokenFingerprint);
    expect(await storage.claimDue(new Date(), 10, 'y', 30_000)).toEqual([]);
    const claimed = await storage.claimDue(new Date(pendingUntil.getTime() + 1), 10, 'y', 30_000);
    expect(claimed.map((c) => [c.realmId, c.status, c.leaseGeneration])).toEqual([['pending', 'reauth_pending', pl.leaseGeneration + 1]]);
    expect((await storage.stats(new Date(), 60_000)).byStatus).toEqual({
      active: 0,
      reauth_pending: 1,
      needs_reauth: 1,
      revoke_pending: 0,
      revoked: 0,
    });
  });

  it('keeps working after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
    await redis.script('FLUSH');
    const saved = await storage.saveConnection(newConnection('t', 'r'));
    expect(saved.version).toBeGreaterThan(0);
  });

  it('listRefs pages through every connection in a stable order', async () => {
    for (let i = 0; i < 25; i++) await storage.saveConnection(newConnection(`t:${i % 3}`, `r${i}`));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { refs: { tenantId: string; realmId: string }[]; nextCursor: string | null } = await storage.listRefs(cursor, 10);
      seen.push(...page.refs.map((r) => `${r.tenantId}/${r.realmId}`));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(25);
    expect(seen.filter((s) => s.startsWith('t:1/'))).toHaveLength(8);
  });

  it('reencrypt moves ciphertexts to the newest key without touching the fingerprint', async () => {
    const { spec: oldSpec } = makeCipher(['old']);
    const oldStorage = new RedisTokenStorage(redis, new TokenCipher(KeyRing.parse(oldSpec)), { keyPrefix: prefix });
    const saved = await oldStorage.saveConnection(newConnection('t', 'r', { refreshToken: 'RT1' }));
    const rotated = new RedisTokenStorage(redis, new TokenCipher(KeyRing.parse(`new:${randomBytes(32).toString('base64')},${oldSpec}`)), {
      keyPrefix: prefix,
    });
    expect(await rotated.reencrypt({ tenantId: 't', realmId: 'r' })).toBe(true);
    expect(await rotated.reencrypt({ tenantId: 't', realmId: 'r' })).toBe(false);
    expect(await redis.hget(`${prefix}t:t:conn:r`, 'refreshTokenEnc')).toMatch(/^v1:new:/);
    const after = await rotated.get({ tenantId: 't', realmId: 'r' });
    expect(after!.refreshToken).toBe('RT1');
    expect(after!.refreshTokenFingerprint).toBe(saved.refreshTokenFingerprint);
  });

  it('maps an unreachable server to a StorageError without secrets', async () => {
    const dead = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    const broken = new RedisTokenStorage(dead, cipher, { keyPrefix: prefix, pingTimeoutMs: 500 });
    await expect(broken.ping()).rejects.toBeInstanceOf(StorageError);
    const err = await broken.saveConnection(newConnection('t', 'r', { refreshToken: 'RT-SECRET' })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(String((err as Error).message)).not.toContain('RT-SECRET');
    expect(JSON.stringify(err)).not.toContain('v1:k1');
    dead.disconnect();
  });

  it('refuses an ioredis client with its own keyPrefix', () => {
    const prefixed = new Redis({ keyPrefix: 'x:', lazyConnect: true });
    expect(() => new RedisTokenStorage(prefixed, cipher)).toThrow(ConfigurationError);
    prefixed.disconnect();
  });
});
