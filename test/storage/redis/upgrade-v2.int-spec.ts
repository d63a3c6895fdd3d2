import Redis from 'ioredis';
import { RedisTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/redis/redis-token-storage';
import { RedisKeys } from '@quickbooks-auth/nestjs/auth/storage/redis/redis-keys';
import type { ConnectionRef } from '@quickbooks-auth/nestjs/domain/connection.interface';
import { type TokenCipher } from '@quickbooks-auth/nestjs';
import { makeCipher, newConnection, uniqueId } from '../support/storage-fixtures';

/**
 * Upgrade in place to refresh protocol v2: hashes written by the previous release have no
 * leaseGeneration, inflight* or lastErrorFingerprint fields. They must be read and refreshed by
 * the new code as they are, with no migration step. Every test writes under its own key prefix
 * and deletes only that prefix: never FLUSHALL.
 */
describe('RedisTokenStorage: upgrade in place from pre-v2 hashes', () => {
  let redis: Redis;
  let prefix: string;
  let keys: RedisKeys;
  let storage: RedisTokenStorage;
  const { cipher } = makeCipher();

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
  });
  beforeEach(() => {
    prefix = `${uniqueId('qbupgrade')}:`;
    keys = new RedisKeys(prefix);
    storage = new RedisTokenStorage(redis, cipher, { keyPrefix: prefix });
  });
  afterEach(async () => {
    const found = await redis.keys(`${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`);
    if (found.length) await redis.del(...found);
  });
  afterAll(async () => {
    await redis.quit();
  });

  /**
   * A connection exactly as the previous release's saveConnection script left it: the same field
   * names and encodings, the tenant set, the refs index and the due index (score nextRefreshAt).
   */
  async function writeOldFormat(
    c: TokenCipher,
    ref: ConnectionRef,
    opts: { nextRefreshAt?: number; status?: string; leaseOwner?: string; leaseExpiresAt?: number } = {},
  ): Promise<{ accessToken: string; refreshToken: string; fingerprint: string }> {
    const conn = newConnection(ref.tenantId, ref.realmId);
    const now = Date.now();
    const nextRefreshAt = opts.nextRefreshAt ?? conn.nextRefreshAt.getTime();
    const seal = (plain: string, field: 'access_token' | 'refresh_token'): string => c.encrypt(plain, { ...ref, field });
    const fingerprint = c.fingerprint(conn.refreshToken);
    const key = keys.connection(ref);
    const member = keys.member(ref);
    // The old markRevoked wiped the tokens and the fingerprint.
    const wiped = opts.status === 'revoked';
    await redis.hset(key, {
      createdAt: String(now - 86_400_000),
      version: '7',
      lastRefreshedAt: String(now - 3_600_000),
      tenantId: ref.tenantId,
      realmId: ref.realmId,
      environment: 'sandbox',
      status: opts.status ?? 'active',
      scopes: JSON.stringify(conn.scopes),
      accessTokenEnc: wiped ? '' : seal(conn.accessToken, 'access_token'),
      refreshTokenEnc: wiped ? '' : seal(conn.refreshToken, 'refresh_token'),
      refreshTokenFingerprint: wiped ? '' : fingerprint,
      accessTokenExpiresAt: String(conn.accessTokenExpiresAt.getTime()),
      refreshTokenExpiresAt: String(conn.refreshTokenExpiresAt.getTime()),
      refreshTokenHardExpiresAt: String(conn.refreshTokenHardExpiresAt!.getTime()),
      nextRefreshAt: String(nextRefreshAt),
      failureCount: '0',
      nextAttemptAt: '',
      lastErrorCode: '',
      leaseOwner: opts.leaseOwner ?? '',
      leaseExpiresAt: opts.leaseExpiresAt === undefined ? '' : String(opts.leaseExpiresAt),
      updatedAt: String(now - 3_600_000),
    });
    await redis.sadd(keys.tenantIndex(ref.tenantId), ref.realmId);
    await redis.zadd(keys.refs, 0, member);
    if ((opts.status ?? 'active') === 'active') await redis.zadd(keys.due, Math.max(nextRefreshAt, opts.leaseExpiresAt ?? 0), member);
    return { accessToken: conn.accessToken, refreshToken: conn.refreshToken, fingerprint };
  }

  it('the fixture has none of the v2 fields (it really is the old format)', async () => {
    const ref = { tenantId: 'old', realmId: '1' };
    await writeOldFormat(cipher, ref);
    const fields = await redis.hkeys(keys.connection(ref));
    for (const f of [
      'leaseGeneration',
      'inflightFingerprint',
      'inflightOwner',
      'inflightGeneration',
      'inflightStartedAt',
      'inflightDeadlineAt',
      'lastErrorFingerprint',
    ]) {
      expect(fields).not.toContain(f);
    }
  });

  it('get reads an old hash as generation 0, nothing in flight, no error fingerprint', async () => {
    const ref = { tenantId: 'old', realmId: '1' };
    const old = await writeOldFormat(cipher, ref);
    const got = (await storage.get(ref))!;
    expect(got).toMatchObject({
      status: 'active',
      accessToken: old.accessToken,
      refreshToken: old.refreshToken,
      refreshTokenFingerprint: old.fingerprint,
      leaseGeneration: 0,
      inflight: null,
      lastErrorFingerprint: null,
      leaseOwner: null,
      version: 7,
    });
    expect(await storage.listByTenant('old')).toEqual([got]);
  });

  it('a full refresh runs on an old hash: acquireLease gives generation 1, beginCall, a rotated compare-and-swap', async () => {
    const ref = { tenantId: 'old', realmId: '1' };
    const old = await writeOldFormat(cipher, ref);
    const leased = (await storage.acquireLease(ref, 'replica-1', 60_000))!;
    expect(leased.leaseGeneration).toBe(1);
    expect(leased.leaseOwner).toBe('replica-1');
    expect(leased.refreshToken).toBe(old.refreshToken);
    const lease = { owner: 'replica-1', generation: leased.leaseGeneration };

    const [sec] = await redis.time();
    expect(await storage.beginCall(ref, lease, { fingerprint: old.fingerprint, callBudgetMs: 10_000, ttlMs: 60_000 })).toBe(true);
    const inFlight = (await storage.get(ref))!;
    expect(inFlight.inflight).toMatchObject({ fingerprint: old.fingerprint, owner: 'replica-1', generation: 1 });
    // Store clock, not the caller's.
    expect(Math.abs(inFlight.inflight!.startedAt.getTime() - Number(sec) * 1000)).toBeLessThan(2000);
    expect(inFlight.inflight!.deadlineAt.getTime() - inFlight.inflight!.startedAt.getTime()).toBe(10_000);

    const next = newConnection(ref.tenantId, ref.realmId);
    const swapped = (await storage.compareAndSwapTokens(ref, old.fingerprint, { ...next }, lease))!;
    expect(swapped).toMatchObject({
      status: 'active',
      accessToken: next.accessToken,
      refreshToken: next.refreshToken,
      leaseOwner: null,
      leaseExpiresAt: null,
      leaseGeneration: 1,
      inflight: null,
      lastErrorFingerprint: null,
    });
    expect(swapped.refreshTokenFingerprint).toBe(cipher.fingerprint(next.refreshToken));
    expect(await storage.get(ref)).toEqual(swapped);
    // Still on the due index, at the new nextRefreshAt.
    expect(Number(await redis.zscore(keys.due, keys.member(ref)))).toBe(next.nextRefreshAt.getTime());
  });

  it('claimDue still finds a due old-format row and leases it with generation 1', async () => {
    const due = { tenantId: 'old', realmId: 'due' };
    const later = { tenantId: 'old', realmId: 'later' };
    const old = await writeOldFormat(cipher, due, { nextRefreshAt: Date.now() - 60_000 });
    await writeOldFormat(cipher, later, { nextRefreshAt: Date.now() + 3_600_000 });
    const claimed = await storage.claimDue(new Date(), 10, 'claimer', 60_000);
    expect(claimed.map((c) => c.realmId)).toEqual(['due']);
    expect(claimed[0]).toMatchObject({ leaseOwner: 'claimer', leaseGeneration: 1, inflight: null, refreshToken: old.refreshToken });
    expect(
      await storage.beginCall(
        due,
        { owner: 'claimer', generation: 1 },
        { fingerprint: old.fingerprint, callBudgetMs: 5_000, ttlMs: 30_000 },
      ),
    ).toBe(true);
  });

  it('a lease an old replica still holds is respected, and taken over with generation 1 once expired', async () => {
    const ref = { tenantId: 'old', realmId: 'held' };
    const [sec, micro] = await redis.time();
    const storeNow = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    await writeOldFormat(cipher, ref, { nextRefreshAt: Date.now() - 60_000, leaseOwner: 'old-replica', leaseExpiresAt: storeNow + 1500 });
    expect(await storage.acquireLease(ref, 'new-replica', 60_000)).toBeNull();
    // Due by score at this app time, but the lease is still live on the store clock.
    expect(await storage.claimDue(new Date(Date.now() + 5000), 10, 'new-replica', 60_000)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1700));
    const taken = (await storage.acquireLease(ref, 'new-replica', 60_000))!;
    expect(taken).toMatchObject({ leaseOwner: 'new-replica', leaseGeneration: 1 });
    // The old holder, as a v2 caller would name it (generation 0), is fenced out.
    expect(await storage.renewLease(ref, { owner: 'old-replica', generation: 0 }, 60_000)).toBe(false);
  });

  it('old needs_reauth and revoked hashes read, count in stats, and a reconnect brings them back with generation 1', async () => {
    const needs = { tenantId: 'old', realmId: 'needs' };
    const revoked = { tenantId: 'old', realmId: 'revoked' };
    await writeOldFormat(cipher, needs, { status: 'needs_reauth' });
    await writeOldFormat(cipher, revoked, { status: 'revoked' });
    await writeOldFormat(cipher, { tenantId: 'old', realmId: 'active' });
    expect((await storage.get(needs))!).toMatchObject({ status: 'needs_reauth', leaseGeneration: 0, lastErrorFingerprint: null });
    expect((await storage.stats(new Date(), 60_000)).byStatus).toEqual({
      active: 1,
      reauth_pending: 0,
      needs_reauth: 1,
      revoke_pending: 0,
      revoked: 1,
    });
    expect(await storage.acquireLease(needs, 'o', 60_000)).toBeNull();
    const back = await storage.saveConnection(newConnection(needs.tenantId, needs.realmId));
    expect(back).toMatchObject({ status: 'active', leaseGeneration: 1, inflight: null, lastErrorFingerprint: null, version: 8 });
    expect(await storage.markRevoked(revoked)).toBe(true);
    expect((await storage.get(revoked))!).toMatchObject({ status: 'revoked', leaseGeneration: 1, inflight: null });
  });
});
