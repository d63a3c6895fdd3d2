import { QuickBooksAuthError } from './quickbooks-auth.error';

/** Intuit could not be reached or answered with a transient failure; retry later. The connection is intact. */
export class QuickBooksUnavailableError extends QuickBooksAuthError {
  constructor(
    reason: string,
    /** When a retry makes sense, if Intuit said (Retry-After) or the breaker knows. */
    public readonly retryAfterMs: number | null = null,
    public readonly intuitTid: string | null = null,
  ) {
    super(`QuickBooks is unavailable: ${reason}`, 'quickbooks_unavailable');
  }
}
