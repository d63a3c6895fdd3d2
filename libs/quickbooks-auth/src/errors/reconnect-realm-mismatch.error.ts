import { QuickBooksAuthError } from './quickbooks-auth.error';

/**
 * A reconnect flow for one QuickBooks company came back with another one (the customer picked a
 * different company at Intuit). Nothing was stored: the existing connection is unchanged, and the
 * tokens Intuit issued for the other company were revoked (`revokedAtIntuit`).
 */
export class ReconnectRealmMismatchError extends QuickBooksAuthError {
  constructor(
    readonly tenantId: string,
    /** The company the reconnect was for. */
    readonly expectedRealmId: string,
    /** The company Intuit's callback named. */
    readonly receivedRealmId: string,
    readonly revokedAtIntuit: boolean,
  ) {
    super(`Reconnect was for QuickBooks company ${expectedRealmId}, but the customer authorized company ${receivedRealmId}: nothing was stored`, 'reconnect_realm_mismatch');
  }
}
