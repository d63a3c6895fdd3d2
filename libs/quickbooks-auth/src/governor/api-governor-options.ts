/**
 * Shared limiter across replicas: every replica asks one Redis which calls may start, so the
 * realm's limits hold app-wide (docs/configuration.md#api-governor for the trade-off).
 */
export interface ApiGovernorSharedOptions {
  /** Only Redis today. */
  type: 'redis';
  /** Redis URL (`REDIS_URL` style). Ignored when `client` is given. */
  url?: string;
  /** An ioredis client the host already owns (not closed by the module). */
  client?: unknown;
  /** Key prefix (default `qb:gov:`). */
  keyPrefix?: string;
}

/**
 * The per-realm API governor in front of `withAccessToken` and QuickBooksApiClient. Defaults are
 * Intuit's limits: 10 requests in flight and 500 per minute per realm.
 */
export interface ApiGovernorOptions {
  /** Govern calls (default true). Off: calls go straight out, as before. */
  enabled?: boolean;
  /** QBO requests in flight at once per realm (default 10, Intuit's limit). */
  maxConcurrentPerRealm?: number;
  /** QBO requests started per rolling minute per realm (default 500, Intuit's limit). */
  maxRequestsPerMinutePerRealm?: number;
  /** Longest a call waits in its realm's queue before QuickBooksApiBusyError (ms, default 30000). */
  queueTimeoutMs?: number;
  /** Callers waiting per realm before new ones are refused at once with QuickBooksApiBusyError (default 1000). */
  maxQueuedPerRealm?: number;
  /** Times a call answered 429 / ThrottleExceeded is sent again after the realm's back-off, within its deadline (default 2). */
  throttleRetries?: number;
  /** First back-off after a 429 without Retry-After (ms, default 1000; doubles per consecutive 429, jittered, capped at 60 s). */
  throttleBackoffMs?: number;
  /** Share the limits across replicas (default: per process). */
  shared?: ApiGovernorSharedOptions;
  /** Monthly call meter and its budget. */
  meter?: ApiCallMeterOptions;
}

/** The app-wide monthly call meter (Intuit meters CorePlus calls per app per calendar month). */
export interface ApiCallMeterOptions {
  /** CorePlus calls the app may make per month (default 500000, the Builder tier's cap); alerts fire at 80 % and 95 %. */
  monthlyCorePlusBudget?: number;
}
