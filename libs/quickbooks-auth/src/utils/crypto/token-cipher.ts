import { createCipheriv, createDecipheriv } from 'node:crypto';
import { DecryptionError } from '../../errors/decryption.error';
import type { KeyRing } from './key-ring';
import { IV_BYTES, randomIv } from './random-iv';

/** Which secret a ciphertext holds; part of the AAD so a value moved to another field fails. */
export type TokenField = 'access_token' | 'refresh_token' | (string & {});

/** The row a ciphertext belongs to; part of the AAD so a value moved to another row fails (I6). */
export interface CipherContext {
  tenantId: string;
  realmId: string;
  field: TokenField;
}

const FORMAT = 'v1';
const TAG_BYTES = 16;

/**
 * AES-256-GCM for token columns: fresh random 12-byte IV per value, 16-byte tag enforced on
 * decrypt, key id in every ciphertext, AAD binding tenant + realm + field + key id.
 * Format: `v1:<keyId>:<base64url(iv ‖ tag ‖ ciphertext)>`.
 */
export class TokenCipher {
  constructor(private readonly keys: KeyRing) {}

  /** AES-256-GCM under the newest key, bound to the connection and field in `ctx` (additional data). */
  encrypt(plaintext: string, ctx: CipherContext): string {
    const keyId = this.keys.activeId;
    const iv = randomIv();
    const cipher = createCipheriv('aes-256-gcm', this.keys.activeKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(keyId, ctx));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${FORMAT}:${keyId}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The plaintext, or a DecryptionError when the key is gone or the value was altered or moved. */
  decrypt(stored: string, ctx: CipherContext): string {
    if (typeof stored !== 'string') throw new DecryptionError('value is not a string');
    const parts = stored.split(':');
    if (parts.length !== 3 || parts[0] !== FORMAT) throw new DecryptionError('unknown format');
    const [, keyId, payload] = parts;
    const key = this.keys.find(keyId);
    if (!key) throw new DecryptionError(`key "${keyId}" is not in the key ring`);
    const raw = Buffer.from(payload, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new DecryptionError('ciphertext is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(keyId, ctx));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError('authentication failed (tampered, or copied from another row or field)');
    }
  }

  /** Key id a stored value was encrypted with (for rotation), or null if unreadable. */
  keyIdOf(stored: string): string | null {
    const parts = typeof stored === 'string' ? stored.split(':') : [];
    return parts.length === 3 && parts[0] === FORMAT ? parts[1] : null;
  }

  /** True when a value was written under an older key and should be re-encrypted. */
  needsReencryption(stored: string): boolean {
    return this.keyIdOf(stored) !== this.keys.activeId;
  }

  /** A keyed hash of a refresh token: what compare-and-swap writes compare, never the token. */
  fingerprint(refreshToken: string): string {
    return this.keys.fingerprint(refreshToken);
  }
}

function aad(keyId: string, ctx: CipherContext): Buffer {
  // JSON array: unambiguous even if an id contains a delimiter.
  return Buffer.from(JSON.stringify(['quickbooks-auth', FORMAT, keyId, ctx.tenantId, ctx.realmId, ctx.field]), 'utf8');
}
