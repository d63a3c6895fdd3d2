import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { ConnectionRef, IntuitEnvironment } from '../domain/connection.interface';
import { parseDatabaseUrl } from '../auth/storage/typeorm/database-url';
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
import { KeyRing } from '../utils/crypto/key-ring';
import { isWeakSecret } from '../utils/crypto/weak-secret';
import { systemClock, type Clock } from '../utils/clock';
import { resolveApiGovernorOptions, type ResolvedApiGovernorOptions } from '../governor/resolve-api-governor-options';

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

const STORAGE_TYPES = ['typeorm', 'redis', 'file', 'memory', 'custom'];

/** scheduler.hardExpiryWarningDays: whole days, 1 to 1825 (the 5-year cap), no repeats; farthest first. */
function warningHorizons(value: number[] | undefined, problems: string[]): number[] {
  if (value === undefined) return [90, 30, 7];
  const valid = Array.isArray(value) && value.every((d) => Number.isInteger(d) && d >= 1 && d <= 1825) && new Set(value).size === value.length;
  if (!valid) {
    problems.push('scheduler.hardExpiryWarningDays must be a list of distinct whole days between 1 and 1825 (e.g. [90, 30, 7]; [] turns the warnings off)');
    return [90, 30, 7];
  }
  return [...value].sort((a, b) => b - a);
}

/**
 * Validates module options, naming every problem by option name and never echoing a value
 * (values may be secrets). Throws ConfigurationError listing all problems at once.
 */
