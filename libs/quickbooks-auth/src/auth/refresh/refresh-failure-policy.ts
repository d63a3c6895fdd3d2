import type { StoredConnection } from '../../domain/connection.interface';
import { IntuitCallFailure } from '../../intuit/intuit-call-failure';
import { fullJitterBackoffMs } from './refresh-schedule';

/**
 * What a refresh does after its token call failed, decided from the failure and the stored row
 * alone: pure functions, clock and random passed in. TokenRefresher does the I/O (protocol v2,
 * docs/reliability.md; I4, I9).
 */

/** A Retry-After longer than this is treated as this (a broken header must not park a connection for days). */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** Used when Intuit (or our open breaker) said to wait but not for how long. */
const DEFAULT_RETRY_AFTER_MS = 30_000;

/** Failures after which the request may have reached Intuit, so the token may have been rotated. */
const IN_DOUBT_KINDS: ReadonlySet<string> = new Set(['network_in_doubt', 'bad_response', 'server_error']);

/**
 * lastErrorCode kept while an earlier holder's call with the stored token may still commit a
 * rotation: a later definite failure (429, open breaker) must not erase that evidence, or the next
 * invalid_grant would not be parked (I9).
 */
export const EARLIER_CALL_UNRESOLVED = 'earlier_call_unresolved';

/** Did this failure (kind, or a stored lastErrorCode) leave the call in doubt: may Intuit have rotated? */
export function isInDoubt(kindOrCode: string | null | undefined): boolean {
  return IN_DOUBT_KINDS.has(kindOrCode ?? '');
}

/**
 * A lost answer may hide a rotation: the same token is tried once more at once (Intuit may still
 * accept it), unless it was already retried or the process is stopping.
 */
export function retriesInDoubtAtOnce(err: unknown, alreadyRetried: boolean, shuttingDown: boolean): boolean {
  return !alreadyRetried && !shuttingDown && err instanceof IntuitCallFailure && isInDoubt(err.kind);
}

/** The short pause before that one immediate retry: 200 to 500 ms. */
export function inDoubtRetryDelayMs(random: () => number): number {
  return 200 + random() * 300;
}

/** Anything thrown that is not a classified Intuit failure counts as in doubt (it may have been sent). */
export function asCallFailure(err: unknown): IntuitCallFailure {
  return err instanceof IntuitCallFailure ? err : new IntuitCallFailure('network_in_doubt', null, null);
}

/** Adds up to 10 % so connections told the same Retry-After do not come back in one burst. */
export function withJitter(ms: number, random: () => number): number {
  return Math.round(ms * (1 + random() * 0.1));
}

export interface RefreshFailureInput {
  failure: IntuitCallFailure;
  /** The row as this holder leased it. */
  stored: Pick<StoredConnection, 'failureCount' | 'lastErrorCode'>;
  /** An earlier holder's call with this token was seen unresolved when our lease was taken. */
  priorCallSeen: boolean;
  /** This attempt already retried the same token after a lost answer. */
  inDoubtRetried: boolean;
  /** Clock ms (options.clock). */
  now: number;
  /** How long an invalid_grant is parked as reauth_pending while an earlier call may still commit. */
  reauthPendingMs: number;
  random: () => number;
}

export type RefreshFailureDecision =
  /**
   * Intuit refused the token: mark needs_reauth (fenced, I4), or park as reauth_pending until
   * `pendingUntil` when an earlier call with it may still store its rotation (I9).
   */
  | { kind: 'refused'; reason: 'invalid_grant' | 'rotation_response_lost'; pendingUntil: Date | null }
  /** The connection is intact: record the failure and try again at `nextAttemptAt`. */
  | {
      kind: 'retry_later';
      failureCount: number;
      retryAfterMs: number;
      nextAttemptAt: Date;
      /** The code reported in the refreshFailed event. */
      reason: string;
      /** The code stored as lastErrorCode: the evidence the next attempt reads. */
      lastErrorCode: string;
    };

