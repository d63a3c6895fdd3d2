import { randomBytes } from 'node:crypto';
import { KeyRing, TokenCipher } from '@quickbooks-auth/nestjs';
import type { NewConnection } from '@quickbooks-auth/nestjs/auth/storage/token-storage.interface';

/** A cipher over fresh random keys (newest first). */
export function makeCipher(ids: string[] = ['k1']): { cipher: TokenCipher; spec: string } {
  const spec = ids.map((id) => `${id}:${randomBytes(32).toString('base64')}`).join(',');
  return { cipher: new TokenCipher(KeyRing.parse(spec)), spec };
}

/** A unique string, so suites and parallel runs never share keys or directories. */
export function uniqueId(label = 'run'): string {
  return `${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function newConnection(tenantId: string, realmId: string, overrides: Partial<NewConnection> = {}): NewConnection {
  const now = Date.now();
  return {
    tenantId,
    realmId,
    environment: 'sandbox',
    scopes: ['com.intuit.quickbooks.accounting'],
    accessToken: `at-${randomBytes(6).toString('hex')}`,
    refreshToken: `rt-${randomBytes(6).toString('hex')}`,
    accessTokenExpiresAt: new Date(now + 3600_000),
    refreshTokenExpiresAt: new Date(now + 100 * 86400_000),
    refreshTokenHardExpiresAt: new Date(now + 5 * 365 * 86400_000),
    nextRefreshAt: new Date(now + 2400_000),
    ...overrides,
  };
}
