import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { ConnectionRef, IntuitEnvironment } from '../domain/connection.interface';
import { ConfigurationError } from '../errors/configuration.error';
import type {
  HttpTimeoutOptions,
  QuickBooksAuthModuleOptions,
  SchedulerOptions,
  TenantOverrides,
} from '../interfaces/quickbooks-auth-options.interface';
import type { StorageOptions } from '../auth/storage/storage-options.interface';
import { withOpenId } from '../domain/openid-scope';
import { DEFAULT_SCOPES } from '../quickbooks-auth.constants';
import { createTenantLabeler } from '../metrics/tenant-labeler';
import type { KeyRing } from '../utils/crypto/key-ring';
import { systemClock, type Clock } from '../utils/clock';
import { toResolvedApiGovernorOptions, type ResolvedApiGovernorOptions } from '../governor/resolve-api-governor-options';
import { moduleOptionsSchema } from './schema/module-options.schema';
import { byOptionPath, problemList, type ProblemNaming } from './schema/problem-list';

/** Options after validation, with every default filled in. @internal */
export interface ResolvedQuickBooksAuthOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  environment: IntuitEnvironment;
  scopes: string[];
  keyRing: KeyRing;
  stateSecret: string;
  stateTtlSeconds: number;
  refreshLeadSeconds: number;
  minValiditySeconds: number;
  discoveryUrl: string | null;
  apiBaseUrl: string | null;
  intuitBaseUrl: string | null;
  storage: StorageOptions;
  reconnectUrl: (ref: ConnectionRef) => string | null;
  http: Required<HttpTimeoutOptions>;
  leaseTtlMs: number;
  leaseWaitTimeoutMs: number;
  /**
   * How long a token call may take once sent, as beginCall records it: connect + socket idle
   * timeouts, capped at 0.6 × leaseTtlMs so a heartbeat every leaseTtlMs / 4 always leaves it.
   */
  tokenCallBudgetMs: number;
  reauthPendingMs: number;
  /** Revoke the refresh token a reconnect replaced (opt-in; see the option's doc). */
  revokeReplacedGrants: boolean;
  accessTokenCacheSeconds: number;
  accessTokenCacheMaxEntries: number;
  scheduler: Required<Omit<SchedulerOptions, 'maxTokenCallsPerSecond'>> & { maxTokenCallsPerSecond: number | null };
  tenantOverrides: (tenantId: string) => Promise<TenantOverrides | undefined>;
  instanceId: string;
  clock: Clock;
  hashRealmIdsInLogs: boolean;
  /** Maps a tenant to its bounded metric label, or null when per-tenant metrics are off. */
  metricsTenantLabel: ((tenantId: string) => string) | null;
  /** The per-realm API governor and the monthly call meter (governor/). */
  apiGovernor: ResolvedApiGovernorOptions;
}

/**
 * Validates module options against the options schema, naming every problem by option name and
 * never echoing a value (values may be secrets). Throws ConfigurationError listing all problems
 * at once. `naming` words problems by variable instead (quickBooksOptionsFromEnv).
 */
export function resolveOptions(options: QuickBooksAuthModuleOptions, naming: ProblemNaming = byOptionPath): ResolvedQuickBooksAuthOptions {
  const parsed = moduleOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) throw new ConfigurationError(problemList(parsed.error.issues, naming));
  const o = parsed.data;
  const s = o.scheduler;
  const scheduler = {
    ...s,
    hardExpiryWarningDays: [...s.hardExpiryWarningDays].sort((a, b) => b - a),
    breakerConsecutiveFailures: Math.round(s.breakerConsecutiveFailures),
    maxTokenCallsPerSecond: s.maxTokenCallsPerSecond ?? null,
    // A tick must end well inside the health check's staleness window (3 periods or period + 60 s).
    tickBudgetSeconds: s.tickBudgetSeconds ?? s.tickSeconds + 30,
  };
  const http = o.http;
  const leaseTtlMs = o.leaseTtlMs;
  const tl = o.metricsTenantLabel;
  // A list is its own bound; a function gets 50 distinct values unless told otherwise.
  const maxTenantLabels = tl ? Math.round(tl.maxValues ?? Math.max(50, Array.isArray(tl.tenants) ? tl.tenants.length : 0)) : 0;
  const base = o.intuitBaseUrl ? o.intuitBaseUrl.replace(/\/+$/, '') : null;
  const reconnect = o.reconnectUrl;
  return {
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    redirectUri: o.redirectUri,
    environment: o.environment,
    scopes: withOpenId(o.scopes?.length ? o.scopes : DEFAULT_SCOPES),
    keyRing: o.encryptionKeys,
    stateSecret: o.stateSecret,
    stateTtlSeconds: o.stateTtlSeconds,
    refreshLeadSeconds: o.refreshLeadSeconds,
    minValiditySeconds: o.minValiditySeconds,
    intuitBaseUrl: base,
    // Intuit's two documents (the sandbox one lists its own userinfo host); the emulator serves both.
    discoveryUrl:
      o.discoveryUrl ??
      (base ? `${base}/.well-known/${o.environment === 'production' ? 'openid_configuration' : 'openid_sandbox_configuration'}` : null),
    apiBaseUrl: o.apiBaseUrl ?? base,
    // As given (the schema's copy drops keys it does not know, and a DataSource must stay the host's).
    storage: options.storage,
    reconnectUrl: (ref) =>
      typeof reconnect === 'function'
        ? reconnect(ref)
        : typeof reconnect === 'string'
          ? reconnect.replaceAll('{tenantId}', encodeURIComponent(ref.tenantId)).replaceAll('{realmId}', encodeURIComponent(ref.realmId))
          : null,
    http,
    leaseTtlMs,
    leaseWaitTimeoutMs: o.leaseWaitTimeoutMs,
    tokenCallBudgetMs: Math.floor(Math.min(http.connectTimeoutMs + http.socketTimeoutMs, leaseTtlMs * 0.6)),
    reauthPendingMs: o.reauthPendingMs,
    revokeReplacedGrants: o.revokeReplacedGrants,
    accessTokenCacheSeconds: o.accessTokenCacheSeconds,
    accessTokenCacheMaxEntries: o.accessTokenCacheMaxEntries,
    scheduler,
    tenantOverrides: async (tenantId) => (o.tenantOverrides ? o.tenantOverrides(tenantId) : undefined),
    instanceId: o.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    clock: o.clock ?? systemClock,
    hashRealmIdsInLogs: o.hashRealmIdsInLogs,
    metricsTenantLabel: tl ? createTenantLabeler(tl.tenants, maxTenantLabels) : null,
    apiGovernor: toResolvedApiGovernorOptions(o.apiGovernor),
  };
}
