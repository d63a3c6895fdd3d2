import type { Lease } from '../../../domain/connection.interface';
import { LEASABLE_STATUSES, NO_INFLIGHT, changed, holds, leaseFree, type TransitionRecord } from './transition-record';

/**
 * The lease transitions (TokenStorage.acquireLease, claimDue, renewLease, releaseLease) on one
 * record: the changed record, or null when the rule does not hold. Lease times are `now` + ttl.
 */

/** acquireLease: leasable, and free or already `owner`'s (or expired); a new generation fences every earlier holder (I9). */
export function leaseAcquired<R extends TransitionRecord>(row: R, owner: string, ttl: number, now: number): R | null {
  if (!LEASABLE_STATUSES.has(row.status) || !leaseFree(row, now, owner)) return null;
  return taken(row, owner, ttl, now);
}

/** Due at `due` (app clock) and not leased by a live owner at `now` (the lease clock): what claimDue picks. */
export function dueForClaim(row: TransitionRecord, due: number, now: number): boolean {
  return (
    LEASABLE_STATUSES.has(row.status) &&
    row.nextRefreshAt <= due &&
    (row.nextAttemptAt === null || row.nextAttemptAt <= due) &&
    leaseFree(row, now)
  );
}

/** claimDue, one row: due and free (re-checked where another process may have claimed it since the scan). */
export function leaseClaimed<R extends TransitionRecord>(row: R, owner: string, ttl: number, due: number, now: number): R | null {
  return dueForClaim(row, due, now) ? taken(row, owner, ttl, now) : null;
}

/** renewLease: an expired lease can be renewed only while nobody else took it over (the generation says). */
export function leaseRenewed<R extends TransitionRecord>(row: R, lease: Lease, ttl: number, now: number): R | null {
  return holds(row, lease) ? changed(row, { leaseExpiresAt: now + ttl }, now) : null;
}

/** releaseLease: only our own call record goes with it; an earlier holder's may still be answered. */
export function leaseReleased<R extends TransitionRecord>(row: R, lease: Lease, now: number): R | null {
  if (!holds(row, lease)) return null;
  const ownCall = row.inflightGeneration === lease.generation;
  return changed(
    row,
    {
      ...(ownCall ? NO_INFLIGHT : {}),
      leaseOwner: null,
      leaseExpiresAt: null,
    },
    now,
  );
}

function taken<R extends TransitionRecord>(row: R, owner: string, ttl: number, now: number): R {
  return changed(row, { leaseOwner: owner, leaseExpiresAt: now + ttl, leaseGeneration: row.leaseGeneration + 1 }, now);
}
