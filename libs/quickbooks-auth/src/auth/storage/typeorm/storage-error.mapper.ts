import { QuickBooksAuthError } from '../../../errors/quickbooks-auth.error';
import { StorageError } from '../../../errors/storage.error';

/** The driver's error code (ER_DUP_ENTRY, a PostgreSQL SQLSTATE such as 23505, SQLITE_BUSY, ECONNREFUSED...), if any. */
export function driverErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

/** SQLSTATEs of a PostgreSQL server that is gone or refusing: connection failures (08xxx), shutting down or starting up (57P01-57P03). */
const POSTGRES_UNREACHABLE = new Set(['08000', '08001', '08003', '08006', '57P01', '57P02', '57P03']);

/**
 * Turns a driver/TypeORM failure into a StorageError. Only the operation, the driver's error code
 * and a hint go into the message: driver messages and QueryFailedError parameters can echo
 * stored values, so they are dropped (I5). Module errors (DecryptionError...) pass through.
 */
export function toStorageError(err: unknown, kind: string, operation: string): Error {
  if (err instanceof QuickBooksAuthError) return err;
  const code = driverErrorCode(err);
  const text = err instanceof Error ? err.message : '';
  let hint = '';
  // 42P01 undefined_table (PostgreSQL).
  if (code === 'ER_NO_SUCH_TABLE' || code === '42P01' || /no such table/i.test(text)) {
    hint = ': table quickbooks_connections is missing, run the QuickBooks auth migrations (npx quickbooks-auth migrate)';
  } else if (err instanceof Error && err.name === 'EntityMetadataNotFoundError') {
    hint = ': QuickBooksConnectionEntity is not registered, add QUICKBOOKS_AUTH_ENTITIES to the DataSource entities';
  } else if (
    code === 'ECONNREFUSED' ||
    code === 'ETIMEDOUT' ||
    code === 'PROTOCOL_CONNECTION_LOST' ||
    POSTGRES_UNREACHABLE.has(code ?? '')
  ) {
    hint = ': the database is unreachable';
  } else if (code === 'SQLITE_BUSY') {
    hint = ': the SQLite file is locked by another process';
  }
  return new StorageError(`Token storage (${kind}) failed to ${operation}${code ? ` [${code}]` : ''}${hint}`, 'storage_unavailable');
}
