import type Redis from 'ioredis';
import {
  CONNECTION_STATUSES,
  type ConnectionForAccess,
  type ConnectionRecord,
  type ConnectionRef,
  type ConnectionStatus,
  type Lease,
  type StoredConnection,
  type UndecryptableConnection,
} from '../../../domain/connection.interface';
import { ConfigurationError } from '../../../errors/configuration.error';
import { QuickBooksAuthError } from '../../../errors/quickbooks-auth.error';
import {
  assertValidConnectionRef,
  assertValidLimit,
  assertValidTenantId,
  assertValidTtl,
  assertValidRevokeFence,
} from '../connection-ref.validation';
import type { TokenCipher } from '../../../utils/crypto/token-cipher';
import type {
  BeginCall,
  ConnectionUse,
  NewConnection,
  PendingRevocation,
  ReauthMark,
  ReconnectDuePage,
  RefreshFailure,
  RefreshResult,
  RevokeFence,
  RevokeRetry,
  StorageStats,
  TokenStorage,
} from '../token-storage.interface';
import {
  RECONNECT_LISTED_STATUSES,
  assertValidHorizonDays,
  compareReconnectOrder,
  decodeReconnectCursor,
  encodeReconnectCursor,
} from '../reconnect-cursor';
import { openOrNull } from '../pending-revocation';
import { isUndecryptable, recordOf } from '../undecryptable-record';
import { toStorageError } from './redis-error';
import { RedisKeys } from './redis-keys';
import { hashToAccessConnection, hashToConnection, hashToPairs, ms, pairsToHash } from './redis-record';
import { defineRedisScripts, type HashReply, type RedisScripts } from './redis-scripts';

export interface RedisTokenStorageOptions {
  /** Prefix of every key this backend writes (default `qb:`). Use the ioredis client without its own keyPrefix. */
  keyPrefix?: string;
  /** ping() gives up after this long (default 2000 ms), so health checks never hang on a dead server. */
  pingTimeoutMs?: number;
}

const PAGE = 200;
const DAY_MS = 86_400_000;
const RECONNECT_LISTED = new Set<string>(RECONNECT_LISTED_STATUSES);

/** The in-flight fields as a connect or reconnect resets them ('' = null). */
const NO_INFLIGHT = {
  inflightFingerprint: '',
  inflightOwner: '',
  inflightGeneration: '',
  inflightStartedAt: '',
  inflightDeadlineAt: '',
};

/** A lease as script arguments: owner, then generation (both are the fence, I9). */
function leaseArgs(lease: Lease): [string, string] {
  return [lease.owner, String(lease.generation)];
}

/**
 * Connections in Redis: one hash per connection, a per-tenant set, a paging index and a due
 * sorted set. Every state change is one Lua script (atomic, store clock for leases).
 * Durability is Redis's: see docs/storage-backends.md (AOF `appendfsync always` for I2).
 * Keys span slots, so this needs a single primary (optionally with Sentinel), not Redis Cluster.
 */
