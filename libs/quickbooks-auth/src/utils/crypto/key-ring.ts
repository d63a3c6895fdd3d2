import { createHmac, hkdfSync } from 'node:crypto';
import { ConfigurationError } from '../../errors/configuration.error';
import { isWeakKey } from './weak-secret';

/** One 256-bit data key with its id (the id is written into every ciphertext). */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Versioned key ring: the first (newest) key encrypts, every key decrypts.
 * Keys are parsed from `id:base64` or `id:hex` entries separated by commas, newest first,
 * e.g. `QB_ENCRYPTION_KEYS=k2:<base64 32 bytes>,k1:<base64 32 bytes>`.
 * An obviously weak key (all zero, one byte repeated, a pattern, a passphrase) is refused as the
 * encrypting key; as an older key it is accepted, listed in `weakIds`, so rows written under it can
 * still be read and re-encrypted away from it.
 */
export class KeyRing {
  private readonly byId = new Map<string, Buffer>();
  private readonly fingerprintKeys = new Map<string, Buffer>();

  /** `name` is the option or variable the keys came from, for error messages (never a key). */
  constructor(keys: EncryptionKey[], name = 'encryptionKeys') {
    const problems: string[] = [];
    const weak: string[] = [];
    if (keys.length === 0) problems.push('encryption keys: at least one key is required');
    keys.forEach(({ id, key }, index) => {
      if (!KEY_ID_PATTERN.test(id)) problems.push(`encryption key id "${id.slice(0, 32)}" must match ${KEY_ID_PATTERN}`);
      if (key.length !== 32) problems.push(`encryption key "${id}" must be exactly 32 bytes (got ${key.length})`);
      else if (isWeakKey(key) && index === 0) {
        problems.push(
          `${name}: key "${id}" is too weak to encrypt with (not 32 random bytes): generate one with \`openssl rand -base64 32\``,
        );
      } else if (isWeakKey(key)) weak.push(id);
      if (this.byId.has(id)) problems.push(`encryption key id "${id}" appears twice`);
      this.byId.set(id, key);
    });
    if (problems.length) throw new ConfigurationError(problems);
    this.activeId = keys[0].id;
    this.weakIds = weak;
  }

  /** Id of the key that encrypts new values. */
  readonly activeId: string;

  /** Older keys that look weak: they only decrypt. Re-encrypt (`quickbooks-auth reencrypt`), then drop them. */
  readonly weakIds: string[];

  /** Key ids, newest (the one that encrypts) first. */
  get ids(): string[] {
    return [...this.byId.keys()];
  }

  /** The newest key: every new ciphertext uses it. */
  get activeKey(): Buffer {
    return this.byId.get(this.activeId)!;
  }

  /** The key with this id, if the ring holds it (decryption of older ciphertexts). */
  find(id: string): Buffer | undefined {
    return this.byId.get(id);
  }

  /**
   * HMAC key for refresh-token fingerprints, derived (HKDF) from the active key so the data key
   * itself is never used for two purposes. Fingerprints are only ever compared with stored
   * fingerprints, so rotating keys does not break compare-and-swap.
   */
  fingerprint(value: string): string {
    let fpKey = this.fingerprintKeys.get(this.activeId);
    if (!fpKey) {
      fpKey = Buffer.from(hkdfSync('sha256', this.activeKey, Buffer.alloc(0), 'quickbooks-auth:fingerprint:v1', 32));
      this.fingerprintKeys.set(this.activeId, fpKey);
    }
    return `${this.activeId}:${createHmac('sha256', fpKey).update(value, 'utf8').digest('base64url')}`;
  }

  /** Parse `id:key,id:key` (newest first). Keys are base64/base64url (32 bytes) or 64 hex chars. */
  static parse(spec: string | undefined, variableName = 'QB_ENCRYPTION_KEYS'): KeyRing {
    if (!spec || !spec.trim()) throw new ConfigurationError([`${variableName} is required (id:base64key[,older ids...])`]);
    const problems: string[] = [];
    const keys: EncryptionKey[] = [];
    spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .forEach((entry, index) => {
        const sep = entry.indexOf(':');
        if (sep <= 0) {
          problems.push(`${variableName} entry #${index + 1} must look like id:key`);
          return;
        }
        const id = entry.slice(0, sep);
        const material = entry.slice(sep + 1);
        const key = /^[0-9a-fA-F]{64}$/.test(material) ? Buffer.from(material, 'hex') : Buffer.from(material, 'base64');
        keys.push({ id, key });
      });
    if (problems.length) throw new ConfigurationError(problems);
    return new KeyRing(keys, variableName);
  }
}
