import type { MintedConnection, RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { startEmulator } from '@quickbooks-auth/intuit-emulator';
import type { ConnectionRef, TokenStorage } from '@quickbooks-auth/nestjs';
import { BENCH_CLIENT } from './module-app';

/** An in-process emulator with the bench client registered. */
export function startBenchEmulator(options: Parameters<typeof startEmulator>[0] = {}): Promise<RunningEmulator> {
  return startEmulator({
    clients: [{ clientId: BENCH_CLIENT.clientId, clientSecret: BENCH_CLIENT.clientSecret, redirectUris: [BENCH_CLIENT.redirectUri] }],
    ...options,
  });
}

/**
 * Stores connections minted at the emulator as the connect flow would have, through the storage
 * API (so rows are exactly what the module writes). `nextRefreshAt` defaults to "not due".
 */
export async function seedThroughStorage(
  storage: TokenStorage,
  minted: MintedConnection[],
  params: { tenantId: string; now: number; nextRefreshAt?: number; concurrency?: number },
): Promise<ConnectionRef[]> {
  let next = 0;
  const worker = async () => {
    while (next < minted.length) {
      const m = minted[next++];
      await storage.saveConnection({
        tenantId: params.tenantId,
        realmId: m.realmId,
        environment: 'sandbox',
        scopes: ['com.intuit.quickbooks.accounting'],
        accessToken: m.access_token,
        refreshToken: m.refresh_token,
        accessTokenExpiresAt: new Date(params.now + m.expires_in * 1000),
        refreshTokenExpiresAt: new Date(params.now + m.x_refresh_token_expires_in * 1000),
        refreshTokenHardExpiresAt: m.x_refresh_token_hard_expires_in
          ? new Date(params.now + m.x_refresh_token_hard_expires_in * 1000)
          : null,
        nextRefreshAt: new Date(params.nextRefreshAt ?? params.now + 30 * 60_000),
      });
    }
  };
  await Promise.all(Array.from({ length: params.concurrency ?? 8 }, worker));
  return minted.map((m) => ({ tenantId: params.tenantId, realmId: m.realmId }));
}
