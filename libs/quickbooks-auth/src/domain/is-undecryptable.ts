import type { ConnectionRecord, UndecryptableConnection } from './connection.interface';

/** True for a row storage could not decrypt (no tokens on it). */
export function isUndecryptable(c: ConnectionRecord): c is UndecryptableConnection {
  return (c as Partial<UndecryptableConnection>).undecryptable === true;
}
