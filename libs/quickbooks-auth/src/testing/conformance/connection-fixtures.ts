import { randomBytes } from 'node:crypto';
import type { ConnectionRef } from '../../domain/connection.interface';
import type { NewConnection } from '../../auth/storage/token-storage.interface';

/** Fixtures shared by the conformance suite and its case files. */
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function token(kind: 'AT' | 'RT'): string {
  // Looks like a real token, long enough that a leak in any encoding is detectable.
  return `${kind}-${randomBytes(30).toString('base64url')}`;
}

export function newConnection(r: ConnectionRef, overrides: Partial<NewConnection> = {}): NewConnection {
  const now = Date.now();
  return {
    ...r,
    environment: 'sandbox',
    accessToken: token('AT'),
    refreshToken: token('RT'),
    accessTokenExpiresAt: new Date(now + HOUR + 123),
    refreshTokenExpiresAt: new Date(now + 100 * DAY + 456),
    refreshTokenHardExpiresAt: new Date(now + 5 * 365 * DAY + 789),
    scopes: ['com.intuit.quickbooks.accounting', 'openid'],
    nextRefreshAt: new Date(now + 45 * MINUTE + 7),
    ...overrides,
  };
}
