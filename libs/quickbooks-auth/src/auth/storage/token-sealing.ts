import type { TokenCipher, TokenField } from '../../utils/crypto/token-cipher';
import type { ConnectionRef } from '../../domain/connection.interface';

/** The two encrypted fields of a connection, as every backend names them in the AAD (I6). */
export const ACCESS_TOKEN_FIELD: TokenField = 'access_token';
export const REFRESH_TOKEN_FIELD: TokenField = 'refresh_token';

/** Encrypts one token bound to its tenant, realm and field, so a copied ciphertext fails to decrypt. */
export function sealToken(cipher: TokenCipher, ref: ConnectionRef, field: TokenField, plaintext: string): string {
  return cipher.encrypt(plaintext, { tenantId: ref.tenantId, realmId: ref.realmId, field });
}

/** Decrypts one token; throws DecryptionError (no token text) when tampered, moved or its key is gone. */
export function openToken(cipher: TokenCipher, ref: ConnectionRef, field: TokenField, sealed: string): string {
  return cipher.decrypt(sealed, { tenantId: ref.tenantId, realmId: ref.realmId, field });
}
