import { QuickBooksAuthError } from './quickbooks-auth.error';

/**
 * A reconnect flow for one QuickBooks company came back with another one (the customer picked a
 * different company at Intuit). Refused before the code is exchanged: nothing was issued to this
 * app for the other company, nothing was stored, and the existing connection is unchanged.
 */
export class ReconnectRealmMismatchError extends QuickBooksAuthError {
  constructor(
    readonly tenantId: string,
    /** The company the reconnect was for. */
    readonly expectedRealmId: string,
    /** The company Intuit's callback named. */
    readonly receivedRealmId: string,
  ) {
    super(
      `Reconnect was for QuickBooks company ${expectedRealmId}, but the customer authorized company ${receivedRealmId}: nothing was stored`,
      'reconnect_realm_mismatch',
    );
  }
}
