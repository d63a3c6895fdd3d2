import { QuickBooksAuthError } from '../../../errors/quickbooks-auth.error';
import { StorageError } from '../../../errors/storage.error';

/**
 * Wraps a Redis/ioredis failure in a StorageError. Only the error code or the first line of the
 * server's message is kept: ioredis errors carry the command arguments (ciphertexts, ids), which
 * must not travel into logs (I5), so the original error is not attached as `cause`.
 */
export function toStorageError(operation: string, err: unknown): Error {
  if (err instanceof QuickBooksAuthError) return err;
  const e = err as { code?: unknown; message?: unknown; name?: unknown };
  const detail =
    typeof e?.code === 'string' && /^[A-Z_]+$/.test(e.code)
      ? e.code
      : typeof e?.message === 'string'
        ? e.message
            .split('\n')[0]
            .replace(/script: \w+/i, 'script')
            .slice(0, 120)
        : String(e?.name ?? 'unknown error');
  return new StorageError(`Redis ${operation} failed: ${detail}`, 'storage_unavailable');
}
