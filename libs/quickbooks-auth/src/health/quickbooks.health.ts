import { Inject, Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ConnectionStatus } from '../domain/connection.interface';
import { RefreshStatus } from '../auth/refresh/refresh-status.service';
import type { TokenStorage } from '../auth/storage/token-storage.interface';
import { UndecryptableConnections } from '../auth/undecryptable-connections.service';
import { QUICKBOOKS_TOKEN_STORAGE } from '../quickbooks-auth.constants';
import { StorageStatsCache, type StatsSnapshot } from '../metrics/storage-stats.cache';

/** A readiness probe must answer quickly even when the store hangs. */
export const STORAGE_PING_TIMEOUT_MS = 2_000;

/** What `GET /health/quickbooks` reports under its key: aggregates only, never a tenant, realm or token (I5). */
export interface QuickBooksHealthDetails {
  storage: { backend: string; reachable: boolean; latencyMs: number; error?: 'timeout' | 'unreachable' };
  scheduler: { enabled: boolean; healthy: boolean; lastTickAgeSeconds: number | null; lagSeconds: number; inFlight: number };
  breaker: RefreshStatus['breakerState'];
  connections: Record<ConnectionStatus, number> | 'unavailable';
  accessTokens?: { expired: number; expiringSoon: number };
  staleLeases?: number;
  /** Connections this replica found undecryptable in the last 15 minutes (key removed, row altered). */
  undecryptableConnections: number;
  /** Still up, but something needs an operator: undecryptable connections (only when true). */
  degraded?: true;
  /** What makes it degraded (only when it is). */
  warnings?: string[];
  /** Why the indicator is down (only when it is). */
  problems?: string[];
}

/**
 * Terminus indicator for the QuickBooks connection service in this process.
 *
 * Down only when the service itself cannot work: the token store is unreachable or the refresh
 * scheduler has stalled. An open breaker or tenants needing reauthorization are reported, not
 * fatal: taking every replica out of a load balancer would not fix Intuit or a customer's grant.
 * Connections that cannot be decrypted make it `degraded` (still up, with `warnings`): only those
 * connections are affected, and an operator must act (restore the key, or have them reconnected).
 * @publicApi
 */
@Injectable()
export class QuickBooksHealthIndicator {
  private readonly logger = new Logger(QuickBooksHealthIndicator.name);

  /** @hidden Nest injects it; its parameters are internals. */
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    private readonly status: RefreshStatus,
    private readonly statsCache: StorageStatsCache,
    private readonly undecryptable: UndecryptableConnections,
  ) {}

  /** Store reachable, scheduler running, breaker not open, counts by status; up or down under `key`. */
  async isHealthy<const Key extends string = 'quickbooks'>(key: Key = 'quickbooks' as Key): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.health.check(key);
    const details = await this.details();
    return details.problems ? indicator.down({ ...details }) : indicator.up({ ...details });
  }

  /** The same report without Terminus (for hosts with their own health endpoint). */
  async details(): Promise<QuickBooksHealthDetails> {
    const [storage, snapshot] = await Promise.all([this.pingStorage(), this.stats()]);
    const now = Date.now();
    const s = this.status;
    const scheduler = {
      enabled: s.schedulerEnabled,
      healthy: s.schedulerHealthy(now),
      lastTickAgeSeconds: s.lastTickAt === null ? null : round((now - s.lastTickAt) / 1000),
      lagSeconds: round(s.lastTickLagMs / 1000),
      inFlight: s.inFlight,
    };
    const problems: string[] = [];
    if (!storage.reachable) problems.push(`token storage ${storage.error}`);
    if (!scheduler.healthy) problems.push('refresh scheduler stalled');
    const details: QuickBooksHealthDetails = {
      storage,
      scheduler,
      breaker: s.breakerState,
      connections: snapshot ? { ...snapshot.stats.byStatus } : 'unavailable',
      undecryptableConnections: this.undecryptable.recentCount(),
    };
    if (snapshot) {
      details.accessTokens = { expired: snapshot.stats.accessExpired, expiringSoon: snapshot.stats.accessExpiringSoon };
      details.staleLeases = snapshot.stats.staleLeases;
    }
    if (details.undecryptableConnections > 0) {
      details.degraded = true;
      details.warnings = [`${details.undecryptableConnections} connection(s) cannot be decrypted (key removed or row altered)`];
    }
    if (problems.length) details.problems = problems;
    return details;
  }

  private async pingStorage(): Promise<QuickBooksHealthDetails['storage']> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STORAGE_PING_TIMEOUT_MS);
      timer.unref();
    });
    try {
      const result = await Promise.race([this.storage.ping().then(() => 'ok' as const), timeout]);
      const latencyMs = round(performance.now() - started);
      if (result === 'timeout') return { backend: this.storage.kind, reachable: false, latencyMs, error: 'timeout' };
      return { backend: this.storage.kind, reachable: true, latencyMs };
    } catch (err) {
      // The driver's message goes to the log only: health output is often public.
      this.logger.warn(`token storage ping failed: ${(err as Error)?.message ?? 'unknown error'}`);
      return { backend: this.storage.kind, reachable: false, latencyMs: round(performance.now() - started), error: 'unreachable' };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stats are informative: a slow aggregate query must not fail readiness on its own. */
  private async stats(): Promise<StatsSnapshot | null> {
    try {
      return await this.statsCache.get();
    } catch (err) {
      this.logger.warn(`token storage stats failed: ${(err as Error)?.message ?? 'unknown error'}`);
      return null;
    }
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
