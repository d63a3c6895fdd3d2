import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ResolvedQuickBooksAuthOptions } from '../../config/resolved-options';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../../quickbooks-auth.constants';
import type { ConnectionForAccess } from '../../domain/connection.interface';
import type { ConnectionUse, TokenStorage } from '../storage/token-storage.interface';
import { TenantSettingsService } from '../tenant-settings.service';
import { computeNextRefreshAt } from './refresh-schedule';

/**
 * Records, coarsely, that the app was handed a connection's token, for the proactive 'recent'
 * policy. Called only where getAccessToken has read storage anyway (a cache miss, about once per
 * accessTokenCacheSeconds per connection and process): a cache hit costs nothing. It writes only
 * when the stored lastUsedAt is older than a quarter of the window, so a connection in steady use
 * costs at most about four small writes per window per replica, and never waits for them (fire
 * and forget; a failed write is simply retried at a later read). A connection the scheduler had
 * on keep-alive only is brought forward to its proactive time in the same write.
 */
@Injectable()
export class ConnectionUsage implements OnModuleDestroy {
  private readonly logger = new Logger('QuickBooksAuth');
  /** Writes in flight, so a burst of reads before the first lands does not repeat it. */
  private readonly writing = new Set<string>();
  /** The same writes as promises: shutdown waits for them, so none lands on a closed store. */
  private readonly pending = new Set<Promise<void>>();
  private readonly enabled: boolean;
  private readonly refreshIntervalMs: number;
  private warnedUnsupported = false;

  constructor(
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
    private readonly tenants: TenantSettingsService,
  ) {
    this.enabled = options.scheduler.proactive === 'recent';
    this.refreshIntervalMs = (options.scheduler.recentWindowSeconds * 1000) / 4;
  }

  /** A token of `conn` (just read from storage) is being handed to the app. Never throws, never waits. */
  seen(conn: ConnectionForAccess): void {
    if (!this.enabled || conn.status !== 'active') return;
    const now = this.options.clock.now();
    if (conn.lastUsedAt && now - conn.lastUsedAt.getTime() < this.refreshIntervalMs) return;
    if (typeof this.storage.recordUse !== 'function') {
      if (!this.warnedUnsupported)
        this.logger.warn(`storage ${this.storage.kind} has no recordUse: scheduler.proactive 'recent' acts as 'all'`);
      this.warnedUnsupported = true;
      return;
    }
    const key = `${conn.tenantId}\u0000${conn.realmId}`;
    if (this.writing.has(key)) return;
    this.writing.add(key);
    const write: Promise<void> = this.record(conn, now)
      .catch((err) =>
        this.logger.debug(`could not record a connection use tenant=${conn.tenantId}: ${(err as Error)?.message ?? 'unknown error'}`),
      )
      .finally(() => {
        this.writing.delete(key);
        this.pending.delete(write);
      });
    this.pending.add(write);
  }

  /** Before storage closes (onApplicationShutdown): the use writes still in flight land first (one small write each, never retried). */
  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private async record(conn: ConnectionForAccess, now: number): Promise<void> {
    const ref = { tenantId: conn.tenantId, realmId: conn.realmId };
    await this.storage.recordUse!(ref, { usedAt: new Date(now), pullForward: await this.pullForward(conn, now) });
  }

  /** On keep-alive only (its next refresh later than the proactive time): bring it forward, while the token still has time. */
  private async pullForward(conn: ConnectionForAccess, now: number): Promise<ConnectionUse['pullForward']> {
    const overrides = await this.tenants.overridesFor(conn.tenantId);
    const refreshLeadSeconds = overrides?.refreshLeadSeconds ?? this.options.refreshLeadSeconds;
    // Scheduled ahead already (no later than lead before expiry): nothing to bring forward.
    if (conn.nextRefreshAt.getTime() <= conn.accessTokenExpiresAt.getTime() - refreshLeadSeconds * 1000) return null;
    const refreshAt = computeNextRefreshAt({
      now,
      accessTokenExpiresAt: conn.accessTokenExpiresAt,
      refreshLeadSeconds,
      jitterRatio: this.options.scheduler.jitterRatio,
      keepAliveSeconds: this.options.scheduler.keepAliveSeconds,
    });
    // Already inside the lead (or expired): getAccessToken refreshes it on demand when it must.
    if (refreshAt.getTime() <= now) return null;
    return { accessTokenExpiresAt: conn.accessTokenExpiresAt, refreshAt };
  }
}
