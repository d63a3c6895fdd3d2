import { dueForClaim, leaseAcquired, leaseClaimed, leaseReleased, leaseRenewed } from './lease-transitions';
import type { TransitionRecord } from './transition-record';
import { callBegun } from './begin-call';
import { failureRecorded } from './refresh-failure';
import { reauthMarked } from './reauth-mark';
import { tokensSwapped } from './tokens-swapped';

const NOW = 10_000;

/** An active, unleased record at version 3, generation 5 (specs of the transitions). */
function aRecord(overrides: Partial<TransitionRecord> = {}): TransitionRecord {
  return {
    status: 'active',
    refreshTokenFingerprint: 'fp-current',
    leaseOwner: null,
    leaseExpiresAt: null,
    leaseGeneration: 5,
    inflightFingerprint: null,
    inflightOwner: null,
    inflightGeneration: null,
    inflightStartedAt: null,
    inflightDeadlineAt: null,
    lastErrorFingerprint: null,
    lastErrorCode: null,
    failureCount: 0,
    nextAttemptAt: null,
    nextRefreshAt: 1_000,
    accessTokenExpiresAt: 2_000,
    refreshTokenExpiresAt: 90_000,
    refreshTokenHardExpiresAt: null,
    lastRefreshedAt: null,
    version: 3,
    updatedAt: 0,
    ...overrides,
  };
}

describe('lease transitions', () => {
  it('acquires a free leasable record: new generation, lease until now + ttl, version bumped', () => {
    const row = aRecord();
    expect(leaseAcquired(row, 'me', 500, NOW)).toEqual({
      ...row,
      leaseOwner: 'me',
      leaseExpiresAt: 10_500,
      leaseGeneration: 6,
      version: 4,
      updatedAt: NOW,
    });
    expect(row.leaseOwner).toBeNull(); // the input is never changed
  });

  it('acquires its own or an expired lease again, never a live lease of another owner', () => {
    expect(leaseAcquired(aRecord({ leaseOwner: 'me', leaseExpiresAt: NOW + 1 }), 'me', 500, NOW)?.leaseGeneration).toBe(6);
    expect(leaseAcquired(aRecord({ leaseOwner: 'other', leaseExpiresAt: NOW - 1 }), 'me', 500, NOW)?.leaseOwner).toBe('me');
    expect(leaseAcquired(aRecord({ leaseOwner: 'other', leaseExpiresAt: NOW }), 'me', 500, NOW)).toBeNull();
  });

  it.each(['needs_reauth', 'revoked', 'revoke_pending'] as const)('never leases a %s record', (status) => {
    expect(leaseAcquired(aRecord({ status }), 'me', 500, NOW)).toBeNull();
    expect(leaseClaimed(aRecord({ status }), 'me', 500, NOW, NOW)).toBeNull();
  });

  it('leases reauth_pending (to be reconciled)', () => {
    expect(leaseAcquired(aRecord({ status: 'reauth_pending' }), 'me', 500, NOW)?.leaseOwner).toBe('me');
  });

  it('claims only what is due, past its back-off, and not leased by a live owner (its own included)', () => {
    expect(dueForClaim(aRecord({ nextRefreshAt: 2_000 }), 1_999, NOW)).toBe(false);
    expect(dueForClaim(aRecord({ nextRefreshAt: 2_000 }), 2_000, NOW)).toBe(true);
    expect(dueForClaim(aRecord({ nextAttemptAt: 3_000 }), 2_999, NOW)).toBe(false);
    expect(dueForClaim(aRecord({ nextAttemptAt: 3_000 }), 3_000, NOW)).toBe(true);
    expect(dueForClaim(aRecord({ leaseOwner: 'me', leaseExpiresAt: NOW }), NOW, NOW)).toBe(false);
    expect(dueForClaim(aRecord({ leaseOwner: 'me', leaseExpiresAt: NOW - 1 }), NOW, NOW)).toBe(true);
    expect(leaseClaimed(aRecord(), 'claimer', 500, NOW, NOW)).toMatchObject({ leaseOwner: 'claimer', leaseGeneration: 6, version: 4 });
  });

  it('renews only while the same owner and generation hold it, even expired', () => {
    const held = aRecord({ leaseOwner: 'me', leaseExpiresAt: NOW - 1, leaseGeneration: 6 });
    expect(leaseRenewed(held, { owner: 'me', generation: 6 }, 500, NOW)).toEqual({
      ...held,
      leaseExpiresAt: 10_500,
      version: 4,
      updatedAt: NOW,
    });
    expect(leaseRenewed(held, { owner: 'me', generation: 5 }, 500, NOW)).toBeNull();
    expect(leaseRenewed(held, { owner: 'other', generation: 6 }, 500, NOW)).toBeNull();
  });

  it('releases the lease with its own call record, and keeps an earlier holder’s call', () => {
    const call = { inflightFingerprint: 'fp-current', inflightOwner: 'me', inflightStartedAt: 1, inflightDeadlineAt: 2 };
    const own = aRecord({ leaseOwner: 'me', leaseExpiresAt: NOW + 1, leaseGeneration: 6, ...call, inflightGeneration: 6 });
    expect(leaseReleased(own, { owner: 'me', generation: 6 }, NOW)).toMatchObject({
      leaseOwner: null,
      leaseExpiresAt: null,
      leaseGeneration: 6,
      inflightFingerprint: null,
      inflightGeneration: null,
      inflightDeadlineAt: null,
      version: 4,
    });
    const earlier = { ...own, inflightGeneration: 5 };
    expect(leaseReleased(earlier, { owner: 'me', generation: 6 }, NOW)).toMatchObject({
      leaseOwner: null,
      inflightFingerprint: 'fp-current',
      inflightGeneration: 5,
    });
    expect(leaseReleased(own, { owner: 'me', generation: 5 }, NOW)).toBeNull();
  });
});

