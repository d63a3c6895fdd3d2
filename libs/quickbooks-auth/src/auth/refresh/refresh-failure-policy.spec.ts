import { IntuitCallFailure, type IntuitFailureKind } from '../../intuit/intuit-call-failure';
import {
  asCallFailure,
  decidePending,
  decideRefreshFailure,
  EARLIER_CALL_UNRESOLVED,
  inDoubtRetryDelayMs,
  isInDoubt,
  MAX_RETRY_AFTER_MS,
  retriesInDoubtAtOnce,
  withJitter,
  type RefreshFailureInput,
} from './refresh-failure-policy';

const NOW = 1_700_000_000_000;
const PENDING_MS = 120_000;
/** A fixed random, and how many times it was drawn. */
const fixed = (value: number) => {
  const random = jest.fn(() => value);
  return random;
};
const failure = (kind: IntuitFailureKind, retryAfterMs: number | null = null, oauthError: string | null = null) =>
  new IntuitCallFailure(kind, 400, 'tid-1', retryAfterMs, oauthError);

function decide(over: Partial<RefreshFailureInput> & Pick<RefreshFailureInput, 'failure'>) {
  return decideRefreshFailure({
    stored: { failureCount: 0, lastErrorCode: null },
    priorCallSeen: false,
    inDoubtRetried: false,
    now: NOW,
    reauthPendingMs: PENDING_MS,
    random: fixed(0.5),
    ...over,
  });
}

