// docs/troubleshooting-invalid-grant.md: reacting to a connection that needs the customer again.
import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  QuickBooksAuthEvent,
  QuickBooksUnavailableError,
  ReauthorizationRequiredError,
  TokenService,
  type ExpiringEvent,
  type ReauthRequiredEvent,
  type RefreshFailedEvent,
} from '@quickbooks-auth/nestjs';

@Injectable()
export class QuickBooksConnectionAlerts {
  private readonly logger = new Logger(QuickBooksConnectionAlerts.name);

  @OnEvent(QuickBooksAuthEvent.ReauthRequired)
  onReauthRequired(e: ReauthRequiredEvent): void {
    // Tell the customer (email, in-app banner) with e.reconnectUrl; keep e.intuitTid for Intuit support.
    this.logger.warn(`tenant ${e.tenantId} must reconnect realm ${e.realmId} (${e.reason}) intuit_tid=${e.intuitTid} cid=${e.correlationId}`);
  }

  @OnEvent(QuickBooksAuthEvent.Expiring)
  onExpiring(e: ExpiringEvent): void {
    // kind 'refresh_hard': the 5-year cap; only a reconnect before e.expiresAt avoids an outage.
    if (e.kind !== 'access') this.logger.warn(`tenant ${e.tenantId} realm ${e.realmId}: ${e.kind} token expires ${e.expiresAt.toISOString()}`);
  }

  @OnEvent(QuickBooksAuthEvent.RefreshFailed)
  onRefreshFailed(e: RefreshFailedEvent): void {
    // Transient (timeouts, 5xx, 429): the connection stays active and is retried at e.nextAttemptAt.
    this.logger.debug(`refresh failed: ${e.reason} (HTTP ${e.httpStatus}) attempt ${e.failureCount} intuit_tid=${e.intuitTid}`);
  }
}

/** What a request handler does with the typed errors. */
@Injectable()
export class ReportsService {
  constructor(private readonly tokens: TokenService) {}

  async accessTokenOrReconnect(tenantId: string, realmId: string): Promise<{ token: string } | { reconnectUrl: string | null } | { retryAfterMs: number | null }> {
    try {
      return { token: await this.tokens.getAccessToken({ tenantId, realmId }) };
    } catch (err) {
      if (err instanceof ReauthorizationRequiredError) return { reconnectUrl: err.reconnectUrl };
      if (err instanceof QuickBooksUnavailableError) return { retryAfterMs: err.retryAfterMs };
      throw err; // ConnectionNotFoundError, StorageError, ...
    }
  }
}
