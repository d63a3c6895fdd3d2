import { QuickBooksAuthError } from './quickbooks-auth.error';

/** A stored ciphertext failed to decrypt: tampered, truncated, moved to another row/field, or its key is gone (I6, I8). */
export class DecryptionError extends QuickBooksAuthError {
  constructor(
    /** What failed (format, key id, authentication, which layer): never a value. */
    public readonly reason: string,
    code = 'decryption_failed',
  ) {
    super(`Stored token could not be decrypted: ${reason}`, code);
  }
}
