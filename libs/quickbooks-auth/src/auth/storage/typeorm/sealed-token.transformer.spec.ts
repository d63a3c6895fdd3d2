import { randomBytes } from 'node:crypto';
import { StorageError } from '../../../errors/storage.error';
import { KeyRing } from '../../../utils/crypto/key-ring';
import { TokenCipher } from '../../../utils/crypto/token-cipher';
import { SealedToken } from './sealed-token';
import { sealedTokenTransformer } from './sealed-token.transformer';

describe('sealedTokenTransformer', () => {
  const cipher = new TokenCipher(KeyRing.parse(`k1:${randomBytes(32).toString('base64')}`));
  const ciphertext = cipher.encrypt('RT-secret-value', { tenantId: 't', realmId: 'r', field: 'refresh_token' });

  it('writes the ciphertext of a SealedToken', () => {
    expect(sealedTokenTransformer.to(new SealedToken(ciphertext))).toBe(ciphertext);
  });

  it('passes null and undefined through (revoked rows, untouched columns)', () => {
    expect(sealedTokenTransformer.to(null)).toBeNull();
    expect(sealedTokenTransformer.to(undefined)).toBeUndefined();
  });

  it.each([
    ['a plain string', 'RT-secret-value'],
    ['a ciphertext string not wrapped in SealedToken', ciphertext],
    ['a SealedToken wrapping plaintext', new SealedToken('RT-secret-value')],
    ['a number', 42],
  ])('refuses %s without echoing it', (_label, value) => {
    let thrown: unknown;
    try {
      sealedTokenTransformer.to(value);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(StorageError);
    expect((thrown as Error).message).not.toContain('RT-secret-value');
    expect((thrown as Error).message).not.toContain(ciphertext);
  });

  it('reads a SealedToken (or null) back', () => {
    const read = sealedTokenTransformer.from(ciphertext);
    expect(read).toBeInstanceOf(SealedToken);
    expect((read as SealedToken).value).toBe(ciphertext);
    expect(sealedTokenTransformer.from(null)).toBeNull();
  });

  it('never prints the ciphertext', () => {
    const sealed = new SealedToken(ciphertext);
    expect(JSON.stringify({ sealed })).not.toContain(ciphertext);
    expect(`${sealed}`).not.toContain(ciphertext);
  });
});
