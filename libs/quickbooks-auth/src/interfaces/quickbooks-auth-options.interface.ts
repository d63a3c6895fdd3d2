import type { ConnectionRef, IntuitEnvironment } from '../domain/connection.interface';
import type { EncryptionKey } from '../utils/crypto/key-ring';
import type { Clock } from '../utils/clock';
import type { StorageOptions } from '../auth/storage/storage-options.interface';
import type { ApiGovernorOptions } from '../governor/api-governor-options';

/** Settings one tenant may override (its own Intuit app, its own lead time). */
export interface TenantOverrides {
  /**
   * This tenant's own Intuit app, given together with `clientSecret`. One without the other is a
   * ConfigurationError at that tenant's next token call (half an override would silently use the
   * module's app instead).
   */
  clientId?: string;
  /** Secret of the tenant's own Intuit app (with `clientId`). */
  clientSecret?: string;
  /** Callback URL registered with the tenant's Intuit app (not validated: a wrong one shows up as an Intuit error). */
  redirectUri?: string;
  /** Refresh lead time for this tenant's connections, from their next refresh. */
  refreshLeadSeconds?: number;
}

/** Timeouts of calls to Intuit. */
export interface HttpTimeoutOptions {
  /** TCP/TLS connect timeout (ms, default 10000). */
  connectTimeoutMs?: number;
  /** Socket idle timeout (ms, default 60000). The token call is never aborted by anything shorter. */
  socketTimeoutMs?: number;
  /** Whole-request timeout for calls that are safe to abort: revoke, userinfo, discovery (ms, default 15000). */
  requestTimeoutMs?: number;
}

/**
 * The proactive refresh scheduler. Every replica with `enabled` claims due connections through
 * the store (leases, SKIP LOCKED), so replicas share the work without a leader.
 */
export interface SchedulerOptions {
  /** Run the proactive refresh scheduler in this process (default true). */
  enabled?: boolean;
  /** Tick interval in seconds (default 30). */
  tickSeconds?: number;
  /** Token calls in flight at once per process (default 16); the writes of received answers go on beside them, at most as many again. */
  concurrency?: number;
  /** Connections claimed per tick (default 200). */
  batchSize?: number;
  /** Idle connections are refreshed at least this often so the rolling refresh token never lapses (default 86400). */
  keepAliveSeconds?: number;
  /** Spread of proactive refreshes, as a fraction of the lead time (default 0.2). */
  jitterRatio?: number;
  /**
   * Which connections are refreshed ahead of expiry (default 'recent'). 'all': every active one,
   * about 48 token calls a day each, used or not. 'recent': only those used within
   * recentWindowSeconds; the others are only kept alive (one refresh per keepAliveSeconds) and
   * their next getAccessToken refreshes on demand. See docs/configuration.md, "Token-call budget".
   */
  proactive?: 'all' | 'recent';
  /** With proactive 'recent': how long after its last use a connection stays refreshed ahead (default 7200, 2 h). */
  recentWindowSeconds?: number;
  /** Alert (daily, per process) when a refresh token's rolling expiry is nearer than this (default 30 days). */
  refreshExpiryWarningSeconds?: number;
  /**
   * Days before a connection's hard expiry (the 5-year cap) at which a reconnect warning goes out
   * (default [90, 30, 7]): one `quickbooks.expiring` event (kind refresh_hard) and one
   * `quickbooks_reconnect_warnings_total` increment per horizon and connection, across all
   * replicas. Whole days, 1 to 1825; `[]` turns them off.
   */
  hardExpiryWarningDays?: number[];
  /** Max token-endpoint calls per second across this process (default unlimited). */
  maxTokenCallsPerSecond?: number;
  /** Longest a tick keeps claiming before it yields to the next one (default tickSeconds + 30). */
  tickBudgetSeconds?: number;
  /** Consecutive transient token-call failures (5xx, 429, network) that open the circuit breaker (default 5). */
  breakerConsecutiveFailures?: number;
  /** Seconds the breaker stays open before one probe call is let through (default 30). */
  breakerHalfOpenSeconds?: number;
}

/**
 * Options of `QuickBooksAuthModule.forRoot` / `forRootAsync`.
 * @publicApi
 */
