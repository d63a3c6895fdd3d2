import type {
  ConnectionRecord,
  ConnectionSummary,
  IntuitEnvironment,
  StoredConnection,
  UndecryptableConnection,
} from './connection.interface';
import { isUndecryptable } from './is-undecryptable';

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
    undecryptable: false,
  };
}

/** Either kind of stored row as a summary; `environment` fills in what a sealed record hides. */
export function toRecordSummary(c: ConnectionRecord, environment: IntuitEnvironment): ConnectionSummary {
  return isUndecryptable(c) ? toUndecryptableSummary(c, environment) : toSummary(c);
}

/**
 * A connection whose tokens cannot be decrypted (I8): its stored fields, marked undecryptable.
 * Where the store seals the whole record (file backend) only the ids are known; it then reads as
 * needs_reauth with lastErrorCode connection_undecryptable (reconnect it, or restore its key),
 * the module's environment and times at the epoch (unknown).
 */
function toUndecryptableSummary(c: UndecryptableConnection, environment: IntuitEnvironment): ConnectionSummary {
  if (c.details)
    return {
      ...toSummary({ ...c.details, tenantId: c.tenantId, realmId: c.realmId, accessToken: '', refreshToken: '' }),
      undecryptable: true,
    };
  const unknown = new Date(0);
  return {
    tenantId: c.tenantId,
    realmId: c.realmId,
    environment,
    status: 'needs_reauth',
    accessTokenExpiresAt: unknown,
    refreshTokenExpiresAt: unknown,
    refreshTokenHardExpiresAt: null,
    scopes: [],
    lastRefreshedAt: null,
    lastErrorCode: 'connection_undecryptable',
    failureCount: 0,
    nextRefreshAt: unknown,
    createdAt: unknown,
    updatedAt: unknown,
    undecryptable: true,
  };
}
