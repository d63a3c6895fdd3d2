import { StorageError } from '../../errors/storage.error';
import type { ConnectionRef } from '../connection.interface';

const MAX_TENANT_ID = 128;
const MAX_REALM_ID = 64;
// Control characters and edge whitespace are refused: some SQL collations ignore trailing spaces,
// so `acme` and `acme ` could otherwise address the same row and break tenant isolation (I7).
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const UNSAFE = /[\u0000-\u001f\u007f]|^\s|\s$/;

/** Refuses refs that every backend could not store and address exactly (I7, I8). */
export function assertValidConnectionRef(ref: ConnectionRef): void {
  check('tenantId', ref?.tenantId, MAX_TENANT_ID);
  check('realmId', ref?.realmId, MAX_REALM_ID);
}

export function assertValidTenantId(tenantId: string): void {
  check('tenantId', tenantId, MAX_TENANT_ID);
}

function check(name: string, value: unknown, max: number): void {
  if (typeof value !== 'string' || value.length === 0) throw new StorageError(`${name} must be a non-empty string`, 'invalid_connection_ref');
  if (value.length > max) throw new StorageError(`${name} must be at most ${max} characters`, 'invalid_connection_ref');
  if (UNSAFE.test(value)) throw new StorageError(`${name} must not contain control characters or leading/trailing whitespace`, 'invalid_connection_ref');
}

/** Lease durations must be positive whole milliseconds (they end up inside SQL expressions). */
export function assertValidTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs < 1 || ttlMs > 24 * 3600 * 1000) throw new StorageError('lease ttlMs must be between 1 ms and 24 h', 'invalid_lease_ttl');
  return Math.floor(ttlMs);
}

export function assertValidLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new StorageError('limit must be an integer between 1 and 10000', 'invalid_limit');
  return limit;
}

/**
 * A markRevoked fence must name a fingerprint: an empty one would match nothing in one backend and
 * read as "no fence" in another (Redis passes '' for none), so it is refused everywhere.
 */
export function assertValidRevokeFence(fence: { refusedFingerprint: unknown } | undefined): void {
  if (fence === undefined) return;
  if (typeof fence?.refusedFingerprint !== 'string' || fence.refusedFingerprint.length === 0) {
    throw new StorageError('markRevoked fence refusedFingerprint must be a non-empty string', 'invalid_revoke_fence');
  }
}
