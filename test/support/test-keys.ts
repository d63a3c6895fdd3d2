import { randomBytes } from 'node:crypto';

/** A fresh key ring spec (`id:base64`, newest first) for a test run. */
export function testKeyRing(...ids: string[]): string {
  return (ids.length ? ids : ['k1']).map((id) => `${id}:${randomBytes(32).toString('base64')}`).join(',');
}

export const TEST_CLIENT = {
  clientId: 'test-client-id',
  clientSecret: `canary-client-secret-${randomBytes(8).toString('hex')}`,
  redirectUri: 'http://localhost:3000/quickbooks/callback',
};

export function testStateSecret(): string {
  return `canary-state-secret-${randomBytes(24).toString('hex')}`;
}
