import type { TokenCipher } from '../../../utils/crypto/token-cipher';
import { StorageError } from '../../../errors/storage.error';
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
import { withoutRefreshToken } from '../connection-for-access';
import { connectionUseChanges } from '../connection-use';
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
import {
  assertValidConnectionRef,
  assertValidLimit,
  assertValidTenantId,
  assertValidTtl,
  assertValidRevokeFence,
} from '../connection-ref.validation';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD, openToken, sealToken } from '../token-sealing';
import { isUndecryptable, recordOf } from '../undecryptable-record';
import { callBegun } from '../transitions/begin-call';
import { failureRecorded } from '../transitions/refresh-failure';
import { reauthMarked } from '../transitions/reauth-mark';
import { tokensSwapped } from '../transitions/tokens-swapped';
import { dueForClaim, leaseAcquired, leaseClaimed, leaseReleased, leaseRenewed } from '../transitions/lease-transitions';
import { MemoryConnectionStore, type MemoryConnectionRow } from './memory-connection.store';

/**
 * In-process storage for tests and single-process demos. Tokens are sealed exactly as in the
 * durable backends (AES-256-GCM, AAD tenant + realm + field) so the same I6 checks hold here.
 * Every operation runs synchronously inside one tick, which makes it atomic; leases use the
 * local clock (there is only one process). Callers always get copies, never the stored rows.
 */
export class MemoryTokenStorage implements TokenStorage {
  readonly kind = 'memory';

  constructor(
    private readonly cipher: TokenCipher,
    /** Pass an existing store to reopen the same rows (e.g. under a rotated key ring). */
    readonly store: MemoryConnectionStore = new MemoryConnectionStore(),
    private readonly clock: () => number = Date.now,
  ) {}

