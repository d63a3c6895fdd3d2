import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { RefreshStatus } from '../auth/refresh/refresh-status.service';
import type { BreakerState } from '../intuit/intuit-circuit-breaker.service';
import { UndecryptableConnections } from '../auth/undecryptable-connections.service';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { AuthEventsPublisher } from '../events/auth-events.publisher';
import type { InternalSignal } from '../events/internal-signal';
import {
  QuickBooksAuthEvent,
  type ExpiringEvent,
  type QuickBooksAuthEventBase,
  type ReauthRequiredEvent,
  type RefreshedEvent,
  type RefreshFailedEvent,
} from '../events/quickbooks-auth.events';
import { StorageStatsCache } from './storage-stats.cache';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import { isActiveSnapshotCollector, setActiveSnapshotCollector } from './metrics-collector';
import { KNOWN_REFRESH_REASONS, QuickBooksMetric as M } from './quickbooks-metrics.constants';

const BREAKER_STATES: BreakerState[] = ['closed', 'open', 'half_open'];
const EVENT_PREFIX = 'quickbooks.';

/**
 * Feeds the module's Prometheus metrics: counters from the events publisher's internal signal
 * (lifecycle events, token-endpoint calls, refresh-protocol signals, undecryptable rows) as they
 * happen, gauges from RefreshStatus and storage aggregates when Prometheus scrapes.
 * @internal
 */
