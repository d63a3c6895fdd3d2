import type { QuickBooksApiBusyReason } from '../errors/quickbooks-api-busy.error';

/** Why a queued caller left without a permit. */
export type GovernorRejection = QuickBooksApiBusyReason | 'aborted';

/** What a throttled answer led to: sent again after the back-off, or handed to the caller. */
export type ThrottleOutcome = 'retried' | 'returned';

/** Hooks the governor reports through (the metrics service implements them). No realm ids pass here. */
export interface GovernorObserver {
  /** A caller joined (+1) or left (-1) a realm queue. */
  queueDepthChanged(delta: number): void;
  /** A caller got its permit after waiting `waitMs` (0 when it did not queue). */
  granted(waitMs: number): void;
  /** A caller was turned away. */
  rejected(reason: GovernorRejection, waitMs: number): void;
  /** Intuit answered 429 / ThrottleExceeded. */
  throttled(outcome: ThrottleOutcome): void;
}

/** An observer that records nothing. */
export const NO_GOVERNOR_OBSERVER: GovernorObserver = {
  queueDepthChanged: () => undefined,
  granted: () => undefined,
  rejected: () => undefined,
  throttled: () => undefined,
};
