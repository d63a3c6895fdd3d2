import { QuickBooksAuthError } from './quickbooks-auth.error';

/** The OAuth callback's state is missing, forged, expired, replayed or bound to someone else. Nothing was stored. */
export class InvalidStateError extends QuickBooksAuthError {
  constructor(reason: string) {
    super(`Invalid OAuth state: ${reason}`, 'invalid_state');
  }
}
