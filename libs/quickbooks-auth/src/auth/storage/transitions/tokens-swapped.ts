import type { Lease } from '../../../domain/connection.interface';
import type { RefreshResult } from '../token-storage.interface';
import { NO_INFLIGHT, changed, type TransitionRecord } from './transition-record';

/**
 * compareAndSwapTokens, every field but the tokens themselves (each backend seals or encrypts
 * them its own way): the refresh result is stored if the fingerprint is still `expectedFingerprint`.
 * Rotated (`newFingerprint` differs): the fingerprint fence only, whatever our generation (a
 * rotated token is the only live one); it revives reauth_pending / needs_reauth for exactly the
 * refused token. Not rotated: active and still our generation, so a late answer never revives or
 * overwrites (I9). Another holder's lease is left alone: its beginCall now finds the fingerprint moved.
 */
export function tokensSwapped<R extends TransitionRecord>(
  row: R,
  expectedFingerprint: string,
  newFingerprint: string,
  result: RefreshResult,
  lease: Lease,
  now: number,
): R | null {
  if (row.refreshTokenFingerprint !== expectedFingerprint) return null;
  if (newFingerprint !== expectedFingerprint) {
    const revivable =
      (row.status === 'reauth_pending' || row.status === 'needs_reauth') && row.lastErrorFingerprint === expectedFingerprint;
    if (row.status !== 'active' && !revivable) return null;
  } else if (row.status !== 'active' || row.leaseGeneration !== lease.generation) {
    return null;
  }
  const ours = row.leaseGeneration === lease.generation;
  return changed(
    row,
    {
      status: 'active',
      refreshTokenFingerprint: newFingerprint,
      accessTokenExpiresAt: result.accessTokenExpiresAt.getTime(),
      refreshTokenExpiresAt: result.refreshTokenExpiresAt.getTime(),
      refreshTokenHardExpiresAt: result.refreshTokenHardExpiresAt?.getTime() ?? null,
      nextRefreshAt: result.nextRefreshAt.getTime(),
      failureCount: 0,
      nextAttemptAt: null,
      lastErrorCode: null,
      lastErrorFingerprint: null,
      lastRefreshedAt: now,
      ...NO_INFLIGHT,
      leaseOwner: ours ? null : row.leaseOwner,
      leaseExpiresAt: ours ? null : row.leaseExpiresAt,
    },
    now,
  );
}
