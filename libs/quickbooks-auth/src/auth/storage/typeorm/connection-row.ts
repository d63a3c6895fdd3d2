import type { TokenCipher } from '../../../utils/crypto/token-cipher';
import type { ConnectionForAccess, ConnectionStatus, IntuitEnvironment, StoredConnection } from '../../../domain/connection.interface';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD, openToken } from '../token-sealing';

/**
 * Every column of quickbooks_connections, named explicitly (never `SELECT *`), in the order of
 * the entity. Reads that hand back a connection select exactly these.
 */
export const CONNECTION_COLUMNS =
  'id, tenant_id, realm_id, environment, status, access_token_enc, refresh_token_enc, refresh_token_fp, ' +
  'access_token_expires_at, refresh_token_expires_at, refresh_token_hard_expires_at, scopes, version, ' +
  'lease_owner, lease_expires_at, next_refresh_at, failure_count, next_attempt_at, last_error_code, ' +
  'last_refreshed_at, created_at, updated_at, ' +
  'lease_generation, inflight_fp, inflight_owner, inflight_generation, inflight_started_at, inflight_deadline_at, last_error_fp, ' +
  'reconnect_warned_days, ' +
  'last_used_at';

/**
 * One row as the drivers return it. BIGINT arrives as a string or a number (mysql2 depending on
 * supportBigNumbers/bigNumberStrings, better-sqlite3 always a number); TEXT as a string (a
 * Buffer only under a binary collation).
 */
export interface ConnectionRow {
  id: string | number;
  tenant_id: string;
  realm_id: string;
  environment: string;
  status: string;
  access_token_enc: string | Buffer | null;
  refresh_token_enc: string | Buffer | null;
  refresh_token_fp: string | null;
  access_token_expires_at: string | number;
  refresh_token_expires_at: string | number;
  refresh_token_hard_expires_at: string | number | null;
  scopes: string | Buffer | null;
  version: string | number;
  lease_owner: string | null;
  lease_expires_at: string | number | null;
  next_refresh_at: string | number;
  failure_count: string | number;
  next_attempt_at: string | number | null;
  last_error_code: string | null;
  last_refreshed_at: string | number | null;
  created_at: string | number;
  updated_at: string | number;
  lease_generation: string | number;
  inflight_fp: string | null;
  inflight_owner: string | null;
  inflight_generation: string | number | null;
  inflight_started_at: string | number | null;
  inflight_deadline_at: string | number | null;
  last_error_fp: string | null;
  last_used_at: string | number | null;
  reconnect_warned_days?: string | number | null;
}

/** Ciphertexts this process has just written, with their plaintexts: no need to decrypt them again. */
export interface JustWritten {
  accessTokenEnc: string;
  accessToken: string;
  refreshTokenEnc: string;
  refreshToken: string;
}

/** An access token this process has already opened (getForAccess), with its ciphertext. */
export type JustOpened = Pick<JustWritten, 'accessTokenEnc' | 'accessToken'>;

/** A stored text value (token ciphertext, scopes) as a string. */
export function textOf(value: string | Buffer | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

function epochMs(value: string | number | null | undefined): Date | null {
  return value === null || value === undefined ? null : new Date(Number(value));
}

/**
 * Row to StoredConnection, with the same conversions as the entity's column transformers
 * (epoch ms BIGINT to Date, space-separated scopes, sealed tokens) and no TypeORM hydration.
 * Tokens are decrypted with the row's own tenant + realm in the AAD (I6); a ciphertext equal to
 * one in `written` is exactly what this process sealed, so its plaintext is taken as is.
 * Throws DecryptionError (no token text) for a tampered, moved or unknown-key ciphertext. With a
 * null cipher the tokens are not opened (reported as ''): the row's other fields, for a row that
 * cannot be decrypted.
 */
export function toStoredConnection(row: ConnectionRow, cipher: TokenCipher | null, written?: JustWritten | JustOpened): StoredConnection {
  const conn = toAccessConnection(row, cipher, written) as StoredConnection;
  const refreshEnc = textOf(row.refresh_token_enc);
  conn.refreshToken =
    refreshEnc === null || !cipher
      ? ''
      : written && 'refreshTokenEnc' in written && refreshEnc === written.refreshTokenEnc
        ? written.refreshToken
        : openToken(cipher, { tenantId: row.tenant_id, realmId: row.realm_id }, REFRESH_TOKEN_FIELD, refreshEnc);
  return conn;
}

/** Like toStoredConnection with the refresh token left sealed (TokenStorage.getForAccess): one decryption. */
export function toAccessConnection(row: ConnectionRow, cipher: TokenCipher | null, written?: JustOpened): ConnectionForAccess {
  const ref = { tenantId: row.tenant_id, realmId: row.realm_id };
  const accessEnc = textOf(row.access_token_enc);
  const scopes = textOf(row.scopes);
  return {
    tenantId: row.tenant_id,
    realmId: row.realm_id,
    environment: row.environment as IntuitEnvironment,
    status: row.status as ConnectionStatus,
    accessToken:
      accessEnc === null || !cipher
        ? ''
        : written && accessEnc === written.accessTokenEnc
          ? written.accessToken
          : openToken(cipher, ref, ACCESS_TOKEN_FIELD, accessEnc),
    refreshTokenFingerprint: row.refresh_token_fp ?? '',
    accessTokenExpiresAt: epochMs(row.access_token_expires_at) as Date,
    refreshTokenExpiresAt: epochMs(row.refresh_token_expires_at) as Date,
    refreshTokenHardExpiresAt: epochMs(row.refresh_token_hard_expires_at),
    scopes: scopes ? scopes.split(' ').filter(Boolean) : [],
    version: Number(row.version),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: epochMs(row.lease_expires_at),
    // Rows written before the v2 migration got the column defaults: generation 0, nothing in flight.
    leaseGeneration: Number(row.lease_generation ?? 0),
    inflight:
      row.inflight_fp === null || row.inflight_fp === undefined
        ? null
        : {
            fingerprint: row.inflight_fp,
            owner: row.inflight_owner ?? '',
            generation: Number(row.inflight_generation ?? 0),
            startedAt: epochMs(row.inflight_started_at) ?? new Date(0),
            deadlineAt: epochMs(row.inflight_deadline_at) ?? new Date(0),
          },
    lastErrorFingerprint: row.last_error_fp ?? null,
    nextRefreshAt: epochMs(row.next_refresh_at) as Date,
    failureCount: Number(row.failure_count),
    nextAttemptAt: epochMs(row.next_attempt_at),
    lastErrorCode: row.last_error_code,
    lastRefreshedAt: epochMs(row.last_refreshed_at),
    createdAt: epochMs(row.created_at) as Date,
    updatedAt: epochMs(row.updated_at) as Date,
    lastUsedAt: epochMs(row.last_used_at),
    reconnectWarnedDays:
      row.reconnect_warned_days === null || row.reconnect_warned_days === undefined ? null : Number(row.reconnect_warned_days),
  };
}
