import { DecryptionError } from '../../errors/decryption.error';

/**
 * Opens a pending revocation's sealed token, or null when it cannot be decrypted (key removed,
 * altered): the revocation is still handed out, so the caller can drop it and log, instead of it
 * blocking the rest of a batch (I8).
 */
export function openOrNull(open: () => string): string | null {
  try {
    return open();
  } catch (err) {
    if (err instanceof DecryptionError) return null;
    throw err;
  }
}
