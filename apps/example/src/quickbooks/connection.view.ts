import type { ConnectionSummary } from '@quickbooks-auth/nestjs';

/** What the API shows of a connection: status and times, never tokens or lease internals. */
export interface ConnectionView {
  realmId: string;
  environment: string;
  status: string;
  /** Its stored tokens cannot be decrypted (key removed, row altered): reconnect or disconnect it. */
  undecryptable: boolean;
  accessTokenExpiresAt: string;
  refreshTokenExpiresAt: string;
  refreshTokenHardExpiresAt: string | null;
  lastRefreshedAt: string | null;
  nextRefreshAt: string;
  lastErrorCode: string | null;
  failureCount: number;
  scopes: string[];
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toConnectionView(c: ConnectionSummary): ConnectionView {
  return {
    realmId: c.realmId,
    environment: c.environment,
    status: c.status,
    undecryptable: c.undecryptable,
    accessTokenExpiresAt: c.accessTokenExpiresAt.toISOString(),
    refreshTokenExpiresAt: c.refreshTokenExpiresAt.toISOString(),
    refreshTokenHardExpiresAt: iso(c.refreshTokenHardExpiresAt),
    lastRefreshedAt: iso(c.lastRefreshedAt),
    nextRefreshAt: c.nextRefreshAt.toISOString(),
    lastErrorCode: c.lastErrorCode,
    failureCount: c.failureCount,
    scopes: c.scopes,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}