export class RedisTokenStorage implements TokenStorage {
  readonly kind = 'redis';
  private readonly keys: RedisKeys;
  private readonly scripts: RedisScripts;
  private readonly pingTimeoutMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly cipher: TokenCipher,
    options: RedisTokenStorageOptions = {},
  ) {
    // Keys built inside scripts (claimDue) cannot see the client's keyPrefix; refuse the mix.
    if (redis.options?.keyPrefix) throw new ConfigurationError(['redis storage: use options.keyPrefix, not the ioredis client keyPrefix']);
    this.keys = new RedisKeys(options.keyPrefix ?? 'qb:');
    this.pingTimeoutMs = options.pingTimeoutMs ?? 2000;
    this.scripts = defineRedisScripts(redis);
  }

  async get(ref: ConnectionRef): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const hash = await this.run('get', () => this.redis.hgetall(this.keys.connection(ref)));
    return Object.keys(hash).length ? hashToConnection(hash, ref, this.cipher) : null;
  }

  async getForAccess(ref: ConnectionRef): Promise<ConnectionForAccess | null> {
    assertValidConnectionRef(ref);
    const hash = await this.run('get', () => this.redis.hgetall(this.keys.connection(ref)));
    return Object.keys(hash).length ? hashToAccessConnection(hash, ref, this.cipher) : null;
  }

  async listByTenant(tenantId: string): Promise<StoredConnection[]> {
    return (await this.tenantHashes(tenantId, 'listByTenant')).map(({ hash, ref }) => hashToConnection(hash, ref, this.cipher));
  }

  async getRecord(ref: ConnectionRef): Promise<ConnectionRecord | null> {
    assertValidConnectionRef(ref);
    const hash = await this.run('getRecord', () => this.redis.hgetall(this.keys.connection(ref)));
    return Object.keys(hash).length ? this.toRecord(hash, ref) : null;
  }

  async listRecordsByTenant(tenantId: string): Promise<ConnectionRecord[]> {
    return (await this.tenantHashes(tenantId, 'listRecordsByTenant')).map(({ hash, ref }) => this.toRecord(hash, ref));
  }

  async saveConnection(conn: NewConnection): Promise<StoredConnection> {
    assertValidConnectionRef(conn);
    const ref = { tenantId: conn.tenantId, realmId: conn.realmId };
    const tokens = this.tokenFields(ref, conn);
    const fields = {
      tenantId: conn.tenantId,
      realmId: conn.realmId,
      environment: conn.environment,
      status: 'active',
      scopes: JSON.stringify(conn.scopes),
      ...tokens,
      nextRefreshAt: ms(conn.nextRefreshAt),
      failureCount: '0',
      nextAttemptAt: '',
      lastErrorCode: '',
      lastErrorFingerprint: '',
      leaseOwner: '',
      leaseExpiresAt: '',
      ...NO_INFLIGHT,
      ...(conn.lastUsedAt !== undefined ? { lastUsedAt: conn.lastUsedAt ? ms(conn.lastUsedAt) : '' } : {}),
      // A new grant has a new hard deadline: its warnings start over.
      reconnectWarnedDays: '',
    };
    const reply = await this.run('saveConnection', () =>
      this.scripts.saveConnection(this.allKeys(ref), [
        this.keys.member(ref),
        conn.realmId,
        tokens.refreshTokenFingerprint,
        String(conn.revokeReplacedAt?.getTime() ?? 0),
        ...hashToPairs(fields),
      ]),
    );
    return this.toConnection(reply, ref)!;
  }

  async acquireLease(ref: ConnectionRef, owner: string, ttlMs: number): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    const reply = await this.run('acquireLease', () =>
      this.scripts.acquireLease(this.rowKeys(ref), [this.keys.member(ref), owner, String(ttl)]),
    );
    return this.toConnection(reply, ref);
  }

  async renewLease(ref: ConnectionRef, lease: Lease, ttlMs: number): Promise<boolean> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    const n = await this.run('renewLease', () =>
      this.scripts.renewLease(this.rowKeys(ref), [this.keys.member(ref), ...leaseArgs(lease), String(ttl)]),
    );
    return n === 1;
  }

  async releaseLease(ref: ConnectionRef, lease: Lease): Promise<void> {
    assertValidConnectionRef(ref);
    await this.run('releaseLease', () => this.scripts.releaseLease(this.rowKeys(ref), [this.keys.member(ref), ...leaseArgs(lease)]));
  }

  async beginCall(ref: ConnectionRef, lease: Lease, call: BeginCall): Promise<boolean> {
    assertValidConnectionRef(ref);
    const budget = assertValidTtl(call.callBudgetMs);
    // The lease must outlive the call it covers.
    const ttl = Math.max(assertValidTtl(call.ttlMs), budget);
    const n = await this.run('beginCall', () =>
      this.scripts.beginCall(this.rowKeys(ref), [
        this.keys.member(ref),
        ...leaseArgs(lease),
        call.fingerprint,
        String(budget),
        String(ttl),
      ]),
    );
    return n === 1;
  }

  async compareAndSwapTokens(
    ref: ConnectionRef,
    expectedFingerprint: string,
    result: RefreshResult,
    lease: Lease,
  ): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const tokens = this.tokenFields(ref, result);
    const fields = {
      ...tokens,
      nextRefreshAt: ms(result.nextRefreshAt),
      status: 'active',
      failureCount: '0',
      nextAttemptAt: '',
      lastErrorCode: '',
      lastErrorFingerprint: '',
    };
    // The script tells rotated from not by the two fingerprints; of the lease only the generation counts
    // (the fence for a non-rotated answer, and whether the lease to end is still ours).
    const reply = await this.run('compareAndSwapTokens', () =>
      this.scripts.compareAndSwap(this.rowKeys(ref), [
        this.keys.member(ref),
        expectedFingerprint,
        tokens.refreshTokenFingerprint,
        String(lease.generation),
        ...hashToPairs(fields),
      ]),
    );
    return this.toConnection(reply, ref);
  }

  async recordFailure(ref: ConnectionRef, lease: Lease, failure: RefreshFailure): Promise<void> {
    assertValidConnectionRef(ref);
    await this.run('recordFailure', () =>
      this.scripts.recordFailure(this.rowKeys(ref), [
        this.keys.member(ref),
        ...leaseArgs(lease),
        String(failure.failureCount),
        ms(failure.nextAttemptAt),
        failure.lastErrorCode,
      ]),
    );
  }

  async markNeedsReauth(ref: ConnectionRef, lease: Lease, mark: ReauthMark): Promise<boolean> {
    assertValidConnectionRef(ref);
    const n = await this.run('markNeedsReauth', () =>
      this.scripts.markNeedsReauth(this.rowKeys(ref), [
        this.keys.member(ref),
        ...leaseArgs(lease),
        mark.fingerprint,
        mark.errorCode,
        ms(mark.pendingUntil),
      ]),
    );
    return n === 1;
  }

  async markRevoked(ref: ConnectionRef, fence?: RevokeFence): Promise<boolean> {
    assertValidConnectionRef(ref);
    assertValidRevokeFence(fence);
    const n = await this.run('markRevoked', () =>
      this.scripts.markRevoked(this.rowKeys(ref), [this.keys.member(ref), fence?.refusedFingerprint ?? '']),
    );
    return n === 1;
  }

  async markRevokePending(ref: ConnectionRef, retry: RevokeRetry): Promise<boolean> {
    assertValidConnectionRef(ref);
    const n = await this.run('markRevokePending', () =>
      this.scripts.markRevokePending(
        [this.keys.connection(ref), this.keys.due, this.keys.revocations],
        [this.keys.member(ref), ms(retry.retryAt), retry.errorCode],
      ),
    );
    return n === 1;
  }

  async claimRevocations(now: Date, limit: number, holdMs: number, only?: ConnectionRef): Promise<PendingRevocation[]> {
    const max = assertValidLimit(limit);
    const hold = assertValidTtl(holdMs);
    if (only) assertValidConnectionRef(only);
    const replies = await this.run('claimRevocations', () =>
      this.scripts.claimRevocations(
        [this.keys.revocations],
        [this.keys.prefix, String(now.getTime()), String(max), String(now.getTime() + hold), only ? this.keys.member(only) : ''],
      ),
    );
    return replies.map(([tenantId, realmId, status, sealed, fingerprint, attempts]) => {
      const ref = { tenantId: tenantId ?? '', realmId: realmId ?? '' };
      return {
        ...ref,
        refreshToken: sealed ? openOrNull(() => this.cipher.decrypt(sealed, { ...ref, field: 'refresh_token' })) : null,
        fingerprint: fingerprint ?? '',
        attempts: Number(attempts || 0),
        disconnecting: status === 'revoke_pending',
      };
    });
  }

  async settleRevocation(ref: ConnectionRef, fingerprint: string, retryAt: Date | null): Promise<boolean> {
    assertValidConnectionRef(ref);
    const n = await this.run('settleRevocation', () =>
      this.scripts.settleRevocation(
        [this.keys.connection(ref), this.keys.revocations],
        [this.keys.member(ref), fingerprint, retryAt ? ms(retryAt) : ''],
      ),
    );
    return n === 1;
  }

  async delete(ref: ConnectionRef): Promise<boolean> {
    assertValidConnectionRef(ref);
    const n = await this.run('delete', () => this.scripts.deleteConnection(this.allKeys(ref), [this.keys.member(ref), ref.realmId]));
    return n === 1;
  }

  async claimDue(
    now: Date,
    limit: number,
    owner: string,
    ttlMs: number,
    onUndecryptable?: (row: UndecryptableConnection) => void,
  ): Promise<StoredConnection[]> {
    const max = assertValidLimit(limit);
    const ttl = assertValidTtl(ttlMs);
    const scanCap = Math.max(1000, max * 20);
    const replies = await this.run('claimDue', () =>
      this.scripts.claimDue([this.keys.due], [this.keys.prefix, String(now.getTime()), String(max), owner, String(ttl), String(scanCap)]),
    );
    const claimed: StoredConnection[] = [];
    for (const reply of replies) {
      const hash = pairsToHash(reply);
      // An unreadable row stays leased until its TTL passes (a natural back-off before it is
      // reported again); it must not block the rest of the batch (I8).
      try {
        const record = this.toRecord(hash, { tenantId: hash.tenantId, realmId: hash.realmId });
        if (isUndecryptable(record)) onUndecryptable?.(record);
        else claimed.push(record);
      } catch (err) {
        // Malformed (not merely undecryptable): skipped here, reported by get().
        if (!(err instanceof QuickBooksAuthError)) throw err;
      }
    }
    return claimed;
  }

  async recordUse(ref: ConnectionRef, use: ConnectionUse): Promise<void> {
    assertValidConnectionRef(ref);
    const pull = use.pullForward;
    await this.run('recordUse', () =>
      this.scripts.recordUse(this.rowKeys(ref), [
        this.keys.member(ref),
        ms(use.usedAt),
        pull ? ms(pull.accessTokenExpiresAt) : '',
        pull ? ms(pull.refreshAt) : '',
      ]),
    );
  }

  async stats(now: Date, withinMs: number): Promise<StorageStats> {
    const stats: StorageStats = {
      byStatus: Object.fromEntries(CONNECTION_STATUSES.map((st) => [st, 0])) as Record<ConnectionStatus, number>,
      accessExpiringSoon: 0,
      accessExpired: 0,
      soonestAccessExpiry: null,
      soonestRefreshExpiry: null,
      staleLeases: 0,
    };
    const [sec, micro] = await this.run('stats', () => this.redis.time());
    const storeNow = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    const nowMs = now.getTime();
    let soonestAccess = Infinity;
    let soonestRefresh = Infinity;
    let cursor: string | null = null;
    do {
      const page: string[] = await this.run('stats', () =>
        this.redis.zrangebylex(this.keys.refs, cursor === null ? '-' : `(${cursor}`, '+', 'LIMIT', 0, PAGE),
      );
      if (!page.length) break;
      cursor = page[page.length - 1];
      const pipeline = this.redis.pipeline();
      for (const member of page) {
        pipeline.hmget(
          this.keys.connection(this.keys.parseMember(member)),
          'status',
          'accessTokenExpiresAt',
          'refreshTokenExpiresAt',
          'leaseOwner',
          'leaseExpiresAt',
          'nextRefreshAt',
        );
      }
      const rows = (await this.run('stats', () => pipeline.exec())) ?? [];
      for (const [err, row] of rows) {
        if (err) throw toStorageError('stats', err);
        const [status, accessExp, refreshExp, leaseOwner, leaseExp, nextRefresh] = row as Array<string | null>;
        if (!CONNECTION_STATUSES.includes(status as ConnectionStatus)) continue;
        stats.byStatus[status as ConnectionStatus]++;
        if (leaseOwner && Number(leaseExp || 0) < storeNow) stats.staleLeases++;
        if (status !== 'active') continue;
        const access = Number(accessExp);
        soonestRefresh = Math.min(soonestRefresh, Number(refreshExp));
        if (Number(nextRefresh) > access) continue; // kept alive only: expired by design (StorageStats)
        if (access < nowMs) stats.accessExpired++;
        if (access < nowMs + withinMs) stats.accessExpiringSoon++;
        soonestAccess = Math.min(soonestAccess, access);
      }
    } while (cursor !== null);
    stats.soonestAccessExpiry = Number.isFinite(soonestAccess) ? new Date(soonestAccess) : null;
    stats.soonestRefreshExpiry = Number.isFinite(soonestRefresh) ? new Date(soonestRefresh) : null;
    return stats;
  }

  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), this.pingTimeoutMs);
    });
    try {
      await this.run('ping', () => Promise.race([this.redis.ping(), timeout]));
    } finally {
      clearTimeout(timer);
    }
  }

  async listRefs(afterCursor: string | null, limit: number): Promise<{ refs: ConnectionRef[]; nextCursor: string | null }> {
    // The cursor is the last member returned: members are encoded ids, safe to hand out.
    assertValidLimit(limit);
    const page = await this.run('listRefs', () =>
      this.redis.zrangebylex(this.keys.refs, afterCursor === null ? '-' : `(${afterCursor}`, '+', 'LIMIT', 0, limit),
    );
    return {
      refs: page.map((m) => this.keys.parseMember(m)),
      nextCursor: page.length === limit && page.length > 0 ? page[page.length - 1] : null,
    };
  }

  async reencrypt(ref: ConnectionRef): Promise<boolean> {
    assertValidConnectionRef(ref);
    const [accessEnc, refreshEnc, revokeEnc] = await this.run('reencrypt', () =>
      this.redis.hmget(this.keys.connection(ref), 'accessTokenEnc', 'refreshTokenEnc', 'revokeTokenEnc'),
    );
    const stale = (v: string | null): boolean => !!v && this.cipher.needsReencryption(v);
    if (!stale(accessEnc) && !stale(refreshEnc) && !stale(revokeEnc)) return false;
    const rewrap = (v: string | null, field: 'access_token' | 'refresh_token'): string =>
      v ? this.cipher.encrypt(this.cipher.decrypt(v, { ...ref, field }), { ...ref, field }) : '';
    // The pending revocation was the refresh token field's value: same AAD field.
    const n = await this.run('reencrypt', () =>
      this.scripts.reencrypt(
        [this.keys.connection(ref)],
        [
          accessEnc ?? '',
          refreshEnc ?? '',
          revokeEnc ?? '',
          rewrap(accessEnc, 'access_token'),
          rewrap(refreshEnc, 'refresh_token'),
          rewrap(revokeEnc, 'refresh_token'),
        ],
      ),
    );
    return n === 1;
  }

  async claimReconnectWarning(ref: ConnectionRef, horizonDays: number, now: Date): Promise<boolean> {
    assertValidConnectionRef(ref);
    const days = assertValidHorizonDays(horizonDays);
    const n = await this.run('claimReconnectWarning', () =>
      this.scripts.claimReconnectWarning([this.keys.connection(ref)], [String(days), String(now.getTime() + days * DAY_MS)]),
    );
    return n === 1;
  }

  /**
   * Walks the paging index with one HMGET pipeline per page of members (no index on the hard
   * expiry in Redis: a campaign is rare, and each member is one small read). Tokens are never read.
   */
  async listReconnectDue(before: Date, afterCursor: string | null, limit: number): Promise<ReconnectDuePage> {
    const max = assertValidLimit(limit);
    const after = decodeReconnectCursor(afterCursor);
    const due: Array<{ ref: ConnectionRef; hard: number }> = [];
    let cursor: string | null = null;
    do {
      const page: string[] = await this.run('listReconnectDue', () =>
        this.redis.zrangebylex(this.keys.refs, cursor === null ? '-' : `(${cursor}`, '+', 'LIMIT', 0, PAGE),
      );
      if (!page.length) break;
      cursor = page[page.length - 1];
      const pipeline = this.redis.pipeline();
      for (const member of page) pipeline.hmget(this.keys.connection(this.keys.parseMember(member)), 'status', 'refreshTokenHardExpiresAt');
      const replies = (await this.run('listReconnectDue', () => pipeline.exec())) ?? [];
      replies.forEach(([err, reply], i) => {
        if (err) throw toStorageError('listReconnectDue', err);
        const [status, hard] = reply as Array<string | null>;
        const ref = this.keys.parseMember(page[i]);
        const hardMs = Number(hard);
        if (!RECONNECT_LISTED.has(status ?? '') || !hard || !Number.isFinite(hardMs) || hardMs > before.getTime()) return;
        if (after && compareReconnectOrder({ hardExpiresAt: hardMs, ...ref }, after) <= 0) return;
        due.push({ ref, hard: hardMs });
      });
    } while (cursor !== null);
    const picked = due
      .sort((a, b) => compareReconnectOrder({ hardExpiresAt: a.hard, ...a.ref }, { hardExpiresAt: b.hard, ...b.ref }))
      .slice(0, max);
    const pipeline = this.redis.pipeline();
    for (const { ref } of picked) pipeline.hgetall(this.keys.connection(ref));
    const hashes = picked.length ? ((await this.run('listReconnectDue', () => pipeline.exec())) ?? []) : [];
    const connections = hashes.flatMap(([err, hash], i) => {
      if (err) throw toStorageError('listReconnectDue', err);
      const h = hash as Record<string, string>;
      if (!Object.keys(h).length) return []; // deleted in between
      const { accessToken: _a, refreshToken: _r, ...rest } = hashToConnection(h, picked[i].ref, null);
      return [rest];
    });
    const last = picked[picked.length - 1];
    return { connections, nextCursor: picked.length === max ? encodeReconnectCursor({ hardExpiresAt: last.hard, ...last.ref }) : null };
  }

  /**
   * Walks the paging index (members are `{tenant}:{realm}`, so a realm has no key of its own
   * here); reads no hash. The landing that calls it is rate-limited (DisconnectLanding).
   */
  async listRefsByRealm(realmId: string, limit: number): Promise<ConnectionRef[]> {
    assertValidConnectionRef({ tenantId: 'any', realmId });
    const max = assertValidLimit(limit);
    const suffix = `:${RedisKeys.encode(realmId)}`;
    const refs: ConnectionRef[] = [];
    let cursor: string | null = null;
    do {
      const page: string[] = await this.run('listRefsByRealm', () =>
        this.redis.zrangebylex(this.keys.refs, cursor === null ? '-' : `(${cursor}`, '+', 'LIMIT', 0, PAGE * 5),
      );
      if (!page.length) break;
      cursor = page[page.length - 1];
      // The only unencoded ':' separates tenant and realm, so a suffix match is exact.
      for (const member of page)
        if (member.endsWith(suffix) && member.indexOf(':') === member.length - suffix.length) refs.push(this.keys.parseMember(member));
    } while (cursor !== null && refs.length < max);
    return refs.slice(0, max);
  }

  /** The host owns the client: nothing to close here. */
  async close(): Promise<void> {}

  private tokenFields(ref: ConnectionRef, t: NewConnection | RefreshResult): Record<string, string> {
    const ctx = (field: 'access_token' | 'refresh_token') => ({ tenantId: ref.tenantId, realmId: ref.realmId, field });
    return {
      accessTokenEnc: this.cipher.encrypt(t.accessToken, ctx('access_token')),
      refreshTokenEnc: this.cipher.encrypt(t.refreshToken, ctx('refresh_token')),
      refreshTokenFingerprint: this.cipher.fingerprint(t.refreshToken),
      accessTokenExpiresAt: ms(t.accessTokenExpiresAt),
      refreshTokenExpiresAt: ms(t.refreshTokenExpiresAt),
      refreshTokenHardExpiresAt: ms(t.refreshTokenHardExpiresAt),
    };
  }

  /** A tenant's hashes, in realm order (I7: only realms in that tenant's own index). */
  private async tenantHashes(tenantId: string, operation: string): Promise<Array<{ hash: Record<string, string>; ref: ConnectionRef }>> {
    assertValidTenantId(tenantId);
    const realms = await this.run(operation, () => this.redis.smembers(this.keys.tenantIndex(tenantId)));
    realms.sort();
    const pipeline = this.redis.pipeline();
    for (const realmId of realms) pipeline.hgetall(this.keys.connection({ tenantId, realmId }));
    const replies = realms.length ? await this.run(operation, () => pipeline.exec()) : [];
    const out: Array<{ hash: Record<string, string>; ref: ConnectionRef }> = [];
    replies?.forEach(([err, hash], i) => {
      if (err) throw toStorageError(operation, err);
      const h = hash as Record<string, string>;
      if (Object.keys(h).length) out.push({ hash: h, ref: { tenantId, realmId: realms[i] } });
    });
    return out;
  }

  private toRecord(hash: Record<string, string>, ref: ConnectionRef): ConnectionRecord {
    return recordOf(ref, (withTokens) => hashToConnection(hash, ref, withTokens ? this.cipher : null));
  }

  private toConnection(reply: HashReply, ref: ConnectionRef): StoredConnection | null {
    return reply && reply.length ? hashToConnection(pairsToHash(reply), ref, this.cipher) : null;
  }

  private rowKeys(ref: ConnectionRef): string[] {
    return [this.keys.connection(ref), this.keys.due];
  }

  private allKeys(ref: ConnectionRef): string[] {
    return [this.keys.connection(ref), this.keys.tenantIndex(ref.tenantId), this.keys.refs, this.keys.due, this.keys.revocations];
  }

  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toStorageError(operation, err);
    }
  }
}
