import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedQuickBooksAuthOptions } from '../../config/resolved-options';
import { AuthEventsPublisher } from '../../events/auth-events.publisher';
import type { ExpiringEvent } from '../../events/quickbooks-auth.events';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../../quickbooks-auth.constants';
import type { StoredConnection } from '../connection.interface';

const DAY_MS = 86_400_000;
/** Bound on remembered alerts, so a huge fleet cannot grow the map without limit. */
const MAX_REMEMBERED = 100_000;

/**
 * `quickbooks.expiring` alerts raised by the scheduler:
 * - access: a refresh failed and the access token expires within the refresh lead time;
 * - refresh / refresh_hard: the rolling or the 5-year refresh-token expiry is within
 *   `refreshExpiryWarningSeconds`, so the customer must reconnect before then.
 * At most one alert per connection and kind per day in this process (replicas may repeat it).
 */
@Injectable()
export class ExpiryAlerts {
  /** key -> app-clock ms of the last alert. */
  private readonly lastAlert = new Map<string, number>();

  constructor(
    private readonly events: AuthEventsPublisher,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
  ) {}

  /** After a failed refresh: the access token is about to lapse with nothing newer stored. */
  afterFailedRefresh(conn: StoredConnection, correlationId: string, intuitTid: string | null): void {
    const now = this.options.clock.now();
    const expiresAt = conn.accessTokenExpiresAt.getTime();
    if (expiresAt - now > this.options.refreshLeadSeconds * 1000) return;
    // One alert per access token: the next token (if any) gets its own.
    this.emit(conn, 'access', conn.accessTokenExpiresAt, correlationId, intuitTid, `access|${expiresAt}`, now);
  }

  /** For every connection the scheduler handled: refresh tokens nearing their rolling or hard expiry. */
  checkRefreshExpiry(conn: StoredConnection, correlationId: string): void {
    const now = this.options.clock.now();
    const horizon = now + this.options.scheduler.refreshExpiryWarningSeconds * 1000;
    if (conn.refreshTokenExpiresAt.getTime() <= horizon) {
      this.emit(conn, 'refresh', conn.refreshTokenExpiresAt, correlationId, null, 'refresh', now);
    }
    if (conn.refreshTokenHardExpiresAt && conn.refreshTokenHardExpiresAt.getTime() <= horizon) {
      this.emit(conn, 'refresh_hard', conn.refreshTokenHardExpiresAt, correlationId, null, 'refresh_hard', now);
    }
  }

  private emit(conn: StoredConnection, kind: ExpiringEvent['kind'], expiresAt: Date, correlationId: string, intuitTid: string | null, what: string, now: number): void {
    const key = `${what}\u0000${conn.tenantId}\u0000${conn.realmId}`;
    const last = this.lastAlert.get(key);
    if (last !== undefined && now - last < DAY_MS) return;
    if (this.lastAlert.size >= MAX_REMEMBERED) this.forgetOld(now);
    this.lastAlert.set(key, now);
    this.events.expiring({ tenantId: conn.tenantId, realmId: conn.realmId, correlationId, intuitTid, at: new Date(now), kind, expiresAt });
  }

  private forgetOld(now: number): void {
    for (const [key, at] of this.lastAlert) if (now - at >= DAY_MS) this.lastAlert.delete(key);
    // Still full: drop the oldest entries (Map keeps insertion order).
    for (const key of this.lastAlert.keys()) {
      if (this.lastAlert.size < MAX_REMEMBERED * 0.9) break;
      this.lastAlert.delete(key);
    }
  }
}
