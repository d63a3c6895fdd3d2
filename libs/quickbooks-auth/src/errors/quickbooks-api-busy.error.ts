import { QuickBooksAuthError } from './quickbooks-auth.error';

/**
 * Why the API governor did not let a call start:
 * - queue_timeout: it waited its realm's queue for the whole `queueTimeoutMs` (or its own deadline).
 * - queue_full: its realm already had `maxQueuedPerRealm` callers waiting.
 */
export type QuickBooksApiBusyReason = 'queue_timeout' | 'queue_full';

/**
 * The API governor held this call back: its realm is at Intuit's limits (10 in flight, 500 per
 * minute) or backing off after a 429, and the call's turn did not come in time. Nothing was sent
 * to Intuit, so the call is always safe to retry, after `retryAfterMs` when given.
 * @publicApi
 */
export class QuickBooksApiBusyError extends QuickBooksAuthError {
  /** Always true: nothing reached Intuit. */
  readonly retryable = true;

  constructor(
    /** Queue timeout or full queue. */
    public readonly reason: QuickBooksApiBusyReason,
    /** When the realm's queue is expected to have room again, if known (ms from now). */
    public readonly retryAfterMs: number | null = null,
  ) {
    super(
      reason === 'queue_full'
        ? 'QuickBooks API calls for this company are queued to the limit; try again later'
        : "QuickBooks API call waited too long for its turn at this company's rate limit; try again later",
      'quickbooks_api_busy',
    );
  }
}
