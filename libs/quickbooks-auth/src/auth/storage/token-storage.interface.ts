import type { ConnectionRef, ConnectionStatus, IntuitEnvironment, Lease, StoredConnection, TokenSet } from '../connection.interface';

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

/** What beginCall checks and records right before a token call (I9). */
export interface BeginCall {
  /** Fingerprint of the refresh token about to be sent: must still be the stored one. */
  fingerprint: string;
  /** How long the call may take once sent; the lease must have at least this much left. */
  callBudgetMs: number;
  /** The lease is renewed to this long from the store's now (>= callBudgetMs). */
  ttlMs: number;
}

/** How markNeedsReauth parks or marks a connection. */
export interface ReauthMark {
  /** Fingerprint of the refresh token Intuit refused: must still be the stored one. */
  fingerprint: string;
  /** Reason kept in lastErrorCode (invalid_grant, rotation_response_lost...). */
  errorCode: string;
  /**
   * Set when an earlier call with the same token may still commit a rotation: the connection
   * becomes reauth_pending until this time (app clock, stored as nextRefreshAt), with no event.
   * Null: needs_reauth now.
   */
  pendingUntil: Date | null;
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
   * Connect or reconnect: replaces the tokens, sets status active, clears failures, any lease, the
   * in-flight record and lastErrorFingerprint, bumps the version and the lease generation. A refresh in flight for the old tokens then loses its compare-and-swap.
   */
  saveConnection(conn: NewConnection): Promise<StoredConnection>;

  /**
   * Take the refresh lease for one connection if it is free or expired. Returns the connection as
   * stored at that moment (re-read under the lease, with the new `leaseGeneration`: bumped by every
   * acquisition) or null when another owner holds a live lease. Only active and reauth_pending
   * connections can be leased. The row's `inflight` tells the new holder about a call that may
   * still commit.
   */
  acquireLease(ref: ConnectionRef, owner: string, ttlMs: number): Promise<StoredConnection | null>;

  /**
   * Extend a lease the caller still holds (owner and generation match), even if it expired while
   * nobody took it over. False if lost.
   */
  renewLease(ref: ConnectionRef, lease: Lease, ttlMs: number): Promise<boolean>;

  /** Release a lease only if `lease` (owner and generation) still holds it; clears its in-flight record. */
  releaseLease(ref: ConnectionRef, lease: Lease): Promise<void>;

  /**
   * One conditional write right before a token call (I9): owner and generation hold the lease, the
   * stored fingerprint is `call.fingerprint`, status is active, the lease has at least
   * `call.callBudgetMs` left (store clock), and no unresolved in-flight record of another
   * generation is still inside its deadline. Then records the call in flight (store clock) and
   * renews the lease. False: nothing may be sent.
   */
  beginCall(ref: ConnectionRef, lease: Lease, call: BeginCall): Promise<boolean>;

  /**
   * Store refreshed tokens, fenced on the fingerprint of the token that was sent (I2, I3).
   * - Rotated (the new refresh token differs from the one sent): only the fingerprint fence, never
   *   the generation (after a rotation these tokens are the only live ones). Allowed while active,
   *   or reauth_pending / needs_reauth for exactly that token (`lastErrorFingerprint`): revives it.
   * - Not rotated: also status active and the lease generation still `lease.generation`, so a
   *   late answer never revives a dead token.
   * Clears failures and the in-flight record, sets lastRefreshedAt and status active, and ends the
   * lease if it is still `lease`'s (another holder's lease is left alone). Returns the new record,
   * or null when refused.
   */
  compareAndSwapTokens(ref: ConnectionRef, expectedFingerprint: string, result: RefreshResult, lease: Lease): Promise<StoredConnection | null>;

  /**
   * Record a transient failure and release the lease, only while `lease` holds it and the
   * connection is active. No status change (I4). Clears the in-flight record.
   */
  recordFailure(ref: ConnectionRef, lease: Lease, failure: RefreshFailure): Promise<void>;

  /**
   * Intuit refused `mark.fingerprint`: only if it is still the stored one (no newer token, I4),
   * `lease` still holds the lease (a stale holder never marks, I9) and the connection is active or
   * reauth_pending. Parks as reauth_pending (`pendingUntil`) or marks needs_reauth; releases the
   * lease and clears the in-flight record. True when it changed.
   */
  markNeedsReauth(ref: ConnectionRef, lease: Lease, mark: ReauthMark): Promise<boolean>;

  /** Disconnect: wipe tokens and mark revoked (kept for audit), or remove. True if it existed. */
  markRevoked(ref: ConnectionRef): Promise<boolean>;
  delete(ref: ConnectionRef): Promise<boolean>;

  /**
   * Claim up to `limit` active or reauth_pending connections that are due (`nextRefreshAt <= now`,
   * `nextAttemptAt` empty or past) and not leased by a live owner, leasing each to `owner` (each
   * claim bumps that row's generation). Concurrent claimers never get the same connection.
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
