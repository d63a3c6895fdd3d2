import type { ValueTransformer } from 'typeorm';
import { StorageError } from '../../../errors/storage.error';
import { SealedToken } from './sealed-token';

/**
 * Guard for the encrypted token columns. It does not encrypt: the AAD of every ciphertext binds
 * tenant, realm and field (I6), and a transformer only ever sees one column value, never the row.
 * So TypeOrmTokenStorage encrypts, and this transformer makes sure only its output reaches the
 * column: `to()` accepts a well-formed SealedToken (or null) and throws for anything else, notably
 * a plain string; `from()` hands back a SealedToken for the storage class to decrypt.
 */
export const sealedTokenTransformer: ValueTransformer = {
  to(value: unknown): string | null | undefined {
    if (value === null || value === undefined) return value;
    if (value instanceof SealedToken && value.wellFormed) return value.value;
    // No value in the message: it may be the very token we refuse to store (I5).
    throw new StorageError('Refusing to write an unencrypted value to a token column (expected a SealedToken)', 'unsealed_token_write');
  },
  from(value: unknown): SealedToken | null {
    if (value === null || value === undefined) return null;
    return new SealedToken(Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
  },
};
