import type { Lease } from '../../../domain/connection.interface';
import type { ReauthMark } from '../token-storage.interface';
import { LEASABLE_STATUSES, NO_INFLIGHT, changed, holds, type TransitionRecord } from './transition-record';

/**
 * markNeedsReauth: Intuit refused the stored token. Only a refused token that is still the stored
 * one, and only by the lease holder (I4, I9). With `pendingUntil` the record is parked
 * reauth_pending (reconciled, leased again, once an earlier call's rotation can no longer commit);
 * otherwise needs_reauth. The lease and the call record go.
 */
export function reauthMarked<R extends TransitionRecord>(row: R, lease: Lease, mark: ReauthMark, now: number): R | null {
  if (!LEASABLE_STATUSES.has(row.status)) return null;
  if (row.refreshTokenFingerprint !== mark.fingerprint || !holds(row, lease)) return null;
  return changed(
    row,
    {
      status: mark.pendingUntil ? 'reauth_pending' : 'needs_reauth',
      lastErrorCode: mark.errorCode,
      lastErrorFingerprint: mark.fingerprint,
      nextRefreshAt: mark.pendingUntil ? mark.pendingUntil.getTime() : row.nextRefreshAt,
      nextAttemptAt: null,
      ...NO_INFLIGHT,
      leaseOwner: null,
      leaseExpiresAt: null,
    },
    now,
  );
}
