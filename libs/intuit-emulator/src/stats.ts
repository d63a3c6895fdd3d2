import type { TokenFate } from './token-store';

/**
 * Counters a client test asserts on. The safety metrics are supersededRefreshTokenUses (a client
 * sent a refresh token that rotation had already replaced) and concurrentRefreshesMaxPerToken
 * (the same refresh token was in flight more than once at a time: missing single-flight).
 */
export interface StatsSnapshot {
  calls: {
    byGrant: { authorization_code: number; refresh_token: number };
    byRealm: Record<string, { refresh_token: number; authorization_code: number }>;
    byEndpoint: Record<string, number>;
  };
  concurrentRefreshesMaxPerToken: number;
  supersededRefreshTokenUses: number;
  invalidGrants: number;
  invalidClients: number;
  tokensIssued: { access: number; refresh: number };
  tokenFates: Record<TokenFate, number>;
  rotations: number;
  droppedAfterRotate: number;
  faultsApplied: number;
  revokedGrants: number;
  inFlightRefreshes: number;
}

export class EmulatorStats {
  private byGrant = { authorization_code: 0, refresh_token: 0 };
  private byRealm = new Map<string, { refresh_token: number; authorization_code: number }>();
  private byEndpoint = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  private inFlightTotal = 0;
  concurrentRefreshesMaxPerToken = 0;
  supersededRefreshTokenUses = 0;
  invalidGrants = 0;
  invalidClients = 0;
  accessIssued = 0;
  refreshIssued = 0;
  rotations = 0;
  droppedAfterRotate = 0;
  faultsApplied = 0;
  revokedGrants = 0;

  endpoint(name: string): void {
    this.byEndpoint.set(name, (this.byEndpoint.get(name) ?? 0) + 1);
  }

  grant(grantType: string): void {
    if (grantType === 'authorization_code' || grantType === 'refresh_token') this.byGrant[grantType] += 1;
  }

  realm(realmId: string, grantType: 'authorization_code' | 'refresh_token'): void {
    let entry = this.byRealm.get(realmId);
    if (!entry) {
      entry = { refresh_token: 0, authorization_code: 0 };
      this.byRealm.set(realmId, entry);
    }
    entry[grantType] += 1;
  }

  /** Marks a refresh request carrying `token` as in flight; returns the release function. */
  beginRefresh(token: string): () => void {
    const n = (this.inFlight.get(token) ?? 0) + 1;
    this.inFlight.set(token, n);
    this.inFlightTotal += 1;
    if (n > this.concurrentRefreshesMaxPerToken) this.concurrentRefreshesMaxPerToken = n;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlightTotal -= 1;
      const left = (this.inFlight.get(token) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(token);
      else this.inFlight.set(token, left);
    };
  }

  realmCalls(realmId: string): { refresh_token: number; authorization_code: number } {
    return { ...(this.byRealm.get(realmId) ?? { refresh_token: 0, authorization_code: 0 }) };
  }

  reset(): void {
    this.byGrant = { authorization_code: 0, refresh_token: 0 };
    this.byRealm = new Map();
    this.byEndpoint = new Map();
    // In-flight requests keep their entries so their release() stays balanced.
    this.concurrentRefreshesMaxPerToken = 0;
    this.supersededRefreshTokenUses = 0;
    this.invalidGrants = 0;
    this.invalidClients = 0;
    this.accessIssued = 0;
    this.refreshIssued = 0;
    this.rotations = 0;
    this.droppedAfterRotate = 0;
    this.faultsApplied = 0;
    this.revokedGrants = 0;
  }

  snapshot(tokenFates: Record<TokenFate, number>): StatsSnapshot {
    return {
      calls: {
        byGrant: { ...this.byGrant },
        byRealm: Object.fromEntries([...this.byRealm].map(([k, v]) => [k, { ...v }])),
        byEndpoint: Object.fromEntries(this.byEndpoint),
      },
      concurrentRefreshesMaxPerToken: this.concurrentRefreshesMaxPerToken,
      supersededRefreshTokenUses: this.supersededRefreshTokenUses,
      invalidGrants: this.invalidGrants,
      invalidClients: this.invalidClients,
      tokensIssued: { access: this.accessIssued, refresh: this.refreshIssued },
      tokenFates,
      rotations: this.rotations,
      droppedAfterRotate: this.droppedAfterRotate,
      faultsApplied: this.faultsApplied,
      revokedGrants: this.revokedGrants,
      inFlightRefreshes: this.inFlightTotal,
    };
  }
}
