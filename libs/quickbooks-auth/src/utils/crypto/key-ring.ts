import { createHmac, hkdfSync } from 'node:crypto';
import { ConfigurationError } from '../../errors/configuration.error';

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
 */
export class KeyRing {
  private readonly byId = new Map<string, Buffer>();
  private readonly fingerprintKeys = new Map<string, Buffer>();

  constructor(keys: EncryptionKey[]) {
    const problems: string[] = [];
    if (keys.length === 0) problems.push('encryption keys: at least one key is required');
    for (const { id, key } of keys) {
      if (!KEY_ID_PATTERN.test(id)) problems.push(`encryption key id "${id.slice(0, 32)}" must match ${KEY_ID_PATTERN}`);
      if (key.length !== 32) problems.push(`encryption key "${id}" must be exactly 32 bytes (got ${key.length})`);
      if (this.byId.has(id)) problems.push(`encryption key id "${id}" appears twice`);
      this.byId.set(id, key);
    }
    if (problems.length) throw new ConfigurationError(problems);
    this.activeId = keys[0].id;
  }

  /** Id of the key that encrypts new values. */
  readonly activeId: string;

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  get activeKey(): Buffer {
    return this.byId.get(this.activeId)!;
  }

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
    spec.split(',').map((s) => s.trim()).filter(Boolean).forEach((entry, index) => {
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
    return new KeyRing(keys);
  }
}
