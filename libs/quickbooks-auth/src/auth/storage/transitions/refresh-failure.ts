import type { Lease } from '../../../domain/connection.interface';
import type { RefreshFailure } from '../token-storage.interface';
import { NO_INFLIGHT, changed, holds, type TransitionRecord } from './transition-record';

/**
 * recordFailure: the holder records a failed refresh (count, back-off, reason) and gives up its
 * lease and its call record. Only the lease holder of an active record; status is never touched (I4).
 */
export function failureRecorded<R extends TransitionRecord>(row: R, lease: Lease, failure: RefreshFailure, now: number): R | null {
  if (row.status !== 'active' || !holds(row, lease)) return null;
  return changed(
    row,
    {
      failureCount: failure.failureCount,
      nextAttemptAt: failure.nextAttemptAt?.getTime() ?? null,
      lastErrorCode: failure.lastErrorCode,
      ...NO_INFLIGHT,
      leaseOwner: null,
      leaseExpiresAt: null,
    },
    now,
  );
}
