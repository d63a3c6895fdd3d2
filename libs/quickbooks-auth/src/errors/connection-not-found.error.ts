import { QuickBooksAuthError } from './quickbooks-auth.error';

/** No connection for this tenant and realm (also what another tenant's connection looks like: I7). */
export class ConnectionNotFoundError extends QuickBooksAuthError {
  constructor(
    public readonly tenantId: string,
    public readonly realmId: string,
  ) {
    super(`No QuickBooks connection for tenant ${tenantId}, realm ${realmId}`, 'connection_not_found');
  }
}
