import { QuickBooksAuthError } from './quickbooks-auth.error';

/** Intuit no longer accepts this connection's refresh token: the customer must connect again. */
export class ReauthorizationRequiredError extends QuickBooksAuthError {
  constructor(
    public readonly tenantId: string,
    public readonly realmId: string,
    /** Where to send the customer to reconnect (the host's connect route), when configured. */
    public readonly reconnectUrl: string | null,
    public readonly reason: string = 'invalid_grant',
  ) {
    super(
      `QuickBooks connection for tenant ${tenantId}, realm ${realmId} must be reconnected (${reason})` +
        (reconnectUrl ? `: ${reconnectUrl}` : ''),
      'reauthorization_required',
    );
  }
}
