import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedQuickBooksAuthOptions } from '../../config/resolved-options';
import { AuthEventsPublisher } from '../../events/auth-events.publisher';
import type { ExpiringEvent } from '../../events/quickbooks-auth.events';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../../quickbooks-auth.constants';
import type { StoredConnection } from '../../domain/connection.interface';
import type { TokenStorage } from '../storage/token-storage.interface';

const DAY_MS = 86_400_000;
/** Bound on remembered alerts, so a huge fleet cannot grow the map without limit. */
const MAX_REMEMBERED = 100_000;

/**
 * `quickbooks.expiring` alerts raised by the scheduler:
 * - access: a refresh failed and the access token expires within the refresh lead time;
 * - refresh: the rolling refresh-token expiry is within `refreshExpiryWarningSeconds` (refreshes
 *   are failing for that connection). At most one per connection per day in this process.
 * - refresh_hard: the 5-year hard expiry reached a horizon of `hardExpiryWarningDays` (90, 30, 7
 *   by default), so the customer must reconnect before then. Once per horizon and connection
 *   across every replica: the store records it (claimReconnectWarning), and only the replica
 *   whose write lands emits; a reconnect (a new grant) starts over.
 */
@Injectable()
export class ExpiryAlerts {
  /** key -> app-clock ms of the last alert. */
  private readonly lastAlert = new Map<string, number>();

  private readonly logger = new Logger('QuickBooksAuth');

  constructor(
    private readonly events: AuthEventsPublisher,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
  ) {}

  /** After a failed refresh: the access token is about to lapse with nothing newer stored. */
  afterFailedRefresh(conn: StoredConnection, correlationId: string, intuitTid: string | null): void {
    const now = this.options.clock.now();
    const expiresAt = conn.accessTokenExpiresAt.getTime();
    if (expiresAt - now > this.options.refreshLeadSeconds * 1000) return;
    // One alert per access token: the next token (if any) gets its own.
    this.emit(conn, 'access', conn.accessTokenExpiresAt, correlationId, intuitTid, `access|${expiresAt}`, now);
  }

  /**
   * For every connection the scheduler handled: the rolling expiry (sync), then the hard-expiry
   * horizons. Never throws: a store that cannot record a warning only delays it to the next refresh.
   */
  async checkRefreshExpiry(conn: StoredConnection, correlationId: string): Promise<void> {
    const now = this.options.clock.now();
    const horizon = now + this.options.scheduler.refreshExpiryWarningSeconds * 1000;
    if (conn.refreshTokenExpiresAt.getTime() <= horizon) {
      this.emit(conn, 'refresh', conn.refreshTokenExpiresAt, correlationId, null, 'refresh', now);
    }
    await this.checkHardExpiry(conn, correlationId, now).catch((err: unknown) =>
      this.logger.warn(
        `could not record a reconnect warning tenant=${conn.tenantId} realm=${this.events.realmForLogs(conn.realmId)} cid=${correlationId}: ${(err as Error)?.message ?? 'unknown error'}`,
      ),
    );
  }

  /** The nearest horizon the hard expiry is within, if not recorded yet: claimed in the store, then emitted. */
  private async checkHardExpiry(conn: StoredConnection, correlationId: string, now: number): Promise<void> {
    const hard = conn.refreshTokenHardExpiresAt;
    if (!hard) return;
    const daysLeft = (hard.getTime() - now) / DAY_MS;
    // Farthest first: the last horizon the deadline is within is the nearest one reached.
    const reached = this.options.scheduler.hardExpiryWarningDays.filter((days) => daysLeft <= days).pop();
    if (reached === undefined) return;
    // The row says it was sent already (this or a nearer horizon): no write at all.
    if (conn.reconnectWarnedDays != null && conn.reconnectWarnedDays <= reached) return;
    if (!(await this.storage.claimReconnectWarning(conn, reached, new Date(now)))) return;
    this.events.expiring({
      tenantId: conn.tenantId,
      realmId: conn.realmId,
      correlationId,
      intuitTid: null,
      at: new Date(now),
      kind: 'refresh_hard',
      expiresAt: hard,
      horizonDays: reached,
      reconnectUrl: this.options.reconnectUrl(conn),
    });
  }

  private emit(
    conn: StoredConnection,
    kind: ExpiringEvent['kind'],
    expiresAt: Date,
    correlationId: string,
    intuitTid: string | null,
    what: string,
    now: number,
  ): void {
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
