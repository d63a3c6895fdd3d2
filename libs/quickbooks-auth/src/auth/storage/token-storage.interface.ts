import type {
  ConnectionDetails,
  ConnectionForAccess,
  ConnectionRecord,
  ConnectionRef,
  ConnectionStatus,
  IntuitEnvironment,
  Lease,
  StoredConnection,
  TokenSet,
  UndecryptableConnection,
} from '../../domain/connection.interface';

/** A connection written by the connect flow (first connect or reconnect). */
export interface NewConnection extends ConnectionRef, TokenSet {
  environment: IntuitEnvironment;
  scopes: string[];
  nextRefreshAt: Date;
  /**
   * When the refresh token this write replaces (a reconnect's previous grant) is due to be revoked
   * at Intuit, app clock; default at once. The connect flow revokes it right after the write and
   * sets this a little later, so the scheduler only takes over if that attempt fails.
   */
  revokeReplacedAt?: Date;
  /**
   * Sets lastUsedAt (the proactive 'recent' policy): the connect flow passes now (a connection just
   * made is about to be used), an import the source's value or null. Omitted: the stored one is kept.
   */
  lastUsedAt?: Date | null;
}

/** A disconnect Intuit did not confirm (markRevokePending): when to try again, and why the try failed. */
export interface RevokeRetry {
  /** App clock. */
  retryAt: Date;
  /** Kept in lastErrorCode (oauth_error, invalid_client...). */
  errorCode: string;
}

/**
 * A refresh token still to be revoked at Intuit, as claimRevocations hands it out: the grant a
 * reconnect replaced, or (revoke_pending) the connection's own grant after a disconnect Intuit
 * did not confirm. At rest it stays sealed exactly as it was in the refresh token column.
 */
export interface PendingRevocation extends ConnectionRef {
  /** The token, opened; null when it cannot be decrypted (key removed, row altered): nothing can revoke it. */
  refreshToken: string | null;
  /** Its fingerprint: settleRevocation fences on it. */
  fingerprint: string;
  /** Failed attempts so far (for the backoff). */
  attempts: number;
  /** The connection itself is disconnecting (revoke_pending): settling the revocation marks it revoked. */
  disconnecting: boolean;
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

/**
 * claimDue options. `beginCalls`: in the same write, record each claimed active row's token call
 * as in flight (what beginCall records), when the row holds no earlier holder's call with the
 * stored token (resolved or not: the new holder must see it): owner and generation of the claim, the stored fingerprint, a deadline at the lease's
 * expiry. The holder may then send without a beginCall write, if it sends within
 * `ttlMs - callBudgetMs` of the claim (so the lease still covers the whole call). A backend may
 * ignore it (the holder then calls beginCall as usual).
 */
export interface ClaimOptions {
  beginCalls?: boolean;
}

/**
 * acquireLease options: ClaimOptions, and `basis`, the connection as the caller has just read it
 * from this same store (getForAccess or get; on demand, the read that found the token expired). A
 * backend whose UPDATE cannot return the row (MySQL) may then take the lease only while the row is
 * still at the basis's version and build the answer from the basis and what it wrote instead of
 * reading the row again; when the row moved, or the basis holds what only a re-read can tell (an
 * earlier holder's call record), it acquires as without it. The outcome is the same either way; a
 * backend may ignore it.
 */
export interface AcquireOptions extends ClaimOptions {
  basis?: ConnectionForAccess;
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

/**
 * What recordUse writes: the connection's tokens were handed to the app at `usedAt`, and, when the
 * scheduler had it on keep-alive only, it should be refreshed ahead again by `pullForward.refreshAt`.
 */
export interface ConnectionUse {
  /** App clock. Only moves lastUsedAt forward. */
  usedAt: Date;
  /**
   * Bring nextRefreshAt forward to `refreshAt` (never later), only while the stored access token
   * still expires at `accessTokenExpiresAt` (the token this schedule was computed from; a refresh
   * meanwhile set its own) and the connection is active. Null: lastUsedAt only.
   */
  pullForward: { accessTokenExpiresAt: Date; refreshAt: Date } | null;
}

/**
 * The fence of a revoke that Intuit's answer decided (markRevoked): it applies only to the grant
 * that answer was about. The Disconnect URL landing closes a connection after Intuit refused its
 * refresh token; a reconnect stored meanwhile is a new grant and must be kept.
 */
export interface RevokeFence {
  /**
   * Fingerprint of the refresh token Intuit refused (invalid_grant): the connection must still be
   * needs_reauth with exactly this token stored.
   */
  refusedFingerprint: string;
}

/** A page of listReconnectDue: each connection's ids and fields, never its tokens. */
export interface ReconnectDuePage {
  connections: Array<ConnectionRef & ConnectionDetails>;
  /** Pass back for the next page; null after the last one. */
  nextCursor: string | null;
}

/** Aggregates for health and metrics: no tenant ids, realm ids or tokens. */
export interface StorageStats {
  byStatus: Record<ConnectionStatus, number>;
  /**
   * Active connections whose access token expires before `now + withinMs`. Like accessExpired and
   * soonestAccessExpiry, only those the scheduler refreshes ahead (nextRefreshAt not after the
   * access-token expiry): one kept alive only (proactive 'recent', not used lately) holds an
   * expired access token by design, and its next use refreshes it on demand.
   */
  accessExpiringSoon: number;
  /** Active connections refreshed ahead whose access token already expired. */
  accessExpired: number;
  soonestAccessExpiry: Date | null;
  soonestRefreshExpiry: Date | null;
  /** Leases held past their expiry (a crashed owner). */
  staleLeases: number;
}

/**
 * Storage for connections, written for compare-and-swap and leases.
 *
 * Rules every backend must keep (conformance suite: `describeTokenStorageConformance` from `@quickbooks-auth/nestjs/testing`):
 * - Tokens are encrypted at rest with AES-256-GCM and AAD bound to tenant, realm and field (I6).
 * - Every read and write is scoped by tenantId + realmId: a tenant only ever sees its own rows (I7).
 * - Lease times come from the store's own clock where it has one (DB NOW(3), Redis TIME), so
 *   replicas with skewed clocks agree; due-time comparisons use the caller's `now` (the app clock).
 * - No method holds a lock across an HTTP call: leases are rows, not transactions.
 * - A row whose tokens cannot be decrypted (key removed from the ring, row altered) affects only
 *   that connection (I8): get and listByTenant throw DecryptionError, the tolerant reads
 *   (getRecord, listRecordsByTenant) return it as an UndecryptableConnection, claimDue reports it,
 *   and saveConnection and markRevoked overwrite it without reading its tokens.
 * @internal
 */
export interface TokenStorage {
  /** Backend name for logs and health (typeorm-mysql, typeorm-postgres, typeorm-sqlite, redis, file, memory). */
  readonly kind: string;

