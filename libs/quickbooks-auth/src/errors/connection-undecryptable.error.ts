import { DecryptionError } from './decryption.error';

/**
 * This connection's stored tokens cannot be decrypted: its key was removed from the key ring, or
 * the row was altered. Only this connection is affected (I8). Not retryable as is: reconnect it
 * (the callback overwrites the row), disconnect it, or put the key back. Hosts map it to 409
 * Conflict, like ReauthorizationRequiredError. A DecryptionError, so existing handlers still match.
 */
export class ConnectionUndecryptableError extends DecryptionError {
  constructor(
    public readonly tenantId: string,
    public readonly realmId: string,
    reason: string,
  ) {
    super(`connection for tenant ${tenantId}, realm ${realmId} (${reason}): reconnect it, or restore its key`, 'connection_undecryptable');
  }
}
