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
    for (const other of [
      { ...ctx, tenantId: 't2' },
      { ...ctx, realmId: '124' },
      { ...ctx, field: 'access_token' },
    ]) {
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

describe('KeyRing refuses obviously weak keys (issue 14, item 9)', () => {
  const b64 = (bytes: Buffer) => bytes.toString('base64');
  const weak: Array<[string, Buffer]> = [
    ['all zero', Buffer.alloc(32)],
    ['one byte repeated', Buffer.alloc(32, 0xa7)],
    ['two values alternating', Buffer.from(Array.from({ length: 32 }, (_, i) => (i % 2 ? 0x11 : 0xee)))],
    ['very few distinct bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233][i % 12]))],
    ['a counting sequence', Buffer.from(Array.from({ length: 32 }, (_, i) => i))],
    ['a 16-byte block twice', Buffer.concat([randomBytes(16)].flatMap((b) => [b, b]))],
    ['a typed passphrase', Buffer.from('correct horse battery staple 42!', 'utf8')],
  ];

  it.each(weak)('refuses %s as the encrypting key, naming the option and key id, never the value', (_label, bytes) => {
    expect(bytes).toHaveLength(32);
    for (const spec of [`k1:${b64(bytes)}`, `k1:${bytes.toString('hex')}`]) {
      let err: unknown;
      try {
        KeyRing.parse(spec, 'QB_ENCRYPTION_KEYS');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigurationError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/QB_ENCRYPTION_KEYS: key "k1" is too weak/);
      for (const form of [b64(bytes), bytes.toString('hex'), bytes.toString('utf8')]) expect(msg).not.toContain(form);
    }
    expect(() => new KeyRing([{ id: 'k1', key: bytes }])).toThrow(/encryptionKeys: key "k1" is too weak/);
  });

  it('keeps a weak older key for decryption only, listed by id, so rows can be re-encrypted away from it', () => {
    const ring = KeyRing.parse(`k2:${key()},k1:${b64(Buffer.alloc(32))}`);
    expect(ring.activeId).toBe('k2');
    expect(ring.weakIds).toEqual(['k1']);
    expect(KeyRing.parse(`k1:${key()}`).weakIds).toEqual([]);
  });

  it('accepts random keys, every time', () => {
    for (let i = 0; i < 2000; i++) expect(() => new KeyRing([{ id: 'k1', key: randomBytes(32) }])).not.toThrow();
  });
});
