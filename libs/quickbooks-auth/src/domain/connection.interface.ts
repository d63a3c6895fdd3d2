/** Which Intuit environment a connection belongs to; the two have separate credentials and endpoints. */
export type IntuitEnvironment = 'sandbox' | 'production';

/**
 * active: tokens usable. reauth_pending: Intuit refused the refresh token while an earlier call
 * with it may still commit a rotation; parked, no customer-facing event, until reconciled (I9).
 * needs_reauth: Intuit refused the refresh token, the customer must reconnect. revoke_pending:
 * disconnected here, but Intuit has not confirmed the revoke yet; no token is served and the
 * revoke is retried until Intuit confirms (or says the token is already dead). revoked: disconnected.
 */
export type ConnectionStatus = 'active' | 'reauth_pending' | 'needs_reauth' | 'revoke_pending' | 'revoked';

/** Every status, in the order health and metrics list them. */
export const CONNECTION_STATUSES: readonly ConnectionStatus[] = ['active', 'reauth_pending', 'needs_reauth', 'revoke_pending', 'revoked'];

/**
 * A lease as its holder knows it: the owner id and the fencing generation the acquisition or
 * claim returned (I9). Every write a holder makes after the token call checks both.
 */
export interface Lease {
  owner: string;
  generation: number;
}

/**
 * A token call that was recorded right before it was sent (beginCall) and may still commit.
 * Unresolved while its fingerprint equals the stored one: a successor waits until `deadlineAt`
 * before it sends the same refresh token.
 */
export interface InflightCall {
  /** Fingerprint of the refresh token that was sent. */
  fingerprint: string;
  owner: string;
  generation: number;
  /** Store clock. */
  startedAt: Date;
  /** Store clock: startedAt + the token-call budget of the process that sent it. */
  deadlineAt: Date;
}

/** Identifies one QuickBooks company connection of one tenant of the host app. */
export interface ConnectionRef {
  tenantId: string;
  realmId: string;
}

/**
 * One connection as the storage layer holds it (same fields in every backend).
 * Tokens are plaintext here, in memory only: every backend encrypts them at rest (I6).
 * @internal
 */
export interface StoredConnection extends ConnectionRef {
  environment: IntuitEnvironment;
  status: ConnectionStatus;
  accessToken: string;
  refreshToken: string;
  /** HMAC of the refresh token: the fencing value for compare-and-swap writes (I2, I3). */
  refreshTokenFingerprint: string;
  accessTokenExpiresAt: Date;
  /** Rolling expiry (`x_refresh_token_expires_in`). */
  refreshTokenExpiresAt: Date;
  /** Hard cap (`x_refresh_token_hard_expires_in`), when Intuit told us. */
  refreshTokenHardExpiresAt: Date | null;
  scopes: string[];
  /** Bumps on every write. */
  version: number;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  /** Fencing generation: bumped by every lease acquisition and batch claim, never reset (I9). */
  leaseGeneration: number;
  /** The last token call recorded by beginCall, or null once resolved. */
  inflight: InflightCall | null;
  /** Fingerprint of the refresh token Intuit refused (reauth_pending, needs_reauth), else null. */
  lastErrorFingerprint: string | null;
  /** When the scheduler should refresh next (indexed in every backend). */
  nextRefreshAt: Date;
  failureCount: number;
  nextAttemptAt: Date | null;
  lastErrorCode: string | null;
  lastRefreshedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /**
   * When a token of this connection was last handed to the app, coarsely (recordUse writes it at
   * most about once a quarter of scheduler.recentWindowSeconds): the `proactive: 'recent'` policy
   * keeps only recently used connections refreshed ahead. Null: never recorded (older rows, imports).
   */
  lastUsedAt: Date | null;
  /**
   * The nearest hard-expiry warning horizon (days) already sent for the current grant
   * (claimReconnectWarning), or null. Absent only on records built outside storage (fixtures).
   */
  reconnectWarnedDays?: number | null;
}

/**
 * A connection as the access path reads it (TokenStorage.getForAccess): everything but the
 * refresh token, which stays sealed. Handing out an access token never needs it, so its
 * plaintext is never made there, and a read costs one decryption instead of two.
 * @internal
 */
export type ConnectionForAccess = Omit<StoredConnection, 'refreshToken'>;

/** Every field of a stored connection but its ids and its tokens. @internal */
export type ConnectionDetails = Omit<StoredConnection, 'tenantId' | 'realmId' | 'accessToken' | 'refreshToken'>;

/**
 * A stored connection whose tokens cannot be decrypted: its key left the key ring, or the row was
 * altered (I6). Storage hands it back instead of throwing, so one bad row can still be listed,
 * reconnected over and revoked while every other connection keeps working (I8).
 * @internal
 */
export interface UndecryptableConnection extends ConnectionRef {
  readonly undecryptable: true;
  /** Why, from the DecryptionError (key ids and layers only, never a value): for logs. */
  reason: string;
  /** The row's other fields, or null where the store seals the whole record (file backend). */
  details: ConnectionDetails | null;
}

/** What a tolerant read returns: a usable connection, or one that cannot be decrypted. @internal */
export type ConnectionRecord = StoredConnection | UndecryptableConnection;

/** Token material from a successful code exchange or refresh, ready to store. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: Date;
  refreshTokenExpiresAt: Date;
  refreshTokenHardExpiresAt: Date | null;
}

/** A connection as callers may see it: status and expiries, never tokens. */
export interface ConnectionSummary extends ConnectionRef {
  environment: IntuitEnvironment;
  status: ConnectionStatus;
  accessTokenExpiresAt: Date;
  refreshTokenExpiresAt: Date;
  refreshTokenHardExpiresAt: Date | null;
  scopes: string[];
  lastRefreshedAt: Date | null;
  lastErrorCode: string | null;
  failureCount: number;
  nextRefreshAt: Date;
  createdAt: Date;
  updatedAt: Date;
  /**
   * True when the stored tokens cannot be decrypted (its key was removed from the key ring, or
   * the row was altered): getAccessToken throws ConnectionUndecryptableError. Reconnect it (the
   * callback overwrites it), disconnect it, or put the key back.
   */
  undecryptable: boolean;
}
