import { ConnectionNotFoundError } from '../errors/connection-not-found.error';
import type { ConnectionRef } from './connection.interface';

const REALM_ID = /^[0-9]{1,32}$/;

/** Bad refs are typed errors, never a query with undefined (I8). */
export function assertConnectionRef(ref: ConnectionRef): void {
  const tenantOk = typeof ref?.tenantId === 'string' && ref.tenantId.length > 0 && ref.tenantId.length <= 128;
  const realmOk = typeof ref?.realmId === 'string' && REALM_ID.test(ref.realmId);
  if (!tenantOk || !realmOk) throw new ConnectionNotFoundError(String(ref?.tenantId ?? ''), String(ref?.realmId ?? ''));
}

export function isValidRealmId(value: unknown): value is string {
  return typeof value === 'string' && REALM_ID.test(value);
}
