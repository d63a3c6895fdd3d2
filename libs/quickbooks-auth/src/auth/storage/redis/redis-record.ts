import {
  CONNECTION_STATUSES,
  type ConnectionForAccess,
  type ConnectionRef,
  type ConnectionStatus,
  type InflightCall,
  type IntuitEnvironment,
  type StoredConnection,
} from '../../../domain/connection.interface';
import { StorageError } from '../../../errors/storage.error';
import type { TokenCipher } from '../../../utils/crypto/token-cipher';

/** Hash field values: integer ms for dates, '' for null, JSON for scopes. */
export const ms = (d: Date | null | undefined): string => (d ? String(d.getTime()) : '');

const ENVIRONMENTS: IntuitEnvironment[] = ['sandbox', 'production'];

/** ['f1','v1','f2','v2',…] → object. */
export function pairsToHash(reply: string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) hash[reply[i]] = reply[i + 1];
  return hash;
}

/** object → ['f1','v1',…] for HSET inside a script. */
export function hashToPairs(fields: Record<string, string>): string[] {
  return Object.entries(fields).flat();
}

/**
 * Hash → StoredConnection, decrypting the tokens with the row's own AAD (I6). A malformed hash is
 * a StorageError naming the connection's field, never its value; a bad ciphertext a DecryptionError.
 * With a null cipher the tokens are not opened (reported as ''): the record's other fields, for a
 * record that cannot be decrypted.
 */
export function hashToConnection(hash: Record<string, string>, ref: ConnectionRef, cipher: TokenCipher | null): StoredConnection {
  const conn = hashToAccessConnection(hash, ref, cipher) as StoredConnection;
  conn.refreshToken =
    hash.refreshTokenEnc && cipher
      ? cipher.decrypt(hash.refreshTokenEnc, { tenantId: ref.tenantId, realmId: ref.realmId, field: 'refresh_token' })
      : '';
  return conn;
}

/** Like hashToConnection with the refresh token left sealed (TokenStorage.getForAccess): one decryption. */
export function hashToAccessConnection(hash: Record<string, string>, ref: ConnectionRef, cipher: TokenCipher | null): ConnectionForAccess {
  const bad = (field: string): never => {
    throw new StorageError(`Redis connection record is malformed (field ${field})`, 'storage_corrupt');
  };
  // The ids inside the hash must match the key it was read from (I7: a moved hash is foreign).
  if (hash.tenantId !== ref.tenantId || hash.realmId !== ref.realmId) bad('tenantId/realmId');
  const date = (field: string): Date => {
    const n = Number(hash[field]);
    return hash[field] && Number.isFinite(n) ? new Date(n) : bad(field);
  };
  const optDate = (field: string): Date | null => (hash[field] ? date(field) : null);
  const int = (field: string): number => {
    const n = Number(hash[field]);
    return hash[field] !== undefined && hash[field] !== '' && Number.isInteger(n) ? n : bad(field);
  };
  // Fields added by protocol v2: a hash written before it lacks them and reads as 0 / null.
  const optInt = (field: string): number => (hash[field] === undefined || hash[field] === '' ? 0 : int(field));
  const epoch = (field: string): Date => (hash[field] ? date(field) : new Date(0));
  const status = hash.status as ConnectionStatus;
  if (!CONNECTION_STATUSES.includes(status)) bad('status');
  const environment = hash.environment as IntuitEnvironment;
  if (!ENVIRONMENTS.includes(environment)) bad('environment');
  let scopes: string[] = [];
  try {
    scopes = JSON.parse(hash.scopes ?? '');
  } catch {
    bad('scopes');
  }
  if (!Array.isArray(scopes)) bad('scopes');
  const inflight: InflightCall | null = hash.inflightFingerprint
    ? {
        fingerprint: hash.inflightFingerprint,
        owner: hash.inflightOwner ?? '',
        generation: optInt('inflightGeneration'),
        startedAt: epoch('inflightStartedAt'),
        deadlineAt: epoch('inflightDeadlineAt'),
      }
    : null;
  return {
    tenantId: ref.tenantId,
    realmId: ref.realmId,
    environment,
    status,
    accessToken:
      hash.accessTokenEnc && cipher
        ? cipher.decrypt(hash.accessTokenEnc, { tenantId: ref.tenantId, realmId: ref.realmId, field: 'access_token' })
        : '',
    refreshTokenFingerprint: hash.refreshTokenFingerprint ?? '',
    accessTokenExpiresAt: date('accessTokenExpiresAt'),
    refreshTokenExpiresAt: date('refreshTokenExpiresAt'),
    refreshTokenHardExpiresAt: optDate('refreshTokenHardExpiresAt'),
    scopes,
    version: int('version'),
    leaseOwner: hash.leaseOwner || null,
    leaseExpiresAt: hash.leaseOwner ? optDate('leaseExpiresAt') : null,
    leaseGeneration: optInt('leaseGeneration'),
    inflight,
    lastErrorFingerprint: hash.lastErrorFingerprint || null,
    nextRefreshAt: date('nextRefreshAt'),
    failureCount: int('failureCount'),
    nextAttemptAt: optDate('nextAttemptAt'),
    lastErrorCode: hash.lastErrorCode || null,
    lastRefreshedAt: optDate('lastRefreshedAt'),
    createdAt: date('createdAt'),
    updatedAt: date('updatedAt'),
    // Absent in hashes of earlier releases: never recorded.
    lastUsedAt: optDate('lastUsedAt'),
    // Added for hard-expiry warnings (issue 16): absent in earlier hashes, read as none yet.
    reconnectWarnedDays: hash.reconnectWarnedDays ? int('reconnectWarnedDays') : null,
  };
}