  async get(ref: ConnectionRef): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const row = this.row(ref);
    return row ? this.toStored(row) : null;
  }

  async getForAccess(ref: ConnectionRef): Promise<ConnectionForAccess | null> {
    assertValidConnectionRef(ref);
    const row = this.row(ref);
    return row ? withoutRefreshToken(this.toStored(row, 'access')) : null;
  }

  async listByTenant(tenantId: string): Promise<StoredConnection[]> {
    assertValidTenantId(tenantId);
    return this.tenantRows(tenantId).map((row) => this.toStored(row));
  }

  async getRecord(ref: ConnectionRef): Promise<ConnectionRecord | null> {
    assertValidConnectionRef(ref);
    const row = this.row(ref);
    return row ? this.toRecord(row) : null;
  }

  async listRecordsByTenant(tenantId: string): Promise<ConnectionRecord[]> {
    assertValidTenantId(tenantId);
    return this.tenantRows(tenantId).map((row) => this.toRecord(row));
  }

  async saveConnection(conn: NewConnection): Promise<StoredConnection> {
    assertValidConnectionRef(conn);
    const now = this.clock();
    const existing = this.row(conn);
    const newFingerprint = this.cipher.fingerprint(conn.refreshToken);
    // The grant this reconnect replaces is revoked at Intuit once the new one is stored.
    const replaced =
      existing?.refreshTokenEnc && existing.refreshTokenFingerprint && existing.refreshTokenFingerprint !== newFingerprint
        ? existing
        : null;
    const row: MemoryConnectionRow = {
      id: existing?.id ?? this.store.nextId(),
      tenantId: conn.tenantId,
      realmId: conn.realmId,
      environment: conn.environment,
      status: 'active',
      accessTokenEnc: sealToken(this.cipher, conn, ACCESS_TOKEN_FIELD, conn.accessToken),
      refreshTokenEnc: sealToken(this.cipher, conn, REFRESH_TOKEN_FIELD, conn.refreshToken),
      refreshTokenFingerprint: newFingerprint,
      accessTokenExpiresAt: conn.accessTokenExpiresAt.getTime(),
      refreshTokenExpiresAt: conn.refreshTokenExpiresAt.getTime(),
      refreshTokenHardExpiresAt: conn.refreshTokenHardExpiresAt?.getTime() ?? null,
      scopes: [...conn.scopes],
      version: (existing?.version ?? 0) + 1,
      leaseOwner: null,
      leaseExpiresAt: null,
      // A reconnect fences every holder of the old tokens (I9).
      leaseGeneration: (existing?.leaseGeneration ?? 0) + 1,
      ...NO_INFLIGHT,
      lastErrorFingerprint: null,
      nextRefreshAt: conn.nextRefreshAt.getTime(),
      failureCount: 0,
      nextAttemptAt: null,
      lastErrorCode: null,
      lastRefreshedAt: existing?.lastRefreshedAt ?? null,
      lastUsedAt: conn.lastUsedAt !== undefined ? (conn.lastUsedAt?.getTime() ?? null) : (existing?.lastUsedAt ?? null),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      // A new grant has a new hard deadline: its warnings start over.
      reconnectWarnedDays: null,
      ...(replaced
        ? {
            revokeTokenEnc: replaced.refreshTokenEnc,
            revokeTokenFingerprint: replaced.refreshTokenFingerprint,
            revokeDueAt: conn.revokeReplacedAt?.getTime() ?? 0,
            revokeAttempts: 0,
          }
        : existing
          ? pendingRevocationOf(existing)
          : NO_REVOCATION),
    };
    this.store.rows.set(MemoryConnectionStore.key(conn), row);
    return this.toStored(row);
  }

  async acquireLease(ref: ConnectionRef, owner: string, ttlMs: number): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    const row = this.row(ref);
    const leased = row ? apply(row, leaseAcquired(row, owner, ttl, this.clock())) : null;
    return leased ? this.toStored(leased) : null;
  }

  async renewLease(ref: ConnectionRef, lease: Lease, ttlMs: number): Promise<boolean> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    const row = this.row(ref);
    return row ? apply(row, leaseRenewed(row, lease, ttl, this.clock())) !== null : false;
  }

  async releaseLease(ref: ConnectionRef, lease: Lease): Promise<void> {
    assertValidConnectionRef(ref);
    const row = this.row(ref);
    if (row) apply(row, leaseReleased(row, lease, this.clock()));
  }

  async beginCall(ref: ConnectionRef, lease: Lease, call: BeginCall): Promise<boolean> {
    assertValidConnectionRef(ref);
    const budget = assertValidTtl(call.callBudgetMs);
    const ttl = Math.max(assertValidTtl(call.ttlMs), budget);
    const row = this.row(ref);
    return row ? apply(row, callBegun(row, lease, { fingerprint: call.fingerprint, budget, ttl }, this.clock())) !== null : false;
  }

  async compareAndSwapTokens(
    ref: ConnectionRef,
    expectedFingerprint: string,
    result: RefreshResult,
    lease: Lease,
  ): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const row = this.row(ref);
    if (!row) return null;
    const swapped = tokensSwapped(row, expectedFingerprint, this.cipher.fingerprint(result.refreshToken), result, lease, this.clock());
    if (!swapped) return null;
    Object.assign(row, swapped, {
      accessTokenEnc: sealToken(this.cipher, ref, ACCESS_TOKEN_FIELD, result.accessToken),
      refreshTokenEnc: sealToken(this.cipher, ref, REFRESH_TOKEN_FIELD, result.refreshToken),
    } satisfies Partial<MemoryConnectionRow>);
    return this.toStored(row);
  }

  async recordFailure(ref: ConnectionRef, lease: Lease, failure: RefreshFailure): Promise<void> {
    assertValidConnectionRef(ref);
    const row = this.row(ref);
    if (row) apply(row, failureRecorded(row, lease, failure, this.clock()));
  }

  async markNeedsReauth(ref: ConnectionRef, lease: Lease, mark: ReauthMark): Promise<boolean> {
    assertValidConnectionRef(ref);
    const row = this.row(ref);
    return row ? apply(row, reauthMarked(row, lease, mark, this.clock())) !== null : false;
  }

  async markRevoked(ref: ConnectionRef, fence?: RevokeFence): Promise<boolean> {
    assertValidConnectionRef(ref);
    assertValidRevokeFence(fence);
    const row = this.row(ref);
    if (!row) return false;
    // Only the grant Intuit refused: a reconnect stored since is a new grant.
    if (fence && (row.status !== 'needs_reauth' || row.refreshTokenFingerprint !== fence.refusedFingerprint)) return false;
    Object.assign(row, {
      status: 'revoked',
      accessTokenEnc: null,
      refreshTokenEnc: null,
      refreshTokenFingerprint: null,
      ...NO_INFLIGHT,
      leaseOwner: null,
      leaseExpiresAt: null,
      leaseGeneration: row.leaseGeneration + 1,
      version: row.version + 1,
      updatedAt: this.clock(),
    } satisfies Partial<MemoryConnectionRow>);
    return true;
  }

  async delete(ref: ConnectionRef): Promise<boolean> {
    assertValidConnectionRef(ref);
    return this.store.rows.delete(MemoryConnectionStore.key(ref));
  }

  async markRevokePending(ref: ConnectionRef, retry: RevokeRetry): Promise<boolean> {
    assertValidConnectionRef(ref);
    const row = this.row(ref);
    if (!row || row.status === 'revoked') return false;
    const moved = row.refreshTokenEnc !== null && row.refreshTokenFingerprint !== null;
    Object.assign(row, {
      status: 'revoke_pending',
      ...(moved ? { revokeTokenEnc: row.refreshTokenEnc, revokeTokenFingerprint: row.refreshTokenFingerprint, revokeAttempts: 1 } : {}),
      revokeDueAt: retry.retryAt.getTime(),
      accessTokenEnc: null,
      refreshTokenEnc: null,
      refreshTokenFingerprint: null,
      lastErrorCode: retry.errorCode,
      ...NO_INFLIGHT,
      leaseOwner: null,
      leaseExpiresAt: null,
      leaseGeneration: row.leaseGeneration + 1,
      version: row.version + 1,
      updatedAt: this.clock(),
    } satisfies Partial<MemoryConnectionRow>);
    return true;
  }

  async claimRevocations(now: Date, limit: number, holdMs: number, only?: ConnectionRef): Promise<PendingRevocation[]> {
    const max = assertValidLimit(limit);
    const hold = assertValidTtl(holdMs);
    if (only) assertValidConnectionRef(only);
    const t = now.getTime();
    const rows = only ? [this.row(only)].filter((r): r is MemoryConnectionRow => r !== undefined) : [...this.store.rows.values()];
    const due = rows
      .filter(
        (row) => row.revokeTokenEnc !== null && row.revokeTokenFingerprint !== null && (only !== undefined || (row.revokeDueAt ?? 0) <= t),
      )
      .sort((a, b) => (a.revokeDueAt ?? 0) - (b.revokeDueAt ?? 0) || a.id - b.id)
      .slice(0, max);
    return due.map((row) => {
      row.revokeDueAt = t + hold;
      row.version++;
      return this.toPendingRevocation(row);
    });
  }

  async settleRevocation(ref: ConnectionRef, fingerprint: string, retryAt: Date | null): Promise<boolean> {
    assertValidConnectionRef(ref);
    const row = this.row(ref);
    if (!row || row.revokeTokenFingerprint === null || row.revokeTokenFingerprint !== fingerprint) return false;
    if (retryAt) {
      Object.assign(row, { revokeDueAt: retryAt.getTime(), revokeAttempts: row.revokeAttempts + 1 } satisfies Partial<MemoryConnectionRow>);
    } else {
      Object.assign(row, {
        ...NO_REVOCATION,
        ...(row.status === 'revoke_pending' ? { status: 'revoked' as const } : {}),
      } satisfies Partial<MemoryConnectionRow>);
    }
    row.version++;
    row.updatedAt = this.clock();
    return true;
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
    const due = now.getTime();
    const leaseNow = this.clock();
    const candidates = [...this.store.rows.values()]
      .filter((row) => dueForClaim(row, due, leaseNow))
      .sort((a, b) => a.nextRefreshAt - b.nextRefreshAt || a.id - b.id)
      .slice(0, max);
    const claimed: StoredConnection[] = [];
    for (const row of candidates) {
      apply(row, leaseClaimed(row, owner, ttl, due, leaseNow));
      // A row that cannot be decrypted stays leased until the TTL passes (a natural back-off
      // before it is reported again); it must not block every other connection in the batch (I8).
      const record = this.toRecord(row);
      if (isUndecryptable(record)) onUndecryptable?.(record);
      else claimed.push(record);
    }
    return claimed;
  }

  async recordUse(ref: ConnectionRef, use: ConnectionUse): Promise<void> {
    assertValidConnectionRef(ref);
    const row = this.row(ref);
    const changes = row ? connectionUseChanges({ ...row, lastUsedAt: row.lastUsedAt ?? null }, use) : null;
    if (row && changes) Object.assign(row, changes);
  }

  async stats(now: Date, withinMs: number): Promise<StorageStats> {
    const byStatus = Object.fromEntries(CONNECTION_STATUSES.map((st) => [st, 0])) as Record<ConnectionStatus, number>;
    const t = now.getTime();
    const leaseNow = this.clock();
    let accessExpiringSoon = 0;
    let accessExpired = 0;
    let staleLeases = 0;
    let soonestAccess: number | null = null;
    let soonestRefresh: number | null = null;
    for (const row of this.store.rows.values()) {
      byStatus[row.status]++;
      if (row.leaseOwner !== null && (row.leaseExpiresAt ?? 0) < leaseNow) staleLeases++;
      if (row.status !== 'active') continue;
      soonestRefresh = soonestRefresh === null ? row.refreshTokenExpiresAt : Math.min(soonestRefresh, row.refreshTokenExpiresAt);
      if (row.nextRefreshAt > row.accessTokenExpiresAt) continue; // kept alive only: expired by design (StorageStats)
      if (row.accessTokenExpiresAt < t + withinMs) accessExpiringSoon++;
      if (row.accessTokenExpiresAt < t) accessExpired++;
      soonestAccess = soonestAccess === null ? row.accessTokenExpiresAt : Math.min(soonestAccess, row.accessTokenExpiresAt);
    }
    return {
      byStatus,
      accessExpiringSoon,
      accessExpired,
      soonestAccessExpiry: soonestAccess === null ? null : new Date(soonestAccess),
      soonestRefreshExpiry: soonestRefresh === null ? null : new Date(soonestRefresh),
      staleLeases,
    };
  }

  async ping(): Promise<void> {}

  async listRefs(afterCursor: string | null, limit: number): Promise<{ refs: ConnectionRef[]; nextCursor: string | null }> {
    const max = assertValidLimit(limit);
    if (afterCursor !== null && !/^\d{1,15}$/.test(afterCursor))
      throw new StorageError('listRefs cursor is not one this storage returned', 'invalid_cursor');
    const after = afterCursor === null ? 0 : Number(afterCursor);
    const page = [...this.store.rows.values()]
      .filter((row) => row.id > after)
      .sort((a, b) => a.id - b.id)
      .slice(0, max);
    return {
      refs: page.map((row) => ({ tenantId: row.tenantId, realmId: row.realmId })),
      nextCursor: page.length === max ? String(page[page.length - 1].id) : null,
    };
  }

  async reencrypt(ref: ConnectionRef): Promise<boolean> {
    assertValidConnectionRef(ref);
    const row = this.row(ref);
    if (!row) return false;
    const stale = (sealed: string | null): sealed is string => sealed !== null && this.cipher.needsReencryption(sealed);
    const reseal = (field: typeof ACCESS_TOKEN_FIELD, sealed: string) =>
      sealToken(this.cipher, ref, field, openToken(this.cipher, ref, field, sealed));
    const tokens = row.accessTokenEnc !== null && row.refreshTokenEnc !== null && (stale(row.accessTokenEnc) || stale(row.refreshTokenEnc));
    if (!tokens && !stale(row.revokeTokenEnc)) return false;
    // The fingerprints are kept: an in-flight refresh and a revocation fence on them, and they are opaque values.
    if (tokens) {
      row.accessTokenEnc = reseal(ACCESS_TOKEN_FIELD, row.accessTokenEnc!);
      row.refreshTokenEnc = reseal(REFRESH_TOKEN_FIELD, row.refreshTokenEnc!);
    }
    // The pending revocation was the refresh token column's value: same AAD field.
    if (stale(row.revokeTokenEnc)) row.revokeTokenEnc = reseal(REFRESH_TOKEN_FIELD, row.revokeTokenEnc);
    row.version++;
    row.updatedAt = this.clock();
    return true;
  }

  async claimReconnectWarning(ref: ConnectionRef, horizonDays: number, now: Date): Promise<boolean> {
    assertValidConnectionRef(ref);
    const days = assertValidHorizonDays(horizonDays);
    const row = this.row(ref);
    if (!row || !RECONNECT_LISTED.has(row.status) || row.refreshTokenHardExpiresAt === null) return false;
    if (row.refreshTokenHardExpiresAt > now.getTime() + days * DAY_MS) return false;
    if (row.reconnectWarnedDays !== null && row.reconnectWarnedDays !== undefined && row.reconnectWarnedDays <= days) return false;
    row.reconnectWarnedDays = days;
    return true;
  }

  async listReconnectDue(before: Date, afterCursor: string | null, limit: number): Promise<ReconnectDuePage> {
    const max = assertValidLimit(limit);
    const after = decodeReconnectCursor(afterCursor);
    const keyOf = (row: MemoryConnectionRow) => ({
      hardExpiresAt: row.refreshTokenHardExpiresAt!,
      tenantId: row.tenantId,
      realmId: row.realmId,
    });
    const page = [...this.store.rows.values()]
      .filter(
        (row) =>
          RECONNECT_LISTED.has(row.status) && row.refreshTokenHardExpiresAt !== null && row.refreshTokenHardExpiresAt <= before.getTime(),
      )
      .filter((row) => after === null || compareReconnectOrder(keyOf(row), after) > 0)
      .sort((a, b) => compareReconnectOrder(keyOf(a), keyOf(b)))
      .slice(0, max);
    const connections = page.map((row) => {
      const { accessToken: _a, refreshToken: _r, ...rest } = this.toStored(row, false);
      return rest;
    });
    return { connections, nextCursor: page.length === max ? encodeReconnectCursor(keyOf(page[page.length - 1])) : null };
  }

  async listRefsByRealm(realmId: string, limit: number): Promise<ConnectionRef[]> {
    assertValidConnectionRef({ tenantId: 'any', realmId });
    const max = assertValidLimit(limit);
    return [...this.store.rows.values()]
      .filter((row) => row.realmId === realmId)
      .map((row) => ({ tenantId: row.tenantId, realmId: row.realmId }))
      .sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0))
      .slice(0, max);
  }

  private tenantRows(tenantId: string): MemoryConnectionRow[] {
    return [...this.store.rows.values()].filter((row) => row.tenantId === tenantId).sort((a, b) => a.id - b.id);
  }

  private toRecord(row: MemoryConnectionRow): ConnectionRecord {
    return recordOf(row, (withTokens) => this.toStored(row, withTokens));
  }

  private toPendingRevocation(row: MemoryConnectionRow): PendingRevocation {
    const ref = { tenantId: row.tenantId, realmId: row.realmId };
    return {
      ...ref,
      refreshToken: openOrNull(() => openToken(this.cipher, ref, REFRESH_TOKEN_FIELD, row.revokeTokenEnc!)),
      fingerprint: row.revokeTokenFingerprint!,
      attempts: row.revokeAttempts,
      disconnecting: row.status === 'revoke_pending',
    };
  }

  private row(ref: ConnectionRef): MemoryConnectionRow | undefined {
    return this.store.rows.get(MemoryConnectionStore.key(ref));
  }

  /** The row as a connection; without `withTokens` the tokens stay sealed (reported as ''). */
  /** withTokens 'access': the refresh token is left sealed (reported as ''), for getForAccess. */
  private toStored(row: MemoryConnectionRow, withTokens: boolean | 'access' = true): StoredConnection {
    const ref = { tenantId: row.tenantId, realmId: row.realmId };
    const open = (field: typeof ACCESS_TOKEN_FIELD, sealed: string | null) =>
      sealed === null || !withTokens || (withTokens === 'access' && field === REFRESH_TOKEN_FIELD)
        ? ''
        : openToken(this.cipher, ref, field, sealed);
    return {
      tenantId: row.tenantId,
      realmId: row.realmId,
      environment: row.environment,
      status: row.status,
      accessToken: open(ACCESS_TOKEN_FIELD, row.accessTokenEnc),
      refreshToken: open(REFRESH_TOKEN_FIELD, row.refreshTokenEnc),
      refreshTokenFingerprint: row.refreshTokenFingerprint ?? '',
      accessTokenExpiresAt: new Date(row.accessTokenExpiresAt),
      refreshTokenExpiresAt: new Date(row.refreshTokenExpiresAt),
      refreshTokenHardExpiresAt: date(row.refreshTokenHardExpiresAt),
      scopes: [...row.scopes],
      version: row.version,
      leaseOwner: row.leaseOwner,
      leaseExpiresAt: date(row.leaseExpiresAt),
      leaseGeneration: row.leaseGeneration,
      inflight:
        row.inflightFingerprint === null
          ? null
          : {
              fingerprint: row.inflightFingerprint,
              owner: row.inflightOwner ?? '',
              generation: row.inflightGeneration ?? 0,
              startedAt: new Date(row.inflightStartedAt ?? 0),
              deadlineAt: new Date(row.inflightDeadlineAt ?? 0),
            },
      lastErrorFingerprint: row.lastErrorFingerprint,
      nextRefreshAt: new Date(row.nextRefreshAt),
      failureCount: row.failureCount,
      nextAttemptAt: date(row.nextAttemptAt),
      lastErrorCode: row.lastErrorCode,
      lastRefreshedAt: date(row.lastRefreshedAt),
      createdAt: new Date(row.createdAt),
      updatedAt: new Date(row.updatedAt),
      lastUsedAt: date(row.lastUsedAt ?? null),
      reconnectWarnedDays: row.reconnectWarnedDays ?? null,
    };
  }
}

