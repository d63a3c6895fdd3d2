import { QuickBooksUnavailableError } from './quickbooks-unavailable.error';

/**
 * The app is shutting down: refreshes in flight are being drained and no new one starts here.
 * Retryable (another replica, or this one after its restart, will refresh); the connection is intact.
 */
export class RefreshShutdownError extends QuickBooksUnavailableError {
  constructor() {
    super('this process is shutting down; retry on another replica', 1000);
  }
}
