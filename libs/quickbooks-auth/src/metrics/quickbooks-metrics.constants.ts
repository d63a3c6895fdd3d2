/**
 * Every metric the module exports. Names are part of the public contract: the Prometheus rules
 * and the Grafana dashboard under deploy/ depend on them. Labels are bounded: no realm label, and a
 * tenant label only on the opt-in TenantEvents, from a bounded set.
 * @publicApi
 */
export const QuickBooksMetric = {
  /** counter {outcome, reason, trigger}: every refresh attempt that reached Intuit (or the breaker). */
  RefreshTotal: 'quickbooks_token_refresh_total',
  /** histogram {trigger}: token-endpoint latency of successful refreshes. */
  RefreshDuration: 'quickbooks_token_refresh_duration_seconds',
  /** counter {grant_type, status}: every call to Intuit's token endpoint, by HTTP status ("none": no response). */
  TokenEndpointRequests: 'quickbooks_token_endpoint_requests_total',
  /** counter {trigger}: refreshes that found another owner's live lease and waited (contention, not failure). */
  LeaseBusy: 'quickbooks_token_refresh_lease_busy_total',
  /**
   * counter {event}: refresh-protocol safety events (docs/reliability.md): send_refused (a holder
   * whose lease lapsed, or whose token moved, sent nothing), inflight_wait (a new holder waited out an
   * earlier unresolved call), lease_lost_after_send, reauth_parked (reauth_pending), drained (shutdown).
   */
  ProtocolEvents: 'quickbooks_refresh_protocol_events_total',
  /** counter {event}: lifecycle events (connected, refreshed, refresh_failed, reauth_required, revoked, expiring, connection_recovered). */
  LifecycleEvents: 'quickbooks_auth_events_total',
  /** counter {kind}: expiry warnings (access, refresh = rolling expiry, refresh_hard = 5-year cap): a customer must reconnect soon. */
  ExpiryWarnings: 'quickbooks_token_expiry_warnings_total',
  /**
   * counter {horizon_days}: reconnect warnings for the 5-year hard expiry, one per horizon
   * (scheduler.hardExpiryWarningDays) and connection across all replicas: sum over instances.
   */
  ReconnectWarnings: 'quickbooks_reconnect_warnings_total',
  /** gauge {state}: 1 for the refresh circuit breaker's current state (closed, open, half_open). */
  BreakerState: 'quickbooks_circuit_breaker_state',
  /** gauge {status}: connections by status (active, reauth_pending, needs_reauth, revoke_pending, revoked). Store-wide. */
  Connections: 'quickbooks_connections',
  /** gauge: active connections whose access token has expired. Store-wide. */
  AccessTokensExpired: 'quickbooks_access_tokens_expired',
  /** gauge: active connections whose access token expires within 5 minutes. Store-wide. */
  AccessTokensExpiringSoon: 'quickbooks_access_tokens_expiring_soon',
  /** gauge: seconds until the soonest access-token expiry among active connections (negative: past). */
  AccessTokenSoonestExpiry: 'quickbooks_access_token_soonest_expiry_seconds',
  /** gauge: seconds until the soonest rolling refresh-token expiry among active connections (the 5-year cap: ExpiryWarnings). */
  RefreshTokenSoonestExpiry: 'quickbooks_refresh_token_soonest_expiry_seconds',
  /** gauge: refresh leases held past their expiry (a crashed owner). Store-wide. */
  StaleLeases: 'quickbooks_stale_leases',
  /** gauge: 1 when this process runs the refresh scheduler. */
  SchedulerEnabled: 'quickbooks_scheduler_enabled',
  /** gauge: 1 when the scheduler ticked recently (or is not meant to run here), 0 when stalled. */
  SchedulerHealthy: 'quickbooks_scheduler_healthy',
  /** gauge: unix time (s) of the scheduler's last completed tick. */
  SchedulerLastTick: 'quickbooks_scheduler_last_tick_timestamp_seconds',
  /** gauge: how late the oldest due connection was at the last tick. */
  SchedulerLag: 'quickbooks_scheduler_lag_seconds',
  /** gauge: refreshes in flight in this process. */
  RefreshesInFlight: 'quickbooks_refreshes_in_flight',
  /** gauge: 1 when the token store answered the last aggregate query, 0 when it failed. */
  StorageUp: 'quickbooks_storage_up',
  /**
   * counter {operation}: stored rows whose tokens could not be decrypted (key removed from the
   * ring, row altered), by where they were met: claim (the scheduler skipped it), read, list.
   */
  UndecryptableRows: 'quickbooks_undecryptable_rows_total',
  /** gauge: distinct connections this process found undecryptable in the last 15 minutes (health: degraded). */
  UndecryptableConnections: 'quickbooks_undecryptable_connections',
  /**
   * counter {tenant, event}: lifecycle events per tenant or tenant group. Only with the
   * `metricsTenantLabel` option, which bounds the tenant values (see docs/monitoring.md).
   */
  TenantEvents: 'quickbooks_tenant_events_total',
  // API governor and monthly call meter (issue 17; docs/monitoring.md#api-governor).
  /** gauge: QBO API calls waiting in this process's per-realm governor queues. */
  ApiQueueDepth: 'quickbooks_api_queue_depth',
  /** histogram {outcome}: time a QBO API call waited for its turn (granted, queue_timeout, aborted). */
  ApiQueueWait: 'quickbooks_api_queue_wait_duration_seconds',
  /** counter {outcome}: 429 / ThrottleExceeded answers from the QBO API, by what followed (retried, returned). */
  ApiThrottled: 'quickbooks_api_throttled_total',
  /** counter {reason}: calls the governor turned away (queue_timeout, queue_full, aborted). */
  ApiRejections: 'quickbooks_api_governor_rejections_total',
  /** counter {category}: QBO API calls that reached Intuit, by metering category (coreplus, core). */
  ApiCalls: 'quickbooks_api_calls_total',
  /** gauge {category}: this process's QBO API calls in the current calendar month (UTC); sum over replicas. */
  ApiMonthCalls: 'quickbooks_api_month_calls',
  /** gauge {category}: the app's QBO API calls this month counted by every replica in the shared Redis (only with `apiGovernor.shared`). */
  ApiMonthCallsApp: 'quickbooks_api_month_calls_app',
  /** gauge {category}: the monthly call budget (`apiGovernor.meter.monthlyCorePlusBudget` for coreplus). */
  ApiMonthBudget: 'quickbooks_api_month_budget',
} as const;
/** Any Prometheus series name the module registers (the values of `QuickBooksMetric`). */
export type QuickBooksMetricName = (typeof QuickBooksMetric)[keyof typeof QuickBooksMetric];

/** Outcomes of `quickbooks_token_refresh_total`. */
export type RefreshMetricOutcome = 'success' | 'failure' | 'reauth_required';

/**
 * Failure reasons kept as label values; anything else (an unexpected OAuth error string from
 * Intuit) is counted as "other" so a misbehaving server cannot blow up cardinality.
 */
export const KNOWN_REFRESH_REASONS: ReadonlySet<string> = new Set([
  'rotated',
  'same_token',
  'invalid_grant',
  'rotation_response_lost',
  'invalid_client',
  'invalid_request',
  'unauthorized_client',
  'unsupported_grant_type',
  'rate_limited',
  'server_error',
  'network_before_send',
  'network_in_doubt',
  'bad_response',
  'oauth_error',
  'breaker_open',
  'circuit_open',
]);

/** Governor queue waits: from none to the longest a caller may be let wait (minutes). */
export const QUEUE_WAIT_BUCKETS_SECONDS = [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120];

/** Token-endpoint and refresh latencies: Intuit answers in ~0.2-2 s; the tail matters. */
export const LATENCY_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
