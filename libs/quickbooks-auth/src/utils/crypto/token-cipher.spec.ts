import { randomBytes } from 'node:crypto';
import { DecryptionError } from '../../errors/decryption.error';
import { ConfigurationError } from '../../errors/configuration.error';
import { KeyRing } from './key-ring';
import { TokenCipher } from './token-cipher';

const key = () => randomBytes(32).toString('base64');
const ctx = { tenantId: 't1', realmId: '123', field: 'refresh_token' };

describe('TokenCipher', () => {
  const ring = KeyRing.parse(`k1:${key()}`);
  const cipher = new TokenCipher(ring);

  it('round-trips with a fresh IV every time and the key id in the ciphertext', () => {
    const a = cipher.encrypt('secret-token', ctx);
    const b = cipher.encrypt('secret-token', ctx);
    expect(a).not.toBe(b);
    expect(a.startsWith('v1:k1:')).toBe(true);
    expect(cipher.decrypt(a, ctx)).toBe('secret-token');
  });

  it('fails cleanly when moved to another tenant, realm or field (AAD)', () => {
    const sealed = cipher.encrypt('secret-token', ctx);
    for (const other of [{ ...ctx, tenantId: 't2' }, { ...ctx, realmId: '124' }, { ...ctx, field: 'access_token' }]) {
      expect(() => cipher.decrypt(sealed, other)).toThrow(DecryptionError);
    }
  });

  it('detects tampering and truncation without echoing the value', () => {
    const sealed = cipher.encrypt('secret-token', ctx);
    const raw = Buffer.from(sealed.split(':')[2], 'base64url');
    raw[raw.length - 1] ^= 1;
    const tampered = `v1:k1:${raw.toString('base64url')}`;
    expect(() => cipher.decrypt(tampered, ctx)).toThrow(DecryptionError);
    expect(() => cipher.decrypt(sealed.slice(0, 20), ctx)).toThrow(DecryptionError);
    expect(() => cipher.decrypt('plain-text', ctx)).toThrow(/unknown format/);
    try {
      cipher.decrypt(tampered, ctx);
    } catch (err) {
      expect((err as Error).message).not.toContain('secret-token');
    }
  });

  it('rejects a shortened auth tag (tag length enforced)', () => {
    const sealed = cipher.encrypt('secret-token', ctx);
    const raw = Buffer.from(sealed.split(':')[2], 'base64url');
    const shortTag = Buffer.concat([raw.subarray(0, 12), raw.subarray(12, 24), raw.subarray(28)]);
    expect(() => cipher.decrypt(`v1:k1:${shortTag.toString('base64url')}`, ctx)).toThrow(DecryptionError);
  });

  it('rotates: the newest key encrypts, older keys still decrypt, unknown keys fail', () => {
    const k1 = key();
    const old = new TokenCipher(KeyRing.parse(`k1:${k1}`));
    const sealedOld = old.encrypt('v', ctx);
    const rotated = new TokenCipher(KeyRing.parse(`k2:${key()},k1:${k1}`));
    expect(rotated.decrypt(sealedOld, ctx)).toBe('v');
    expect(rotated.needsReencryption(sealedOld)).toBe(true);
    const sealedNew = rotated.encrypt('v', ctx);
    expect(rotated.keyIdOf(sealedNew)).toBe('k2');
    expect(() => old.decrypt(sealedNew, ctx)).toThrow(/not in the key ring/);
  });

  it('fingerprints are stable per key and differ per token', () => {
    expect(cipher.fingerprint('a')).toBe(cipher.fingerprint('a'));
    expect(cipher.fingerprint('a')).not.toBe(cipher.fingerprint('b'));
    const token = 'RT1-123-H0-1700000000abcdefghijklmnop';
    expect(cipher.fingerprint(token)).not.toContain(token);
    // Keyed: another key ring gives another fingerprint for the same token.
    expect(new TokenCipher(KeyRing.parse(`k1:${key()}`)).fingerprint(token)).not.toBe(cipher.fingerprint(token));
  });
});

describe('KeyRing.parse', () => {
  it('accepts base64 and hex keys, newest first', () => {
    const ring = KeyRing.parse(`k2:${randomBytes(32).toString('hex')}, k1:${key()}`);
    expect(ring.activeId).toBe('k2');
    expect(ring.ids).toEqual(['k2', 'k1']);
  });

  it('names every problem and never the key material', () => {
    const secret = randomBytes(16).toString('base64');
    try {
      KeyRing.parse(`bad id:${secret},k1:${secret},k1:${key()}`);
      throw new Error('should fail');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigurationError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/32 bytes/);
      expect(msg).toMatch(/appears twice/);
      expect(msg).not.toContain(secret);
    }
    expect(() => KeyRing.parse('')).toThrow(/QB_ENCRYPTION_KEYS is required/);
    expect(() => KeyRing.parse('nocolon')).toThrow(/id:key/);
  });
});
