import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { IdTokenTamper } from './faults';

let foreignKey: KeyObject | null = null;

/** What spoiling needs of the signer (IdTokenSigner): signing a payload, with its own key or another. */
export interface PayloadSigner {
  sign(payload: Record<string, unknown>, key?: KeyObject): string;
}

/**
 * What a bad_id_token fault turns a genuine id_token into, so clients can prove they verify it:
 * another key under the same kid, `alg: none`, no id_token at all, or one claim changed and the
 * token re-signed with the published key (so only that claim's check can catch it).
 */
export function spoilIdToken(signer: PayloadSigner, token: string, tamper: IdTokenTamper): string | null {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  switch (tamper) {
    case 'missing':
      return null;
    case 'foreign_key':
      foreignKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      return signer.sign(payload, foreignKey);
    case 'alg_none':
      return `${b64({ alg: 'none' })}.${b64(payload)}.`;
    case 'issuer':
      return signer.sign({ ...payload, iss: 'https://evil.example/op/v1' });
    case 'audience':
      return signer.sign({ ...payload, aud: ['another-app'] });
    case 'expired': {
      const hourAgo = Number(payload.iat) - 7200;
      return signer.sign({ ...payload, iat: hourAgo, exp: hourAgo + 3600, auth_time: hourAgo });
    }
    case 'nonce':
      return signer.sign({ ...payload, nonce: 'not-the-nonce-of-this-request' });
    case 'realmid':
      return signer.sign({ ...payload, realmid: String(payload.realmid).replace(/\d$/, (d) => String((Number(d) + 1) % 10)) });
  }
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