  /** One connection with its tokens; DecryptionError when they cannot be decrypted. */
  get(ref: ConnectionRef): Promise<StoredConnection | null>;
  /**
   * Like get, with the access token only: the refresh token is not decrypted (nor returned), so a
   * read on the access path costs one decryption. DecryptionError when the access token cannot be
   * decrypted; a refresh token that cannot be decrypted surfaces on the next refresh, where it is needed.
   * Optional for a custom store (every built-in one has it): without it the access path uses get.
   */
  getForAccess?(ref: ConnectionRef): Promise<ConnectionForAccess | null>;
  /** A tenant's connections with their tokens; DecryptionError when any row cannot be decrypted. */
  listByTenant(tenantId: string): Promise<StoredConnection[]>;

  /**
   * Like get, but a row whose tokens cannot be decrypted comes back as an UndecryptableConnection
   * (ids, reason, and its other fields where the store keeps them outside the ciphertext) instead
   * of throwing. Other errors (store down, corrupt or foreign data) still throw.
   */
  getRecord(ref: ConnectionRef): Promise<ConnectionRecord | null>;

  /** Like listByTenant, with each undecryptable row as an UndecryptableConnection (I8): one bad row never fails the list. */
  listRecordsByTenant(tenantId: string): Promise<ConnectionRecord[]>;

  /**
   * Connect or reconnect: replaces the tokens, sets status active, clears failures, any lease, the
   * in-flight record and lastErrorFingerprint, bumps the version and the lease generation. A refresh in flight for the old tokens then loses its compare-and-swap.
   * The refresh token it replaces, when there is one and it differs from the new one, becomes the
   * pending revocation (moved still sealed, never decrypted; due at `revokeReplacedAt`), replacing
   * an earlier one; a row without one (revoked, revoke_pending) keeps its pending revocation.
   * Works over a row that cannot be decrypted (a reconnect is how it is repaired), never reading
   * the old tokens.
   */
  saveConnection(conn: NewConnection): Promise<StoredConnection>;

  /**
   * Take the refresh lease for one connection if it is free or expired. Returns the connection as
   * stored at that moment (re-read under the lease, with the new `leaseGeneration`: bumped by every
   * acquisition) or null when another owner holds a live lease. Only active and reauth_pending
   * connections can be leased. The row's `inflight` tells the new holder about a call that may
   * still commit. `options.beginCalls`: as in claimDue (ClaimOptions), in the same write; `owner`
   * must then be one never used before (the refresher's owners are unique per attempt).
   * `options.basis`: the caller's own read of the row (AcquireOptions).
   */
  acquireLease(ref: ConnectionRef, owner: string, ttlMs: number, options?: AcquireOptions): Promise<StoredConnection | null>;

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
   * or null when refused. `basis`: the connection as this lease holder last read it (its claim or
   * acquisition); a backend whose UPDATE cannot return the row (MySQL) builds the answer from it
   * and the values it wrote instead of reading the row again.
   */
  compareAndSwapTokens(
    ref: ConnectionRef,
    expectedFingerprint: string,
    result: RefreshResult,
    lease: Lease,
    basis?: StoredConnection,
  ): Promise<StoredConnection | null>;

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