export function resolveOptions(options: QuickBooksAuthModuleOptions): ResolvedQuickBooksAuthOptions {
  const problems: string[] = [];
  const o = options ?? ({} as QuickBooksAuthModuleOptions);
  const requireString = (name: keyof QuickBooksAuthModuleOptions) => {
    const v = o[name];
    if (typeof v !== 'string' || v.trim() === '') problems.push(`${name} is required`);
  };
  requireString('clientId');
  requireString('clientSecret');
  requireString('redirectUri');
  if (typeof o.redirectUri === 'string' && o.redirectUri && !isHttpUrl(o.redirectUri)) problems.push('redirectUri must be an absolute http(s) URL');
  if (o.environment !== undefined && o.environment !== 'sandbox' && o.environment !== 'production') {
    problems.push('environment must be "sandbox" or "production"');
  }
  if (typeof o.stateSecret !== 'string' || o.stateSecret.length < 32) problems.push('stateSecret is required and must be at least 32 characters');
  else if (isWeakSecret(o.stateSecret)) {
    problems.push('stateSecret is too weak (one character repeated, too few distinct characters, or a repeating or sequential pattern): use 32+ random characters, e.g. `openssl rand -base64 32`');
  }
  for (const url of ['intuitBaseUrl', 'discoveryUrl', 'apiBaseUrl'] as const) {
    if (o[url] !== undefined && !isHttpUrl(o[url] as string)) problems.push(`${url} must be an absolute http(s) URL`);
    // Production tokens and the client secret never cross a network in clear: http only to this host.
    else if (o[url] !== undefined && o.environment === 'production' && isPlainHttpToRemoteHost(o[url] as string)) {
      problems.push(`${url} must use https when environment is "production" (plain http is allowed only to a loopback host: localhost, 127.0.0.0/8, ::1)`);
    }
  }
  const positive = (name: string, value: number | undefined, fallback: number, min = 0) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      problems.push(`${name} must be a number >= ${min}`);
      return fallback;
    }
    return value;
  };
  const refreshLeadSeconds = positive('refreshLeadSeconds', o.refreshLeadSeconds, 1800, 60);
  const minValiditySeconds = positive('minValiditySeconds', o.minValiditySeconds, 300, 0);
  const stateTtlSeconds = positive('stateTtlSeconds', o.stateTtlSeconds, 600, 30);
  const leaseTtlMs = positive('leaseTtlMs', o.leaseTtlMs, 90_000, 1000);
  const leaseWaitTimeoutMs = positive('leaseWaitTimeoutMs', o.leaseWaitTimeoutMs, 30_000, 0);
  const reauthPendingMs = positive('reauthPendingMs', o.reauthPendingMs, 600_000, 0);
  const accessTokenCacheSeconds = positive('accessTokenCacheSeconds', o.accessTokenCacheSeconds, 30, 0);
  const accessTokenCacheMaxEntries = positive('accessTokenCacheMaxEntries', o.accessTokenCacheMaxEntries, 10_000, 1);
  const s = o.scheduler ?? {};
  const scheduler = {
    enabled: s.enabled ?? true,
    tickSeconds: positive('scheduler.tickSeconds', s.tickSeconds, 30, 0.05),
    concurrency: positive('scheduler.concurrency', s.concurrency, 16, 1),
    batchSize: positive('scheduler.batchSize', s.batchSize, 200, 1),
    keepAliveSeconds: positive('scheduler.keepAliveSeconds', s.keepAliveSeconds, 86_400, 60),
    jitterRatio: positive('scheduler.jitterRatio', s.jitterRatio, 0.2, 0),
    proactive: s.proactive ?? ('recent' as const),
    recentWindowSeconds: positive('scheduler.recentWindowSeconds', s.recentWindowSeconds, 7200, 60),
    refreshExpiryWarningSeconds: positive('scheduler.refreshExpiryWarningSeconds', s.refreshExpiryWarningSeconds, 30 * 86_400, 0),
    hardExpiryWarningDays: warningHorizons(s.hardExpiryWarningDays, problems),
    maxTokenCallsPerSecond: s.maxTokenCallsPerSecond === undefined ? null : positive('scheduler.maxTokenCallsPerSecond', s.maxTokenCallsPerSecond, 0, 0.001),
    tickBudgetSeconds: 0,
    breakerConsecutiveFailures: Math.round(positive('scheduler.breakerConsecutiveFailures', s.breakerConsecutiveFailures, 5, 1)),
    breakerHalfOpenSeconds: positive('scheduler.breakerHalfOpenSeconds', s.breakerHalfOpenSeconds, 30, 0.05),
  };
  // A tick must end well inside the health check's staleness window (3 periods or period + 60 s).
  scheduler.tickBudgetSeconds = positive('scheduler.tickBudgetSeconds', s.tickBudgetSeconds, scheduler.tickSeconds + 30, 0.05);
  if (s.enabled !== undefined && typeof s.enabled !== 'boolean') problems.push('scheduler.enabled must be a boolean');
  const h = o.http ?? {};
  const http = {
    connectTimeoutMs: positive('http.connectTimeoutMs', h.connectTimeoutMs, 10_000, 1),
    socketTimeoutMs: positive('http.socketTimeoutMs', h.socketTimeoutMs, 60_000, 1),
    requestTimeoutMs: positive('http.requestTimeoutMs', h.requestTimeoutMs, 15_000, 1),
  };
  if (leaseTtlMs <= http.connectTimeoutMs) problems.push('leaseTtlMs must be longer than http.connectTimeoutMs');
  if (o.revokeReplacedGrants !== undefined && typeof o.revokeReplacedGrants !== 'boolean') problems.push('revokeReplacedGrants must be a boolean');
  if (scheduler.jitterRatio > 1) problems.push('scheduler.jitterRatio must be between 0 and 1');
  if (s.proactive !== undefined && s.proactive !== 'all' && s.proactive !== 'recent') problems.push('scheduler.proactive must be "all" or "recent"');
  // Intuit access tokens live 3600 s: a minimum validity at or above that could never be met.
  if (minValiditySeconds >= 3600) problems.push('minValiditySeconds must be below 3600 (the access-token lifetime)');
  if (refreshLeadSeconds >= 3600) problems.push('refreshLeadSeconds must be below 3600 (the access-token lifetime)');
  if (!o.storage || !STORAGE_TYPES.includes((o.storage as StorageOptions).type)) {
    problems.push(`storage.type must be one of ${STORAGE_TYPES.join(', ')}`);
  } else if (o.storage.type === 'file' && !o.storage.directory) {
    problems.push('storage.directory is required for file storage');
  } else if (o.storage.type === 'typeorm' && !o.storage.dataSource && !o.storage.url && !o.storage.sqlitePath) {
    problems.push('storage needs a dataSource, url or sqlitePath for typeorm storage');
  } else if (o.storage.type === 'custom' && !o.storage.storage) {
    problems.push('storage.storage is required for custom storage');
  }
  if (o.storage?.type === 'typeorm' && !o.storage.dataSource && o.storage.url) {
    const parsed = parseDatabaseUrl(o.storage.url, 'storage.url (DATABASE_URL)');
    if ('problem' in parsed) problems.push(parsed.problem);
  }
  let keyRing: KeyRing | null = null;
  try {
    keyRing = typeof o.encryptionKeys === 'string' || o.encryptionKeys === undefined
      ? KeyRing.parse(o.encryptionKeys as string | undefined, 'encryptionKeys')
      : new KeyRing(o.encryptionKeys);
  } catch (err) {
    problems.push(...(err instanceof ConfigurationError ? err.problems : ['encryptionKeys are invalid']));
  }
  const tl = o.metricsTenantLabel;
  const listed = Array.isArray(tl?.tenants) ? (tl.tenants as readonly unknown[]) : null;
  if (tl !== undefined && !(typeof tl?.tenants === 'function' || listed)) problems.push('metricsTenantLabel.tenants must be a list of tenant ids or a function');
  if (listed) {
    if (listed.length === 0) problems.push('metricsTenantLabel.tenants must not be empty (leave metricsTenantLabel unset to turn per-tenant metrics off)');
    if (!listed.every((t) => typeof t === 'string' && t !== '' && t.length <= 64 && t !== 'other')) {
      problems.push('metricsTenantLabel.tenants entries must be non-empty tenant ids of at most 64 characters, and not "other"');
    }
  }
  // A list is its own bound; a function gets 50 distinct values unless told otherwise.
  const maxTenantLabels = Math.round(positive('metricsTenantLabel.maxValues', tl?.maxValues, Math.max(50, listed?.length ?? 0), 1));
  if (listed && maxTenantLabels < listed.length) problems.push('metricsTenantLabel.maxValues must be at least the number of listed tenants');
  // API governor (issue 17): validated in its own folder, problems named apiGovernor.*.
  const apiGovernor = resolveApiGovernorOptions(o.apiGovernor, problems);
  if (problems.length) throw new ConfigurationError(problems);

  const base = o.intuitBaseUrl ? o.intuitBaseUrl.replace(/\/+$/, '') : null;
  const reconnect = o.reconnectUrl;
  return {
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    redirectUri: o.redirectUri,
    environment: o.environment ?? 'sandbox',
    scopes: withOpenId(o.scopes?.length ? o.scopes : DEFAULT_SCOPES),
    keyRing: keyRing!,
    stateSecret: o.stateSecret,
    stateTtlSeconds,
    refreshLeadSeconds,
    minValiditySeconds,
    intuitBaseUrl: base,
    // Intuit's two documents (the sandbox one lists its own userinfo host); the emulator serves both.
    discoveryUrl: o.discoveryUrl ?? (base ? `${base}/.well-known/${o.environment === 'production' ? 'openid_configuration' : 'openid_sandbox_configuration'}` : null),
    apiBaseUrl: o.apiBaseUrl ?? base,
    storage: o.storage,
    reconnectUrl: (ref) =>
      typeof reconnect === 'function'
        ? reconnect(ref)
        : typeof reconnect === 'string'
          ? reconnect.replaceAll('{tenantId}', encodeURIComponent(ref.tenantId)).replaceAll('{realmId}', encodeURIComponent(ref.realmId))
          : null,
    http,
    leaseTtlMs,
    leaseWaitTimeoutMs,
    tokenCallBudgetMs: Math.floor(Math.min(http.connectTimeoutMs + http.socketTimeoutMs, leaseTtlMs * 0.6)),
    reauthPendingMs,
    revokeReplacedGrants: o.revokeReplacedGrants === true,
    accessTokenCacheSeconds,
    accessTokenCacheMaxEntries,
    scheduler,
    tenantOverrides: async (tenantId) => (o.tenantOverrides ? o.tenantOverrides(tenantId) : undefined),
    instanceId: o.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    clock: o.clock ?? systemClock,
    hashRealmIdsInLogs: o.hashRealmIdsInLogs ?? false,
    metricsTenantLabel: tl ? createTenantLabeler(tl.tenants, maxTenantLabels) : null,
    apiGovernor,
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** An http:// URL whose host is not loopback (the parser has already normalised forms like 127.1). */
function isPlainHttpToRemoteHost(value: string): boolean {
  const u = new URL(value);
  if (u.protocol !== 'http:') return false;
  const host = u.hostname.toLowerCase();
  return !(host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host));
}
