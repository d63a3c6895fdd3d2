import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

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
 * real. The key pair is generated on first use: it costs ~50 ms and most test runs never ask
 * for `openid`, and the emulator must start in well under a second.
 */
export class IdTokenSigner {
  private key: { privateKey: KeyObject; jwk: Jwk } | null = null;

  constructor(private readonly issuer: () => string) {}

  jwks(): { keys: Jwk[] } {
    return { keys: [this.ensureKey().jwk] };
  }

  issue(claims: { clientId: string; sub: string; realmId: string; nowMs: number; authTimeMs: number }): string {
    const { privateKey, jwk } = this.ensureKey();
    const iat = Math.floor(claims.nowMs / 1000);
    const header = { kid: jwk.kid, alg: 'RS256' };
    const payload = {
      sub: claims.sub,
      aud: [claims.clientId],
      realmid: claims.realmId,
      auth_time: Math.floor(claims.authTimeMs / 1000),
      iss: this.issuer(),
      exp: iat + 3600,
      iat,
    };
    const signingInput = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
    const signature = sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url');
    return `${signingInput}.${signature}`;
  }

  private ensureKey(): { privateKey: KeyObject; jwk: Jwk } {
    if (!this.key) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const exported = publicKey.export({ format: 'jwk' }) as { kty: string; n: string; e: string };
      this.key = { privateKey, jwk: { kty: exported.kty, kid: 'emulator-rs256-1', use: 'sig', alg: 'RS256', n: exported.n, e: exported.e } };
    }
    return this.key;
  }
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64url');
}