  /**
   * Disconnect: wipe tokens and mark revoked (kept for audit), clear the lease and the in-flight
   * record, bump the generation. True if it existed.
   * Without `fence` (a disconnect the host asked for) it applies to whatever is stored, and works
   * over a row that cannot be decrypted, never reading its tokens. With `fence` it is ONE
   * conditional write: only while the connection is needs_reauth and its stored refresh token
   * fingerprint is `fence.refusedFingerprint` (checked and written in one step, so a reconnect
   * stored a moment before is never wiped); true when it changed. A row whose fingerprint cannot
   * be read (a file that cannot be decrypted at all) does not match.
   */
  markRevoked(ref: ConnectionRef, fence?: RevokeFence): Promise<boolean>;
  /** Removes the connection; true when it existed. */
  delete(ref: ConnectionRef): Promise<boolean>;

  /**
   * Disconnect that Intuit did not confirm: status revoke_pending, the refresh token moved (still
   * sealed) into the pending revocation, due at `retry.retryAt` with one attempt counted (a row
   * without a refresh token keeps its pending revocation); tokens wiped, lease and in-flight record
   * cleared, generation bumped. Not for a revoked connection. True if it changed.
   */
  markRevokePending(ref: ConnectionRef, retry: RevokeRetry): Promise<boolean>;

  /**
   * Claim up to `limit` pending revocations due at `now` (app clock), soonest first, pushing each
   * one's due time to `now + holdMs` so another claimer (replica) does not get it before then.
   * With `only`: that connection's, due or not (a caller retrying a disconnect now).
   */
  claimRevocations(now: Date, limit: number, holdMs: number, only?: ConnectionRef): Promise<PendingRevocation[]>;

  /**
   * The outcome of one revoke attempt, only while `fingerprint` is still the pending one. Null
   * `retryAt` (Intuit confirmed, or the token was already invalid there) clears it and turns a
   * revoke_pending connection revoked; a date is the next attempt, and this one is counted. True
   * if it matched.
   */
  settleRevocation(ref: ConnectionRef, fingerprint: string, retryAt: Date | null): Promise<boolean>;

  /**
   * Claim up to `limit` active or reauth_pending connections that are due (`nextRefreshAt <= now`,
   * `nextAttemptAt` empty or past) and not leased by a live owner, leasing each to `owner` (each
   * claim bumps that row's generation). Concurrent claimers never get the same connection.
   * A row that cannot be decrypted is not returned: it is handed to `onUndecryptable` (which must
   * not throw) and, where the backend leased it, stays leased until the TTL passes, a back-off
   * before it is reported again. It never blocks the rest of the batch (I8).
   */
  claimDue(
    now: Date,
    limit: number,
    owner: string,
    ttlMs: number,
    onUndecryptable?: (row: UndecryptableConnection) => void,
    options?: ClaimOptions,
  ): Promise<StoredConnection[]>;

  /**
   * Bookkeeping for the `proactive: 'recent'` policy: sets lastUsedAt to `use.usedAt` when that is
   * later, and applies `use.pullForward` (see ConnectionUse). No version bump, no lease, no token
   * read: it never fences or disturbs a refresh. A missing or non-active connection is left alone.
   * Optional for custom backends: without it, `proactive: 'recent'` falls back to `'all'` (logged once).
   */
  recordUse?(ref: ConnectionRef, use: ConnectionUse): Promise<void>;

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

  // --- Hard-expiry lifecycle (issue 16, part 1) -----------------------------------------------

  /**
   * Record that the reconnect warning for `horizonDays` went out for this connection's hard
   * deadline: true for exactly one caller across replicas, only while the connection is active,
   * reauth_pending or needs_reauth, its hard expiry is known and before `now + horizonDays`, and
   * no warning for this horizon or a nearer one was recorded yet. saveConnection (a new grant,
   * a new deadline) clears the record; a refresh keeps it. Backs `reconnectWarnedDays`.
   */
  claimReconnectWarning(ref: ConnectionRef, horizonDays: number, now: Date): Promise<boolean>;

  /**
   * One page of the reconnect campaign: connections (active, reauth_pending, needs_reauth) whose
   * hard expiry is known and at or before `before`, soonest first, then by tenant and realm.
   * `afterCursor` is the `nextCursor` of the previous page (StorageError invalid_cursor for
   * anything else). Tokens are never opened: a row whose tokens cannot be decrypted is listed too.
   */
  listReconnectDue(before: Date, afterCursor: string | null, limit: number): Promise<ReconnectDuePage>;

  // --- Disconnects started in QuickBooks (issue 16, part 4) -----------------------------------

  /**
   * Up to `limit` refs of the connections (any status, every tenant) to one QuickBooks company,
   * ordered by tenant: Intuit's Disconnect URL names only the realm. Indexed in the SQL stores.
   */
  listRefsByRealm(realmId: string, limit: number): Promise<ConnectionRef[]>;

  /** Release resources the backend itself opened (not the host's DataSource). */
  close?(): Promise<void>;
}
