import type { Provider } from '@nestjs/common';
import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import { collectActiveSnapshot } from './metrics-collector';
import { LATENCY_BUCKETS_SECONDS, QuickBooksMetric as M } from './quickbooks-metrics.constants';
import { QuickBooksMetricsService } from './quickbooks-metrics.service';

/**
 * Metric providers. They register on prom-client's global registry (the host's
 * `PrometheusModule.register()` serves it); the library never registers PrometheusModule itself.
 * Gauges are filled on scrape by `collect()`, which asks the live app's metrics service.
 * @internal
 */
const gauge = (name: string, help: string, labelNames: string[] = []): Provider =>
  makeGaugeProvider({
    name,
    help,
    labelNames,
    collect: () => collectActiveSnapshot(),
  });

export const quickBooksMetricDefinitions: Provider[] = [
  makeCounterProvider({
    name: M.RefreshTotal,
    help: 'QuickBooks token refresh attempts by outcome (success, failure, reauth_required), reason and trigger.',
    labelNames: ['outcome', 'reason', 'trigger'],
  }),
  makeHistogramProvider({
    name: M.RefreshDuration,
    help: 'Latency of successful QuickBooks token refreshes at the Intuit token endpoint, in seconds.',
    labelNames: ['trigger'],
    buckets: LATENCY_BUCKETS_SECONDS,
  }),
  makeCounterProvider({
    name: M.TokenEndpointRequests,
    help: 'Calls to the Intuit token endpoint by grant type and HTTP status ("none" when no response arrived).',
    labelNames: ['grant_type', 'status'],
  }),
  makeCounterProvider({
    name: M.LeaseBusy,
    help: 'Refreshes that found another owner holding the connection lease (contention, not failure).',
    labelNames: ['trigger'],
  }),
  makeCounterProvider({
    name: M.ProtocolEvents,
    help: 'Refresh-protocol safety events: send_refused, inflight_wait, lease_lost_after_send, reauth_parked, drained.',
    labelNames: ['event'],
  }),
  makeCounterProvider({
    name: M.LifecycleEvents,
    help: 'QuickBooks connection lifecycle events by name.',
    labelNames: ['event'],
  }),
  makeCounterProvider({
    name: M.ExpiryWarnings,
    help: 'Token expiry warnings by kind (access, refresh = rolling expiry, refresh_hard = 5-year cap).',
    labelNames: ['kind'],
  }),
  makeCounterProvider({
    name: M.ReconnectWarnings,
    help: 'Reconnect warnings for the 5-year refresh-token hard expiry, by horizon in days; each is sent by one replica only.',
    labelNames: ['horizon_days'],
  }),
  makeCounterProvider({
    name: M.UndecryptableRows,
    help: 'Stored QuickBooks connections whose tokens could not be decrypted, by where they were met (claim, read, list).',
    labelNames: ['operation'],
  }),
  makeCounterProvider({
    name: M.TenantEvents,
    help: 'QuickBooks lifecycle events per tenant or tenant group (opt-in, bounded; "other" for the rest).',
    labelNames: ['tenant', 'event'],
  }),
  gauge(M.BreakerState, 'Refresh circuit breaker state in this process: 1 for the current state.', ['state']),
  gauge(M.Connections, 'QuickBooks connections by status, store-wide.', ['status']),
  gauge(M.AccessTokensExpired, 'Active connections whose access token has expired, store-wide.'),
  gauge(M.AccessTokensExpiringSoon, 'Active connections whose access token expires within 5 minutes, store-wide.'),
  gauge(M.AccessTokenSoonestExpiry, 'Seconds until the soonest access-token expiry among active connections (negative: already past).'),
  gauge(M.RefreshTokenSoonestExpiry, 'Seconds until the soonest rolling refresh-token expiry among active connections.'),
  gauge(M.StaleLeases, 'Refresh leases held past their expiry (a crashed owner), store-wide.'),
  gauge(M.SchedulerEnabled, '1 when this process runs the QuickBooks refresh scheduler.'),
  gauge(M.SchedulerHealthy, '1 when the refresh scheduler ticked recently or is not meant to run here, 0 when stalled.'),
  gauge(M.SchedulerLastTick, "Unix time of the refresh scheduler's last completed tick, in seconds."),
  gauge(M.SchedulerLag, 'How late the oldest due connection was at the last scheduler tick, in seconds.'),
  gauge(M.RefreshesInFlight, 'QuickBooks token refreshes in flight in this process.'),
  gauge(M.StorageUp, '1 when the token store answered the last aggregate query, 0 when it failed.'),
  gauge(M.UndecryptableConnections, 'Distinct QuickBooks connections this process found undecryptable in the last 15 minutes.'),
];

/** @internal The module's metrics: their definitions and the service that feeds them. */
export const quickBooksMetricProviders: Provider[] = [...quickBooksMetricDefinitions, QuickBooksMetricsService];