const RECONNECT_LISTED = new Set<ConnectionStatus>(RECONNECT_LISTED_STATUSES);
const DAY_MS = 86_400_000;

type RevocationFields = Pick<MemoryConnectionRow, 'revokeTokenEnc' | 'revokeTokenFingerprint' | 'revokeDueAt' | 'revokeAttempts'>;

const NO_REVOCATION: RevocationFields = { revokeTokenEnc: null, revokeTokenFingerprint: null, revokeDueAt: null, revokeAttempts: 0 };

function pendingRevocationOf(row: MemoryConnectionRow): RevocationFields {
  return {
    revokeTokenEnc: row.revokeTokenEnc,
    revokeTokenFingerprint: row.revokeTokenFingerprint,
    revokeDueAt: row.revokeDueAt,
    revokeAttempts: row.revokeAttempts,
  };
}

const NO_INFLIGHT = {
  inflightFingerprint: null,
  inflightOwner: null,
  inflightGeneration: null,
  inflightStartedAt: null,
  inflightDeadlineAt: null,
} satisfies Partial<MemoryConnectionRow>;

/** Writes a transition's record into the stored row (kept as the same object); null: its rule did not hold. */
function apply(row: MemoryConnectionRow, next: MemoryConnectionRow | null): MemoryConnectionRow | null {
  return next ? Object.assign(row, next) : null;
}

function date(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}