@Injectable()
export class QuickBooksMetricsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(QuickBooksMetricsService.name);
  private readonly collector = () => this.collect();
  private pending: Promise<void> | null = null;

  constructor(
    @InjectMetric(M.RefreshTotal) private readonly refreshTotal: Counter<string>,
    @InjectMetric(M.RefreshDuration) private readonly refreshDuration: Histogram<string>,
    @InjectMetric(M.TokenEndpointRequests) private readonly tokenEndpoint: Counter<string>,
    @InjectMetric(M.LeaseBusy) private readonly leaseBusy: Counter<string>,
    @InjectMetric(M.ProtocolEvents) private readonly protocolEvents: Counter<string>,
    @InjectMetric(M.LifecycleEvents) private readonly lifecycleEvents: Counter<string>,
    @InjectMetric(M.ExpiryWarnings) private readonly expiryWarnings: Counter<string>,
    @InjectMetric(M.BreakerState) private readonly breakerState: Gauge<string>,
    @InjectMetric(M.Connections) private readonly connections: Gauge<string>,
    @InjectMetric(M.AccessTokensExpired) private readonly accessExpired: Gauge<string>,
    @InjectMetric(M.AccessTokensExpiringSoon) private readonly accessExpiringSoon: Gauge<string>,
    @InjectMetric(M.AccessTokenSoonestExpiry) private readonly accessSoonest: Gauge<string>,
    @InjectMetric(M.RefreshTokenSoonestExpiry) private readonly refreshSoonest: Gauge<string>,
    @InjectMetric(M.StaleLeases) private readonly staleLeases: Gauge<string>,
    @InjectMetric(M.SchedulerEnabled) private readonly schedulerEnabled: Gauge<string>,
    @InjectMetric(M.SchedulerHealthy) private readonly schedulerHealthy: Gauge<string>,
    @InjectMetric(M.SchedulerLastTick) private readonly schedulerLastTick: Gauge<string>,
    @InjectMetric(M.SchedulerLag) private readonly schedulerLag: Gauge<string>,
    @InjectMetric(M.RefreshesInFlight) private readonly inFlight: Gauge<string>,
    @InjectMetric(M.StorageUp) private readonly storageUp: Gauge<string>,
    @InjectMetric(M.TenantEvents) private readonly tenantEvents: Counter<string>,
    @InjectMetric(M.UndecryptableRows) private readonly undecryptableRows: Counter<string>,
    @InjectMetric(M.UndecryptableConnections) private readonly undecryptableConnections: Gauge<string>,
    @InjectMetric(M.ReconnectWarnings) private readonly reconnectWarnings: Counter<string>,
    private readonly events: AuthEventsPublisher,
    private readonly status: RefreshStatus,
    private readonly statsCache: StorageStatsCache,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
    private readonly undecryptable: UndecryptableConnections,
  ) {}

  onModuleInit(): void {
    this.events.listen((signal) => this.onSignal(signal));
    setActiveSnapshotCollector(this.collector);
  }

  onModuleDestroy(): void {
    if (isActiveSnapshotCollector(this.collector)) setActiveSnapshotCollector(null);
  }

  private onSignal(s: InternalSignal): void {
    switch (s.kind) {
      case 'lifecycle':
        return this.onEvent(s.name, s.payload);
      case 'token_call':
        return this.tokenEndpoint.inc({ grant_type: boundedGrant(s.grantType), status: s.status === null ? 'none' : String(s.status) });
      case 'refresh_protocol':
        if (s.signal.kind === 'lease_busy') this.leaseBusy.inc({ trigger: s.signal.trigger });
        else if (s.signal.kind !== 'rotation_received') this.protocolEvents.inc({ event: s.signal.kind });
        return;
      case 'undecryptable_row':
        return this.undecryptableRows.inc({ operation: s.operation });
    }
  }

  private onEvent(name: string, payload: QuickBooksAuthEventBase): void {
    const event = name.startsWith(EVENT_PREFIX) ? name.slice(EVENT_PREFIX.length) : 'other';
    this.lifecycleEvents.inc({ event });
    const tenantLabel = this.options.metricsTenantLabel;
    if (tenantLabel) this.tenantEvents.inc({ tenant: tenantLabel(payload.tenantId), event });
    if (name === QuickBooksAuthEvent.Refreshed) {
      const e = payload as RefreshedEvent;
      this.refreshTotal.inc({ outcome: 'success', reason: e.rotated ? 'rotated' : 'same_token', trigger: e.trigger });
      this.refreshDuration.observe({ trigger: e.trigger }, e.latencyMs / 1000);
    } else if (name === QuickBooksAuthEvent.RefreshFailed) {
      const e = payload as RefreshFailedEvent;
      this.refreshTotal.inc({ outcome: 'failure', reason: boundedReason(e.reason), trigger: e.trigger });
    } else if (name === QuickBooksAuthEvent.ReauthRequired) {
      const e = payload as ReauthRequiredEvent & { trigger?: string };
      this.refreshTotal.inc({ outcome: 'reauth_required', reason: boundedReason(e.reason), trigger: e.trigger ?? 'unknown' });
    } else if (name === QuickBooksAuthEvent.Expiring) {
      const { kind, horizonDays } = payload as ExpiringEvent;
      this.expiryWarnings.inc({ kind: kind === 'access' || kind === 'refresh' || kind === 'refresh_hard' ? kind : 'other' });
      // Bounded: the horizons come from configuration (a handful of whole days).
      if (kind === 'refresh_hard' && Number.isInteger(horizonDays)) this.reconnectWarnings.inc({ horizon_days: String(horizonDays) });
    }
  }

  /** One gauge refresh per scrape even though every gauge's collect() calls it. */
  private collect(): Promise<void> {
    this.pending ??= this.refreshGauges().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async refreshGauges(): Promise<void> {
    const s = this.status;
    for (const state of BREAKER_STATES) this.breakerState.set({ state }, s.breakerState === state ? 1 : 0);
    this.schedulerEnabled.set(s.schedulerEnabled ? 1 : 0);
    this.schedulerHealthy.set(s.schedulerHealthy() ? 1 : 0);
    if (s.lastTickAt === null) this.schedulerLastTick.reset();
    else this.schedulerLastTick.set(s.lastTickAt / 1000);
    this.schedulerLag.set(s.lastTickLagMs / 1000);
    this.inFlight.set(s.inFlight);
    this.undecryptableConnections.set(this.undecryptable.recentCount());

    const storeWide = [
      this.connections,
      this.accessExpired,
      this.accessExpiringSoon,
      this.accessSoonest,
      this.refreshSoonest,
      this.staleLeases,
    ];
    try {
      const { stats } = await this.statsCache.get();
      const now = this.options.clock.now();
      for (const [status, count] of Object.entries(stats.byStatus)) this.connections.set({ status }, count);
      this.accessExpired.set(stats.accessExpired);
      this.accessExpiringSoon.set(stats.accessExpiringSoon);
      this.staleLeases.set(stats.staleLeases);
      // No active connection: no soonest expiry, so no series (an alert on it stays quiet).
      if (stats.soonestAccessExpiry) this.accessSoonest.set((stats.soonestAccessExpiry.getTime() - now) / 1000);
      else this.accessSoonest.reset();
      if (stats.soonestRefreshExpiry) this.refreshSoonest.set((stats.soonestRefreshExpiry.getTime() - now) / 1000);
      else this.refreshSoonest.reset();
      this.storageUp.set(1);
    } catch (err) {
      // Stale store-wide numbers would hide the outage; quickbooks_storage_up = 0 alerts on it.
      for (const g of storeWide) g.reset();
      this.storageUp.set(0);
      this.logger.warn(`token storage stats failed during scrape: ${(err as Error)?.message ?? 'unknown error'}`);
    }
  }
}

function boundedReason(reason: string): string {
  return KNOWN_REFRESH_REASONS.has(reason) ? reason : 'other';
}

function boundedGrant(grant: string): string {
  return grant === 'refresh_token' || grant === 'authorization_code' ? grant : 'other';
}
