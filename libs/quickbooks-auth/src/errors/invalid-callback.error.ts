import { QuickBooksAuthError } from './quickbooks-auth.error';

/** The OAuth callback's parameters are missing or malformed (I8). Nothing was stored. */
export class InvalidCallbackError extends QuickBooksAuthError {
  constructor(reason: string, code = 'invalid_callback') {
    super(`Invalid QuickBooks callback: ${reason}`, code);
  }
}
