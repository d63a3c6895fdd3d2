import type { Lease } from '../../../domain/connection.interface';
import { changed, holds, type TransitionRecord } from './transition-record';

/** What beginCall records (TokenStorage.beginCall): the token sent, the call's budget and the lease TTL after it (both ms). */
export interface CallToBegin {
  fingerprint: string;
  budget: number;
  ttl: number;
}

/**
 * beginCall: the holder records the call it is about to send with the stored token, and the lease
 * is stretched to cover it. Refused unless the lease covers the whole budget, and while an earlier
 * holder's call with this very token may still be answered (until its deadline): wait it out.
 */
export function callBegun<R extends TransitionRecord>(row: R, lease: Lease, call: CallToBegin, now: number): R | null {
  if (!holds(row, lease) || row.status !== 'active' || row.refreshTokenFingerprint !== call.fingerprint) return null;
  if ((row.leaseExpiresAt ?? 0) < now + call.budget) return null;
  const unresolved = row.inflightFingerprint === row.refreshTokenFingerprint && row.inflightGeneration !== lease.generation;
  if (unresolved && (row.inflightDeadlineAt ?? 0) > now) return null;
  return changed(
    row,
    {
      inflightFingerprint: call.fingerprint,
      inflightOwner: lease.owner,
      inflightGeneration: lease.generation,
      inflightStartedAt: now,
      inflightDeadlineAt: now + call.budget,
      leaseExpiresAt: now + call.ttl,
    },
    now,
  );
}
