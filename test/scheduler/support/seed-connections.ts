import type { TokenStorage } from '@quickbooks-auth/nestjs';
import { computeNextRefreshAt } from '@quickbooks-auth/nestjs/auth/refresh/refresh-schedule';
import type { MintedConnection } from '@quickbooks-auth/intuit-emulator';

/**
 * Stores connections minted at the emulator as the connect flow would have (so suites can
 * start with hundreds of connections without driving hundreds of consent flows).
 * `due: true` makes them due at once; otherwise they are scheduled like a fresh connect.
 */
export async function seedConnections(
  storage: TokenStorage,
  minted: MintedConnection[],
  params: {
    tenantId: string;
    now: number;
    due?: boolean;
    refreshLeadSeconds?: number;
    jitterRatio?: number;
    keepAliveSeconds?: number;
    concurrency?: number;
  },
): Promise<Array<{ tenantId: string; realmId: string }>> {
  const refs = minted.map((m) => ({ tenantId: params.tenantId, realmId: m.realmId }));
  let next = 0;
  const worker = async () => {
    while (next < minted.length) {
      const m = minted[next++];
      const accessTokenExpiresAt = new Date(params.now + m.expires_in * 1000);
      await storage.saveConnection({
        tenantId: params.tenantId,
        realmId: m.realmId,
        environment: 'sandbox',
        scopes: ['com.intuit.quickbooks.accounting'],
        accessToken: m.access_token,
        refreshToken: m.refresh_token,
        accessTokenExpiresAt,
        refreshTokenExpiresAt: new Date(params.now + m.x_refresh_token_expires_in * 1000),
        refreshTokenHardExpiresAt: m.x_refresh_token_hard_expires_in
          ? new Date(params.now + m.x_refresh_token_hard_expires_in * 1000)
          : null,
        nextRefreshAt: params.due
          ? new Date(params.now)
          : computeNextRefreshAt({
              now: params.now,
              accessTokenExpiresAt,
              refreshLeadSeconds: params.refreshLeadSeconds ?? 1800,
              jitterRatio: params.jitterRatio ?? 0.2,
              keepAliveSeconds: params.keepAliveSeconds ?? 86_400,
            }),
      });
    }
  };
  await Promise.all(Array.from({ length: params.concurrency ?? 8 }, worker));
  return refs;
}
