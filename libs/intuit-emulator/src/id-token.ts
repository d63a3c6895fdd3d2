import { generateKeyPair, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { IdTokenTamper } from './faults';
import { spoilIdToken } from './id-token-spoiler';

export interface Jwk {
  kty: string;
  kid: string;
  use: 'sig';
  alg: 'RS256';
  n: string;
  e: string;
}

/**
 * RS256 id_tokens with a key published at /op/v1/jwks, so OIDC clients can verify them for
 * real. The key pair is generated in the background from the start (it costs 50 to 500 ms of
 * CPU, and the emulator must start in well under a second), or on first use if that comes
 * sooner. rotateKey() replaces it under a new `kid`, as Intuit rotates its signing keys.
 */
export class IdTokenSigner {
  private key: { privateKey: KeyObject; jwk: Jwk } | null = null;
  private generation = 1;

  constructor(private readonly issuer: () => string) {
    this.warmUp();
  }

  jwks(): { keys: Jwk[] } {
    return { keys: [this.ensureKey().jwk] };
  }

  /** A new key pair under a new kid; the old key is no longer published (clients must refetch). */
  rotateKey(): string {
    this.generation += 1;
    this.key = null;
    return this.ensureKey().jwk.kid;
  }

  issue(claims: { clientId: string; sub: string; realmId: string; nowMs: number; authTimeMs: number; nonce?: string | null }): string {
    const iat = Math.floor(claims.nowMs / 1000);
    return this.sign({
      sub: claims.sub,
      aud: [claims.clientId],
      realmid: claims.realmId,
      auth_time: Math.floor(claims.authTimeMs / 1000),
      iss: this.issuer(),
      exp: iat + 3600,
      iat,
      ...(claims.nonce ? { nonce: claims.nonce } : {}),
    });
  }

  /** RS256 over `payload` with the published key (or `key`, e.g. one nobody published). */
  sign(payload: Record<string, unknown>, key: KeyObject = this.ensureKey().privateKey): string {
    const signingInput = `${b64(JSON.stringify({ kid: this.ensureKey().jwk.kid, alg: 'RS256' }))}.${b64(JSON.stringify(payload))}`;
    return `${signingInput}.${sign('sha256', Buffer.from(signingInput), key).toString('base64url')}`;
  }

  /** The bad_id_token fault: `token` spoilt as `tamper` says; null means leave the id_token out. */
  spoil(token: string, tamper: IdTokenTamper): string | null {
    return spoilIdToken(this, token, tamper);
  }

  private ensureKey(): { privateKey: KeyObject; jwk: Jwk } {
    if (!this.key) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      this.key = this.keyOf(privateKey, publicKey);
    }
    return this.key;
  }

  /** Generates the key off the event loop; used only if nothing needed one meanwhile. */
  private warmUp(): void {
    const generation = this.generation;
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) => {
      if (err || this.key || generation !== this.generation) return;
      this.key = this.keyOf(privateKey, publicKey);
    });
  }

  private keyOf(privateKey: KeyObject, publicKey: KeyObject): { privateKey: KeyObject; jwk: Jwk } {
    const exported = publicKey.export({ format: 'jwk' }) as { kty: string; n: string; e: string };
    return {
      privateKey,
      jwk: { kty: exported.kty, kid: `emulator-rs256-${this.generation}`, use: 'sig', alg: 'RS256', n: exported.n, e: exported.e },
    };
  }
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64url');
}
