import type { ConnectionRef, ConnectionStatus, IntuitEnvironment, StoredConnection, TokenSet } from '../connection.interface';

/** A connection written by the connect flow (first connect or reconnect). */
export interface NewConnection extends ConnectionRef, TokenSet {
  environment: IntuitEnvironment;
  scopes: string[];
  nextRefreshAt: Date;
}

/** What a successful refresh writes. */
export interface RefreshResult extends TokenSet {
  nextRefreshAt: Date;
}

/** What a failed refresh attempt writes (transient failures only; never changes status). */
export interface RefreshFailure {
  failureCount: number;
  nextAttemptAt: Date | null;
  lastErrorCode: string;
}

/** Aggregates for health and metrics: no tenant ids, realm ids or tokens. */
export interface StorageStats {
  byStatus: Record<ConnectionStatus, number>;
  /** Active connections whose access token expires before `now + withinMs`. */
  accessExpiringSoon: number;
  /** Active connections whose access token already expired. */
  accessExpired: number;
  soonestAccessExpiry: Date | null;
  soonestRefreshExpiry: Date | null;
  /** Leases held past their expiry (a crashed owner). */
  staleLeases: number;
}

/**
 * Storage for connections, written for compare-and-swap and leases.
 *
 * Rules every backend must keep (conformance suite in test/conformance):
 * - Tokens are encrypted at rest with AES-256-GCM and AAD bound to tenant, realm and field (I6).
 * - Every read and write is scoped by tenantId + realmId: a tenant only ever sees its own rows (I7).
 * - Lease times come from the store's own clock where it has one (DB NOW(3), Redis TIME), so
 *   replicas with skewed clocks agree; due-time comparisons use the caller's `now` (the app clock).
 * - No method holds a lock across an HTTP call: leases are rows, not transactions.
 * @internal
 */
export interface TokenStorage {
  /** Backend name for logs and health (typeorm-mysql, typeorm-sqlite, redis, file, memory). */
  readonly kind: string;

  get(ref: ConnectionRef): Promise<StoredConnection | null>;
  listByTenant(tenantId: string): Promise<StoredConnection[]>;

  /**
   * Connect or reconnect: replaces the tokens, sets status active, clears failures and any lease,
   * bumps the version. A refresh in flight for the old tokens then loses its compare-and-swap.
   */
  saveConnection(conn: NewConnection): Promise<StoredConnection>;

  /**
   * Take the refresh lease for one connection if it is free or expired. Returns the connection as
   * stored at that moment (re-read under the lease) or null when another owner holds a live lease.
   * Only status active connections can be leased.
   */
  acquireLease(ref: ConnectionRef, owner: string, ttlMs: number): Promise<StoredConnection | null>;

  /** Extend a lease the caller still owns (heartbeat during a slow token call). False if lost. */
  renewLease(ref: ConnectionRef, owner: string, ttlMs: number): Promise<boolean>;

  /** Release a lease only if `owner` holds it. */
  releaseLease(ref: ConnectionRef, owner: string): Promise<void>;

  /**
   * Store refreshed tokens only if the stored refresh-token fingerprint still equals
   * `expectedFingerprint` (the token that was sent) and the connection is not revoked.
   * Also clears failures, sets lastRefreshedAt, status active, and releases `owner`'s lease.
   * Returns the new record, or null when the chain moved on (someone stored a newer token).
   */
  compareAndSwapTokens(ref: ConnectionRef, expectedFingerprint: string, result: RefreshResult, owner: string): Promise<StoredConnection | null>;

  /** Record a transient failure and release `owner`'s lease. No status change (I4). */
  recordFailure(ref: ConnectionRef, owner: string, failure: RefreshFailure): Promise<void>;

  /**
   * Move to needs_reauth only if the stored fingerprint still equals `expectedFingerprint`,
   * i.e. no newer token was stored meanwhile (I4). Releases the lease. True when it changed.
   */
  markNeedsReauth(ref: ConnectionRef, expectedFingerprint: string, errorCode: string): Promise<boolean>;

  /** Disconnect: wipe tokens and mark revoked (kept for audit), or remove. True if it existed. */
  markRevoked(ref: ConnectionRef): Promise<boolean>;
  delete(ref: ConnectionRef): Promise<boolean>;

  /**
   * Claim up to `limit` active connections that are due (`nextRefreshAt <= now`, `nextAttemptAt`
   * empty or past) and not leased by a live owner, leasing each to `owner`. Concurrent claimers
   * never get the same connection.
   */
  claimDue(now: Date, limit: number, owner: string, ttlMs: number): Promise<StoredConnection[]>;

  /** Aggregates for health and metrics. */
  stats(now: Date, withinMs: number): Promise<StorageStats>;

  /** Cheap round trip to the store, for health. Throws when unreachable. */
  ping(): Promise<void>;

  /**
   * Every connection's ref, a page at a time, for maintenance (key rotation re-encryption).
   */
  listRefs(afterCursor: string | null, limit: number): Promise<{ refs: ConnectionRef[]; nextCursor: string | null }>;

  /** Re-encrypt one connection's tokens under the newest key (key rotation). True if rewritten. */
  reencrypt(ref: ConnectionRef): Promise<boolean>;

  /** Release resources the backend itself opened (not the host's DataSource). */
  close?(): Promise<void>;
}