describe('beginCall transition', () => {
  const lease = { owner: 'me', generation: 6 };
  const held = aRecord({ leaseOwner: 'me', leaseExpiresAt: NOW + 1_000, leaseGeneration: 6 });
  const call = { fingerprint: 'fp-current', budget: 300, ttl: 2_000 };

  it('records the call and stretches the lease over it', () => {
    expect(callBegun(held, lease, call, NOW)).toEqual({
      ...held,
      inflightFingerprint: 'fp-current',
      inflightOwner: 'me',
      inflightGeneration: 6,
      inflightStartedAt: NOW,
      inflightDeadlineAt: NOW + 300,
      leaseExpiresAt: NOW + 2_000,
      version: 4,
      updatedAt: NOW,
    });
  });

  it('refuses another token, a lost lease, a status other than active, or a lease shorter than the budget', () => {
    expect(callBegun(held, lease, { ...call, fingerprint: 'fp-old' }, NOW)).toBeNull();
    expect(callBegun(held, { owner: 'me', generation: 5 }, call, NOW)).toBeNull();
    expect(callBegun({ ...held, status: 'reauth_pending' }, lease, call, NOW)).toBeNull();
    expect(callBegun({ ...held, leaseExpiresAt: NOW + 299 }, lease, call, NOW)).toBeNull();
    expect(callBegun({ ...held, leaseExpiresAt: NOW + 300 }, lease, call, NOW)).not.toBeNull();
  });

  it("waits out an earlier holder's call with the same token until its deadline", () => {
    const earlier = {
      ...held,
      inflightFingerprint: 'fp-current',
      inflightOwner: 'old',
      inflightGeneration: 5,
      inflightDeadlineAt: NOW + 1,
    };
    expect(callBegun(earlier, lease, call, NOW)).toBeNull();
    expect(callBegun({ ...earlier, inflightDeadlineAt: NOW }, lease, call, NOW)?.inflightOwner).toBe('me');
    // Its own earlier call (same generation) does not block it; nor does a call with another token.
    expect(callBegun({ ...earlier, inflightGeneration: 6 }, lease, call, NOW)).not.toBeNull();
    expect(callBegun({ ...earlier, inflightFingerprint: 'fp-old' }, lease, call, NOW)).not.toBeNull();
  });
});

describe('recordFailure transition', () => {
  const lease = { owner: 'me', generation: 6 };
  const held = aRecord({
    leaseOwner: 'me',
    leaseExpiresAt: NOW + 1_000,
    leaseGeneration: 6,
    inflightFingerprint: 'fp-current',
    inflightOwner: 'me',
    inflightGeneration: 6,
    inflightStartedAt: NOW - 10,
    inflightDeadlineAt: NOW + 290,
  });
  const failure = { failureCount: 2, nextAttemptAt: new Date(NOW + 60_000), lastErrorCode: 'intuit_unavailable' };

  it('records the failure and gives up the lease and its call record, status untouched (I4)', () => {
    expect(failureRecorded(held, lease, failure, NOW)).toEqual({
      ...held,
      failureCount: 2,
      nextAttemptAt: NOW + 60_000,
      lastErrorCode: 'intuit_unavailable',
      inflightFingerprint: null,
      inflightOwner: null,
      inflightGeneration: null,
      inflightStartedAt: null,
      inflightDeadlineAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      version: 4,
      updatedAt: NOW,
    });
    expect(failureRecorded(held, lease, { ...failure, nextAttemptAt: null }, NOW)?.nextAttemptAt).toBeNull();
  });

  it('only by the holder of an active record', () => {
    expect(failureRecorded(held, { owner: 'me', generation: 5 }, failure, NOW)).toBeNull();
    expect(failureRecorded({ ...held, status: 'reauth_pending' }, lease, failure, NOW)).toBeNull();
  });
});

