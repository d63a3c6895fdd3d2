/** Which Intuit environment a connection belongs to; the two have separate credentials and endpoints. */
export type IntuitEnvironment = 'sandbox' | 'production';

/** active: tokens usable. needs_reauth: Intuit refused the refresh token, the customer must reconnect. revoked: disconnected. */
export type ConnectionStatus = 'active' | 'needs_reauth' | 'revoked';

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
  /** When the scheduler should refresh next (indexed in every backend). */
  nextRefreshAt: Date;
  failureCount: number;
  nextAttemptAt: Date | null;
  lastErrorCode: string | null;
  lastRefreshedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

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
}
