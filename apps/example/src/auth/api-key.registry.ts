import { createHash } from 'node:crypto';

/** A caller's identity as derived from its API key: never the key itself. */
export interface ApiKeyIdentity {
  tenantId: string;
  /** Short hash of the key: binds sessions and OAuth state to the credential without storing it. */
  fingerprint: string;
}

const TENANT_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function fingerprintApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32);
}

/**
 * API key → tenant map. Lookups go through the key's hash, so comparing a guess costs the
 * same whatever it shares with a real key (no timing oracle on the key bytes).
 */
export class ApiKeyRegistry {
  private readonly byFingerprint = new Map<string, ApiKeyIdentity>();

  /** Parses `key1:tenantA,key2:tenantB`; throws naming the bad entry's position, never its key. */
  static parse(spec: string | undefined): ApiKeyRegistry {
    const registry = new ApiKeyRegistry();
    const entries = (spec ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    entries.forEach((entry, i) => {
      const sep = entry.lastIndexOf(':');
      const key = sep > 0 ? entry.slice(0, sep) : '';
      const tenantId = sep > 0 ? entry.slice(sep + 1) : '';
      if (key.length < 16) throw new Error(`EXAMPLE_API_KEYS entry ${i + 1}: key must be at least 16 characters (format key:tenantId)`);
      if (!TENANT_ID.test(tenantId)) throw new Error(`EXAMPLE_API_KEYS entry ${i + 1}: tenant id must match ${TENANT_ID}`);
      registry.add(key, tenantId);
    });
    return registry;
  }

  add(key: string, tenantId: string): void {
    const fingerprint = fingerprintApiKey(key);
    this.byFingerprint.set(fingerprint, { tenantId, fingerprint });
  }

  resolve(key: string | undefined | null): ApiKeyIdentity | null {
    if (typeof key !== 'string' || key.length === 0 || key.length > 512) return null;
    return this.byFingerprint.get(fingerprintApiKey(key)) ?? null;
  }

  /** Identity by fingerprint (what a session cookie carries); null once the key is removed. */
  byKeyFingerprint(fingerprint: string): ApiKeyIdentity | null {
    return this.byFingerprint.get(fingerprint) ?? null;
  }

  get size(): number {
    return this.byFingerprint.size;
  }

  tenantIds(): string[] {
    return [...new Set([...this.byFingerprint.values()].map((i) => i.tenantId))];
  }
}