export function decideRefreshFailure(input: RefreshFailureInput): RefreshFailureDecision {
  const { failure, stored, now } = input;
  // An earlier holder's call with this token may still commit: seen now, or kept in the row.
  const earlierUnresolved = input.priorCallSeen || stored.lastErrorCode === EARLIER_CALL_UNRESOLVED;
  if (failure.kind === 'invalid_grant') {
    // A refusal that follows a lost answer or an interrupted earlier call: that call's rotation
    // was lost (an Intuit-side loss), not a customer revoking access.
    const lostRotation = input.inDoubtRetried || earlierUnresolved || isInDoubt(stored.lastErrorCode);
    return {
      kind: 'refused',
      reason: lostRotation ? 'rotation_response_lost' : 'invalid_grant',
      // The earlier call may still store its rotation: park, with no customer-facing event.
      pendingUntil: earlierUnresolved ? new Date(now + input.reauthPendingMs) : null,
    };
  }
  // 429 is Intuit pacing us and circuit_open was never sent: neither is a failure of the connection.
  const counted = failure.kind !== 'rate_limited' && failure.kind !== 'circuit_open';
  const failureCount = stored.failureCount + (counted ? 1 : 0);
  const retryAfterMs = retryDelayMs(failure, failureCount, input.random);
  // An in-doubt kind is kept as is (server_error included), so a later invalid_grant is attributed.
  const reason = failure.oauthError && failure.kind !== 'server_error' ? failure.oauthError : failure.kind;
  return {
    kind: 'retry_later',
    failureCount,
    retryAfterMs,
    nextAttemptAt: new Date(now + retryAfterMs),
    reason,
    lastErrorCode: evidenceToStore(reason, stored.lastErrorCode, earlierUnresolved),
  };
}

/**
 * How long until the next try after a transient failure. Retry-After is honoured (plus a little
 * jitter so a fleet does not return at once); otherwise full-jitter backoff on the persisted count.
 */
export function retryDelayMs(failure: IntuitCallFailure, failureCount: number, random: () => number): number {
  switch (failure.kind) {
    case 'rate_limited':
      return withJitter(Math.min(failure.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS), random);
    case 'circuit_open':
      return withJitter(failure.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS, random);
    case 'network_in_doubt':
    case 'bad_response':
      return Math.min(fullJitterBackoffMs(failureCount, 1_000, 60_000, random), 60_000);
    case 'invalid_client':
    case 'oauth_error':
      return fullJitterBackoffMs(failureCount, 60_000, 3_600_000, random);
    default:
      return Math.max(failure.retryAfterMs ?? 0, fullJitterBackoffMs(failureCount, undefined, undefined, random));
  }
}

/**
 * The stored code is also the evidence the next attempt reads: a definite failure (429, open
 * breaker, refused before sending) never erases an earlier unresolved or in-doubt call.
 */
function evidenceToStore(code: string, storedCode: string | null, earlierUnresolved: boolean): string {
  if (earlierUnresolved) return EARLIER_CALL_UNRESOLVED;
  if (!isInDoubt(code) && isInDoubt(storedCode)) return storedCode!;
  return code;
}

export type PendingDecision =
  /** Still inside its wait: leave it parked. */
  | { kind: 'wait'; waitMs: number }
  /** Nothing revived it within the wait: no rotation for that token will be stored; mark needs_reauth. */
  | { kind: 'needs_reauth'; reason: string };

/** A reauth_pending connection whose lease we hold (I9): keep waiting, or reconcile it now. */
export function decidePending(stored: Pick<StoredConnection, 'nextRefreshAt' | 'lastErrorCode'>, now: number): PendingDecision {
  const waitMs = stored.nextRefreshAt.getTime() - now;
  if (waitMs > 0) return { kind: 'wait', waitMs };
  return { kind: 'needs_reauth', reason: stored.lastErrorCode ?? 'invalid_grant' };
}
