import { ConnectionNotFoundError } from '../errors/connection-not-found.error';
import { connectionRefProblem } from '../domain/connection-ref';
import type { ConnectionRef } from '../domain/connection.interface';

/** Bad refs from callers are typed errors, never a query with undefined (I8); the rules are the domain's. */
export function assertConnectionRef(ref: ConnectionRef): void {
  if (connectionRefProblem(ref) !== undefined) throw new ConnectionNotFoundError(String(ref?.tenantId ?? ''), String(ref?.realmId ?? ''));
}
