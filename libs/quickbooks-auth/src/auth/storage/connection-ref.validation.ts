import { StorageError } from '../../errors/storage.error';
import { storedConnectionRefProblem, tenantIdProblem } from '../../domain/connection-ref';
import type { ConnectionRef } from '../../domain/connection.interface';

/** Refuses refs that every backend could not store and address exactly (I7, I8); the rules are the domain's. */
export function assertValidConnectionRef(ref: ConnectionRef): void {
  refuse(storedConnectionRefProblem(ref));
}

export function assertValidTenantId(tenantId: string): void {
  refuse(tenantIdProblem(tenantId));
}

function refuse(problem: string | undefined): void {
  if (problem !== undefined) throw new StorageError(problem, 'invalid_connection_ref');
}

/** Lease durations must be positive whole milliseconds (they end up inside SQL expressions). */
export function assertValidTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs < 1 || ttlMs > 24 * 3600 * 1000)
    throw new StorageError('lease ttlMs must be between 1 ms and 24 h', 'invalid_lease_ttl');
  return Math.floor(ttlMs);
}

export function assertValidLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new StorageError('limit must be an integer between 1 and 10000', 'invalid_limit');
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
