import { QuickBooksAuthError } from './quickbooks-auth.error';

/** The customer declined at Intuit's consent page (or Intuit reported an authorize error). Nothing was stored. */
export class AuthorizationDeniedError extends QuickBooksAuthError {
  constructor(
    public readonly oauthError: string,
    public readonly tenantId: string,
  ) {
    super(`QuickBooks authorization was not granted: ${oauthError}`, 'authorization_denied');
  }
}