describe('markNeedsReauth transition', () => {
  const lease = { owner: 'me', generation: 6 };
  const held = aRecord({
    leaseOwner: 'me',
    leaseExpiresAt: NOW + 1_000,
    leaseGeneration: 6,
    inflightFingerprint: 'fp-current',
    inflightGeneration: 6,
  });
  const mark = { fingerprint: 'fp-current', errorCode: 'invalid_grant', pendingUntil: null };

  it('marks needs_reauth now, keeping the refused fingerprint and giving up lease and call record', () => {
    expect(reauthMarked(held, lease, mark, NOW)).toEqual({
      ...held,
      status: 'needs_reauth',
      lastErrorCode: 'invalid_grant',
      lastErrorFingerprint: 'fp-current',
      nextAttemptAt: null,
      inflightFingerprint: null,
      inflightGeneration: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      version: 4,
      updatedAt: NOW,
    });
  });

  it('parks reauth_pending until pendingUntil (as nextRefreshAt), and marks a parked record again', () => {
    const parked = reauthMarked(held, lease, { ...mark, pendingUntil: new Date(NOW + 5_000) }, NOW);
    expect(parked).toMatchObject({ status: 'reauth_pending', nextRefreshAt: NOW + 5_000 });
    expect(reauthMarked({ ...held, status: 'reauth_pending' }, lease, mark, NOW)?.status).toBe('needs_reauth');
  });

  it('only the stored token, only by the lease holder, never a record already needs_reauth or revoked', () => {
    expect(reauthMarked(held, lease, { ...mark, fingerprint: 'fp-old' }, NOW)).toBeNull();
    expect(reauthMarked(held, { owner: 'other', generation: 6 }, mark, NOW)).toBeNull();
    expect(reauthMarked({ ...held, status: 'needs_reauth' }, lease, mark, NOW)).toBeNull();
    expect(reauthMarked({ ...held, status: 'revoked' }, lease, mark, NOW)).toBeNull();
  });
});

describe('compareAndSwapTokens transition', () => {
  const lease = { owner: 'me', generation: 6 };
  const held = aRecord({
    leaseOwner: 'me',
    leaseExpiresAt: NOW + 1_000,
    leaseGeneration: 6,
    inflightFingerprint: 'fp-current',
    inflightGeneration: 6,
    failureCount: 2,
  });
  const result = {
    accessToken: 'access-canary',
    refreshToken: 'refresh-canary',
    accessTokenExpiresAt: new Date(NOW + 3_600_000),
    refreshTokenExpiresAt: new Date(NOW + 86_400_000),
    refreshTokenHardExpiresAt: new Date(NOW + 864_000_000),
    nextRefreshAt: new Date(NOW + 3_000_000),
  };

  it('stores a rotated result, resets failures, ends our lease and call record', () => {
    expect(tokensSwapped(held, 'fp-current', 'fp-new', result, lease, NOW)).toEqual({
      ...held,
      status: 'active',
      refreshTokenFingerprint: 'fp-new',
      accessTokenExpiresAt: NOW + 3_600_000,
      refreshTokenExpiresAt: NOW + 86_400_000,
      refreshTokenHardExpiresAt: NOW + 864_000_000,
      nextRefreshAt: NOW + 3_000_000,
      failureCount: 0,
      lastRefreshedAt: NOW,
      inflightFingerprint: null,
      inflightGeneration: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      version: 4,
      updatedAt: NOW,
    });
  });

  it('rotated: fingerprint fence only; leaves a later holder its lease; revives exactly the refused token', () => {
    const takenOver = { ...held, leaseOwner: 'other', leaseGeneration: 7 };
    expect(tokensSwapped(takenOver, 'fp-current', 'fp-new', result, lease, NOW)).toMatchObject({
      leaseOwner: 'other',
      leaseExpiresAt: NOW + 1_000,
    });
    const refused = { ...held, status: 'needs_reauth' as const, lastErrorFingerprint: 'fp-current' };
    expect(tokensSwapped(refused, 'fp-current', 'fp-new', result, lease, NOW)?.status).toBe('active');
    expect(tokensSwapped({ ...refused, lastErrorFingerprint: 'fp-other' }, 'fp-current', 'fp-new', result, lease, NOW)).toBeNull();
    expect(tokensSwapped({ ...held, status: 'revoked' }, 'fp-current', 'fp-new', result, lease, NOW)).toBeNull();
    expect(tokensSwapped(held, 'fp-old', 'fp-new', result, lease, NOW)).toBeNull();
  });

  it('not rotated: only active and still our generation (a late answer never revives, I9)', () => {
    expect(tokensSwapped(held, 'fp-current', 'fp-current', result, lease, NOW)?.refreshTokenFingerprint).toBe('fp-current');
    expect(tokensSwapped({ ...held, leaseGeneration: 7 }, 'fp-current', 'fp-current', result, lease, NOW)).toBeNull();
    const refused = { ...held, status: 'needs_reauth' as const, lastErrorFingerprint: 'fp-current' };
    expect(tokensSwapped(refused, 'fp-current', 'fp-current', result, lease, NOW)).toBeNull();
  });
});