export interface QuickBooksAuthModuleOptions {
  /** Intuit app client id (`QB_CLIENT_ID`). Required. */
  clientId: string;
  /** Intuit app client secret (`QB_CLIENT_SECRET`). Required; sent only as HTTP Basic to Intuit, never logged. */
  clientSecret: string;
  /** Callback URL registered with Intuit, absolute http(s) (`QB_REDIRECT_URI`). Required. */
  redirectUri: string;
  /** Intuit environment (default sandbox). */
  environment?: IntuitEnvironment;
  /**
   * Scopes asked for at connect (default `com.intuit.quickbooks.accounting openid`). `openid` is
   * always added: the callback verifies Intuit's id_token to bind the code to the realm.
   */
  scopes?: string[];
  /** Key ring, newest first: `k2:<base64>,k1:<base64>` or a list of keys. */
  encryptionKeys: string | EncryptionKey[];
  /** HMAC secret for OAuth `state` (at least 32 characters). */
  stateSecret: string;
  /** Lifetime of a connect `state` in seconds (default 600). */
  stateTtlSeconds?: number;
  /** Refresh this long before the access token expires (default 1800). */
  refreshLeadSeconds?: number;
  /** `getAccessToken` returns a token valid for at least this long (default 300). */
  minValiditySeconds?: number;
  /**
   * Point everything at another Intuit (the emulator): discovery is read from
   * `<intuitBaseUrl>/.well-known/openid_sandbox_configuration` (sandbox) or
   * `…/openid_configuration` (production), as at Intuit, and the QBO API base is `intuitBaseUrl`.
   */
  intuitBaseUrl?: string;
  /** Explicit discovery document URL (overrides the environment default). */
  discoveryUrl?: string;
  /** Explicit QBO API base URL (overrides the environment default). */
  apiBaseUrl?: string;
  /** Where connections live: `typeorm` (MySQL/MariaDB or SQLite), `redis`, `file`, `memory` or `custom`. Required. */
  storage: StorageOptions;
  /** Where customers reconnect; included in `ReauthorizationRequiredError`. `{tenantId}`/`{realmId}` are substituted. */
  reconnectUrl?: string | ((ref: ConnectionRef) => string);
  /** Timeouts of calls to Intuit. */
  http?: HttpTimeoutOptions;
  /** Refresh lease length in ms (default 90000): longer than the slowest token call. */
  leaseTtlMs?: number;
  /** How long `getAccessToken` waits for another replica's refresh (default 30000 ms). */
  leaseWaitTimeoutMs?: number;
  /**
   * How long a connection stays `reauth_pending` when Intuit refuses a refresh token that an
   * earlier, unresolved call also sent (default 600000 ms: the time that call may still spend
   * storing a rotation through a store outage). A rotation stored meanwhile revives it with no
   * customer-facing event; after it, the connection becomes needs_reauth (docs/reliability.md).
   */
  reauthPendingMs?: number;
  /**
   * After a reconnect of a realm that already had tokens, revoke the replaced refresh token at
   * Intuit once the new one is stored (default false). Off by default because Intuit documents a
   * revoke as disconnecting the app from the company: confirm on your sandbox that revoking the
   * replaced token leaves the new connection working before turning it on. Disconnect always revokes.
   */
  revokeReplacedGrants?: boolean;
  /**
   * Keep decrypted access tokens in process memory this long (default 30 s; 0 disables), so the
   * hot path does not touch storage. Bounds how long another replica's disconnect goes unseen.
   */
  accessTokenCacheSeconds?: number;
  /** Bound on cached access tokens per process (default 10000). */
  accessTokenCacheMaxEntries?: number;
  /** Proactive refresh (tick, concurrency, keep-alive, breaker, expiry warnings). */
  scheduler?: SchedulerOptions;
  /** Per-tenant overrides (own Intuit app, own lead time). */
  tenantOverrides?: (tenantId: string) => TenantOverrides | undefined | Promise<TenantOverrides | undefined>;
  /** Name of this process in leases and logs (default hostname:pid:random). */
  instanceId?: string;
  /** Clock for expiry math (tests, emulator demos). */
  clock?: Clock;
  /**
   * Hash realm ids in the module's log lines (default false: realm ids are not secrets, but some
   * teams treat them as PII). Events keep the real realm id: the host's listeners need it to act.
   */
  hashRealmIdsInLogs?: boolean;
  /**
   * Opt-in per-tenant metric `quickbooks_tenant_events_total{tenant, event}` for a bounded set of
   * tenants or tenant groups. Off by default: every other metric has no tenant or realm label.
   */
  metricsTenantLabel?: MetricsTenantLabelOptions;
  /**
   * The per-realm API governor in front of `withAccessToken` and QuickBooksApiClient (default on,
   * Intuit's limits: 10 in flight and 500 per minute per realm), and the monthly call meter.
   */
  apiGovernor?: ApiGovernorOptions;
}

/**
 * Which tenants get their own series. Everyone else, and anything past `maxValues`, is "other",
 * so a growing customer base cannot grow the series count.
 */
export interface MetricsTenantLabelOptions {
  /** Tenant ids labelled by their own id (key accounts), or a function mapping a tenant to a group name (plan, region); null means "other". */
  tenants: readonly string[] | ((tenantId: string) => string | null | undefined);
  /** Most distinct label values per process (default 50, or the list's length if longer); later values are counted as "other". */
  maxValues?: number;
}