describe('refresh failure policy', () => {
  describe('in doubt', () => {
    it.each(['network_in_doubt', 'bad_response', 'server_error'])('%s may have reached Intuit', (kind) => {
      expect(isInDoubt(kind)).toBe(true);
    });

    it.each([
      'invalid_grant',
      'invalid_client',
      'rate_limited',
      'network_before_send',
      'oauth_error',
      'circuit_open',
      EARLIER_CALL_UNRESOLVED,
    ])('%s did not leave a call in doubt', (kind) => {
      expect(isInDoubt(kind)).toBe(false);
    });

    it('no stored code is not in doubt', () => {
      expect(isInDoubt(null)).toBe(false);
      expect(isInDoubt(undefined)).toBe(false);
    });

    it('an in-doubt failure is retried once at once, not twice, not while stopping', () => {
      const lost = failure('network_in_doubt');
      expect(retriesInDoubtAtOnce(lost, false, false)).toBe(true);
      expect(retriesInDoubtAtOnce(failure('bad_response'), false, false)).toBe(true);
      expect(retriesInDoubtAtOnce(failure('server_error'), false, false)).toBe(true);
      expect(retriesInDoubtAtOnce(lost, true, false)).toBe(false);
      expect(retriesInDoubtAtOnce(lost, false, true)).toBe(false);
    });

    it('a definite failure, or an unclassified error, is not retried at once', () => {
      expect(retriesInDoubtAtOnce(failure('network_before_send'), false, false)).toBe(false);
      expect(retriesInDoubtAtOnce(failure('invalid_grant'), false, false)).toBe(false);
      expect(retriesInDoubtAtOnce(new Error('socket hang up'), false, false)).toBe(false);
    });

    it('the pause before that retry is 200 to 500 ms', () => {
      expect(inDoubtRetryDelayMs(() => 0)).toBe(200);
      expect(inDoubtRetryDelayMs(() => 0.5)).toBe(350);
      expect(inDoubtRetryDelayMs(() => 0.999)).toBeCloseTo(499.7);
    });
  });

  describe('asCallFailure', () => {
    it('keeps a classified failure as is', () => {
      const f = failure('rate_limited', 1_000);
      expect(asCallFailure(f)).toBe(f);
    });

    it('treats anything else as in doubt, with nothing from Intuit', () => {
      const f = asCallFailure(new TypeError('boom'));
      expect(f).toBeInstanceOf(IntuitCallFailure);
      expect(f).toMatchObject({ kind: 'network_in_doubt', httpStatus: null, intuitTid: null, retryAfterMs: null, oauthError: null });
      expect(asCallFailure(undefined).kind).toBe('network_in_doubt');
    });
  });

  it('withJitter adds 0 to 10 %, rounded', () => {
    expect(withJitter(10_000, () => 0)).toBe(10_000);
    expect(withJitter(10_000, () => 0.5)).toBe(10_500);
    expect(withJitter(10_000, () => 1)).toBe(11_000);
    expect(withJitter(333, () => 0.5)).toBe(350); // 349.65
  });

  describe('invalid_grant', () => {
    it('a plain refusal: needs_reauth now, reason invalid_grant', () => {
      expect(decide({ failure: failure('invalid_grant') })).toEqual({ kind: 'refused', reason: 'invalid_grant', pendingUntil: null });
    });

    it('after our own in-doubt retry: the rotation was lost, marked at once (no earlier holder)', () => {
      expect(decide({ failure: failure('invalid_grant'), inDoubtRetried: true })).toEqual({
        kind: 'refused',
        reason: 'rotation_response_lost',
        pendingUntil: null,
      });
    });

    it.each(['network_in_doubt', 'bad_response', 'server_error'])(
      'after a stored in-doubt failure (%s): rotation lost, not parked',
      (code) => {
        expect(decide({ failure: failure('invalid_grant'), stored: { failureCount: 3, lastErrorCode: code } })).toEqual({
          kind: 'refused',
          reason: 'rotation_response_lost',
          pendingUntil: null,
        });
      },
    );

    it('a stored definite failure does not change the reason', () => {
      const decision = decide({ failure: failure('invalid_grant'), stored: { failureCount: 2, lastErrorCode: 'rate_limited' } });
      expect(decision).toEqual({ kind: 'refused', reason: 'invalid_grant', pendingUntil: null });
    });

    it('an earlier holder call seen unresolved: parked as reauth_pending for reauthPendingMs (I9)', () => {
      expect(decide({ failure: failure('invalid_grant'), priorCallSeen: true })).toEqual({
        kind: 'refused',
        reason: 'rotation_response_lost',
        pendingUntil: new Date(NOW + PENDING_MS),
      });
    });

    it('the same evidence kept in the row parks too', () => {
      const decision = decide({ failure: failure('invalid_grant'), stored: { failureCount: 1, lastErrorCode: EARLIER_CALL_UNRESOLVED } });
      expect(decision).toEqual({ kind: 'refused', reason: 'rotation_response_lost', pendingUntil: new Date(NOW + PENDING_MS) });
    });

    it('draws no random', () => {
      const random = fixed(0.5);
      decide({ failure: failure('invalid_grant'), random });
      expect(random).not.toHaveBeenCalled();
    });
  });

  describe('transient: count, delay, next attempt', () => {
    it('rate_limited honours Retry-After plus jitter and is not counted', () => {
      expect(decide({ failure: failure('rate_limited', 10_000), stored: { failureCount: 4, lastErrorCode: null } })).toEqual({
        kind: 'retry_later',
        failureCount: 4,
        retryAfterMs: 10_500,
        nextAttemptAt: new Date(NOW + 10_500),
        reason: 'rate_limited',
        lastErrorCode: 'rate_limited',
      });
    });

    it('rate_limited without Retry-After waits 30 s (plus jitter)', () => {
      expect(decide({ failure: failure('rate_limited'), random: fixed(0) })).toMatchObject({ retryAfterMs: 30_000, failureCount: 0 });
    });

    it('rate_limited caps a huge Retry-After at one hour (before jitter)', () => {
      const decision = decide({ failure: failure('rate_limited', 7 * 86_400_000), random: fixed(1) });
      expect(decision).toMatchObject({ retryAfterMs: Math.round(MAX_RETRY_AFTER_MS * 1.1) });
    });

    it('circuit_open honours the breaker wait (uncapped) plus jitter and is not counted', () => {
      expect(decide({ failure: failure('circuit_open', 5_000_000), stored: { failureCount: 2, lastErrorCode: null } })).toMatchObject({
        failureCount: 2,
        retryAfterMs: 5_250_000,
        reason: 'circuit_open',
      });
      expect(decide({ failure: failure('circuit_open'), random: fixed(0) })).toMatchObject({ retryAfterMs: 30_000 });
    });

    it.each(['network_in_doubt', 'bad_response'] as const)('%s: counted, full jitter from 1 s, capped at 60 s', (kind) => {
      expect(decide({ failure: failure(kind) })).toMatchObject({ failureCount: 1, retryAfterMs: 500, reason: kind, lastErrorCode: kind });
      expect(decide({ failure: failure(kind), stored: { failureCount: 2, lastErrorCode: null } })).toMatchObject({
        failureCount: 3,
        retryAfterMs: 2_000, // 0.5 × 1 s × 2²
      });
      expect(decide({ failure: failure(kind), stored: { failureCount: 30, lastErrorCode: null }, random: fixed(1) })).toMatchObject({
        retryAfterMs: 60_000,
      });
    });

    it.each(['invalid_client', 'oauth_error'] as const)('%s: counted, full jitter from 60 s, capped at one hour', (kind) => {
      expect(decide({ failure: failure(kind) })).toMatchObject({ failureCount: 1, retryAfterMs: 30_000 });
      expect(decide({ failure: failure(kind), stored: { failureCount: 30, lastErrorCode: null }, random: fixed(1) })).toMatchObject({
        retryAfterMs: 3_600_000,
      });
    });

    it('an OAuth error code Intuit sent is the reason and the stored code', () => {
      expect(decide({ failure: failure('oauth_error', null, 'invalid_request') })).toMatchObject({
        reason: 'invalid_request',
        lastErrorCode: 'invalid_request',
      });
      expect(decide({ failure: failure('invalid_client', null, 'invalid_client') })).toMatchObject({ reason: 'invalid_client' });
    });

    it('server_error keeps its in-doubt kind even when Intuit sent an OAuth code', () => {
      expect(decide({ failure: failure('server_error', null, 'temporarily_unavailable') })).toMatchObject({
        reason: 'server_error',
        lastErrorCode: 'server_error',
      });
    });

    it.each(['server_error', 'network_before_send'] as const)(
      '%s: counted, full jitter from 5 s capped at 15 min, or Retry-After if longer',
      (kind) => {
        expect(decide({ failure: failure(kind) })).toMatchObject({ failureCount: 1, retryAfterMs: 2_500 });
        expect(decide({ failure: failure(kind, 10_000) })).toMatchObject({ retryAfterMs: 10_000 });
        expect(decide({ failure: failure(kind, 1_000) })).toMatchObject({ retryAfterMs: 2_500 });
        expect(decide({ failure: failure(kind), stored: { failureCount: 40, lastErrorCode: null }, random: fixed(1) })).toMatchObject({
          retryAfterMs: 15 * 60_000,
        });
      },
    );

    it('the next attempt is now + the delay, one random draw', () => {
      const random = fixed(0.25);
      const decision = decide({ failure: failure('server_error'), random, now: 1_000 });
      expect(decision).toMatchObject({ retryAfterMs: 1_250, nextAttemptAt: new Date(2_250) });
      expect(random).toHaveBeenCalledTimes(1);
    });
  });

  describe('the stored code (evidence for the next attempt)', () => {
    it('an earlier unresolved call, seen now, is recorded whatever this failure was', () => {
      expect(decide({ failure: failure('rate_limited', 1_000), priorCallSeen: true })).toMatchObject({
        reason: 'rate_limited',
        lastErrorCode: EARLIER_CALL_UNRESOLVED,
      });
      expect(decide({ failure: failure('network_in_doubt'), priorCallSeen: true })).toMatchObject({
        lastErrorCode: EARLIER_CALL_UNRESOLVED,
      });
    });

    it('the same evidence already in the row is kept', () => {
      expect(
        decide({ failure: failure('circuit_open'), stored: { failureCount: 1, lastErrorCode: EARLIER_CALL_UNRESOLVED } }),
      ).toMatchObject({
        reason: 'circuit_open',
        lastErrorCode: EARLIER_CALL_UNRESOLVED,
      });
    });

    it('a definite failure never erases a stored in-doubt code', () => {
      expect(
        decide({ failure: failure('rate_limited', 1_000), stored: { failureCount: 1, lastErrorCode: 'network_in_doubt' } }),
      ).toMatchObject({
        reason: 'rate_limited',
        lastErrorCode: 'network_in_doubt',
      });
      expect(decide({ failure: failure('network_before_send'), stored: { failureCount: 1, lastErrorCode: 'server_error' } })).toMatchObject(
        {
          lastErrorCode: 'server_error',
        },
      );
    });

    it('a new in-doubt failure replaces a stored in-doubt code', () => {
      expect(decide({ failure: failure('server_error'), stored: { failureCount: 1, lastErrorCode: 'bad_response' } })).toMatchObject({
        lastErrorCode: 'server_error',
      });
    });

    it('a definite failure replaces a stored definite code', () => {
      expect(decide({ failure: failure('network_before_send'), stored: { failureCount: 1, lastErrorCode: 'rate_limited' } })).toMatchObject(
        {
          lastErrorCode: 'network_before_send',
        },
      );
    });
  });

  describe('a parked (reauth_pending) connection', () => {
    it('inside its wait: keep waiting for what is left', () => {
      expect(decidePending({ nextRefreshAt: new Date(NOW + 5_000), lastErrorCode: 'rotation_response_lost' }, NOW)).toEqual({
        kind: 'wait',
        waitMs: 5_000,
      });
    });

    it('at or past the end of its wait: needs_reauth with the stored reason', () => {
      expect(decidePending({ nextRefreshAt: new Date(NOW), lastErrorCode: 'rotation_response_lost' }, NOW)).toEqual({
        kind: 'needs_reauth',
        reason: 'rotation_response_lost',
      });
      expect(decidePending({ nextRefreshAt: new Date(NOW - 1), lastErrorCode: null }, NOW)).toEqual({
        kind: 'needs_reauth',
        reason: 'invalid_grant',
      });
    });
  });
});
