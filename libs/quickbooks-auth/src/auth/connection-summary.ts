import type { ConnectionSummary, StoredConnection } from './connection.interface';

/** The caller-visible view of a connection: everything but the tokens and lease internals. */
export function toSummary(c: StoredConnection): ConnectionSummary {
  return {
    tenantId: c.tenantId,
    realmId: c.realmId,
    environment: c.environment,
    status: c.status,
    accessTokenExpiresAt: c.accessTokenExpiresAt,
    refreshTokenExpiresAt: c.refreshTokenExpiresAt,
    refreshTokenHardExpiresAt: c.refreshTokenHardExpiresAt,
    scopes: [...c.scopes],
    lastRefreshedAt: c.lastRefreshedAt,
    lastErrorCode: c.lastErrorCode,
    failureCount: c.failureCount,
    nextRefreshAt: c.nextRefreshAt,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}
