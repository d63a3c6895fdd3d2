import { QuickBooksAuthError } from './quickbooks-auth.error';

/** A stored ciphertext failed to decrypt: tampered, truncated, moved to another row/field, or its key is gone (I6, I8). */
export class DecryptionError extends QuickBooksAuthError {
  constructor(reason: string) {
    super(`Stored token could not be decrypted: ${reason}`, 'decryption_failed');
  }
}
