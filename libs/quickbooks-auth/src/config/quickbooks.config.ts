import { registerAs } from '@nestjs/config';
import { resolve } from 'node:path';
import { ConfigurationError } from '../errors/configuration.error';
import type { QuickBooksAuthModuleOptions } from '../interfaces/quickbooks-auth-options.interface';
import type { StorageOptions } from '../auth/storage/storage-options.interface';
import { QUICKBOOKS_CONFIG_NAMESPACE } from '../quickbooks-auth.constants';
import { resolveOptions } from './resolved-options';

type Env = Record<string, string | undefined>;

/**
 * Reads module options from environment variables. Every bad or missing variable is named in
 * one ConfigurationError; values are never printed (they may be secrets).
 *
 * | variable | meaning |
 * |---|---|
 * | QB_CLIENT_ID, QB_CLIENT_SECRET | Intuit app credentials |
 * | QB_REDIRECT_URI | callback URL registered with Intuit |
 * | QB_ENVIRONMENT | sandbox (default) or production |
 * | QB_ENCRYPTION_KEYS | key ring, newest first: `k2:<base64 32 bytes>,k1:<...>` |
 * | QB_STATE_SECRET | HMAC secret for OAuth state, >= 32 chars |
 * | QB_REFRESH_LEAD_SECONDS | refresh this long before expiry (default 1800) |
 * | QB_MIN_VALIDITY_SECONDS | minimum validity of returned tokens (default 300) |
 * | QB_STORAGE | typeorm (default) \| redis \| file \| memory |
 * | DATABASE_URL / QB_SQLITE_PATH | typeorm target (MySQL or PostgreSQL URL, or SQLite file) |
 * | REDIS_URL, QB_REDIS_KEY_PREFIX | redis storage |
 * | QB_FILE_STORAGE_DIR | file storage directory |
 * | QB_INTUIT_BASE_URL | point everything at another Intuit (the emulator) |
 * | QB_DISCOVERY_URL, QB_API_BASE_URL | explicit overrides |
 * | QB_RECONNECT_URL | reconnect link for ReauthorizationRequiredError (`{tenantId}`, `{realmId}`) |
 * | QB_SCHEDULER_ENABLED, QB_SCHEDULER_TICK_SECONDS, QB_SCHEDULER_CONCURRENCY | proactive refresh |
 * | QB_SCHEDULER_PROACTIVE, QB_SCHEDULER_RECENT_WINDOW_SECONDS | which connections are refreshed ahead (`all` or `recent`) |
 * | QB_METRICS_TENANTS | comma-separated tenant ids that get their own `quickbooks_tenant_events_total` series |
 * | QB_API_GOVERNOR_ENABLED, QB_API_MAX_CONCURRENT_PER_REALM, QB_API_MAX_REQUESTS_PER_MINUTE_PER_REALM, QB_API_QUEUE_TIMEOUT_MS | API governor |
 * | QB_API_SHARED_REDIS_URL | share the governor's limits across replicas in this Redis |
 * | QB_API_COREPLUS_MONTHLY_BUDGET | monthly CorePlus call budget (alerts at 80 % and 95 %) |
 */
export function quickBooksOptionsFromEnv(env: Env = process.env): QuickBooksAuthModuleOptions {
  const problems: string[] = [];
  const num = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n)) {
      problems.push(`${name} must be a number`);
      return undefined;
    }
    return n;
  };
  const storageType = (env.QB_STORAGE ?? 'typeorm').trim();
  let storage: StorageOptions | undefined;
  switch (storageType) {
    case 'typeorm':
      if (env.QB_SQLITE_PATH) storage = { type: 'typeorm', sqlitePath: resolve(env.QB_SQLITE_PATH) };
      else if (env.DATABASE_URL) storage = { type: 'typeorm', url: env.DATABASE_URL };
      else problems.push('DATABASE_URL or QB_SQLITE_PATH is required when QB_STORAGE=typeorm');
      break;
    case 'redis':
      if (!env.REDIS_URL) problems.push('REDIS_URL is required when QB_STORAGE=redis');
      storage = { type: 'redis', url: env.REDIS_URL, keyPrefix: env.QB_REDIS_KEY_PREFIX };
      break;
    case 'file':
      if (!env.QB_FILE_STORAGE_DIR) problems.push('QB_FILE_STORAGE_DIR is required when QB_STORAGE=file');
      storage = { type: 'file', directory: resolve(env.QB_FILE_STORAGE_DIR ?? '.') };
      break;
    case 'memory':
      storage = { type: 'memory' };
      break;
    default:
      problems.push('QB_STORAGE must be one of typeorm, redis, file, memory');
  }
  const env_ = env.QB_ENVIRONMENT;
  if (env_ !== undefined && env_ !== 'sandbox' && env_ !== 'production') problems.push('QB_ENVIRONMENT must be "sandbox" or "production"');
  const proactive = env.QB_SCHEDULER_PROACTIVE;
  if (proactive !== undefined && proactive !== 'all' && proactive !== 'recent') problems.push('QB_SCHEDULER_PROACTIVE must be "all" or "recent"');
  for (const name of ['QB_CLIENT_ID', 'QB_CLIENT_SECRET', 'QB_REDIRECT_URI', 'QB_ENCRYPTION_KEYS', 'QB_STATE_SECRET']) {
    if (!env[name]) problems.push(`${name} is required`);
  }
  const options: QuickBooksAuthModuleOptions = {
    clientId: env.QB_CLIENT_ID ?? '',
    clientSecret: env.QB_CLIENT_SECRET ?? '',
    redirectUri: env.QB_REDIRECT_URI ?? '',
    environment: (env_ as 'sandbox' | 'production' | undefined) ?? 'sandbox',
    encryptionKeys: env.QB_ENCRYPTION_KEYS ?? '',
    stateSecret: env.QB_STATE_SECRET ?? '',
    refreshLeadSeconds: num('QB_REFRESH_LEAD_SECONDS'),
    minValiditySeconds: num('QB_MIN_VALIDITY_SECONDS'),
    intuitBaseUrl: env.QB_INTUIT_BASE_URL || undefined,
    discoveryUrl: env.QB_DISCOVERY_URL || undefined,
    apiBaseUrl: env.QB_API_BASE_URL || undefined,
    reconnectUrl: env.QB_RECONNECT_URL || undefined,
    storage: storage ?? { type: 'memory' },
    metricsTenantLabel: tenantList(env.QB_METRICS_TENANTS),
    scheduler: {
      enabled: env.QB_SCHEDULER_ENABLED === undefined ? undefined : env.QB_SCHEDULER_ENABLED !== 'false',
      tickSeconds: num('QB_SCHEDULER_TICK_SECONDS'),
      concurrency: num('QB_SCHEDULER_CONCURRENCY'),
      proactive: env.QB_SCHEDULER_PROACTIVE as 'all' | 'recent' | undefined,
      recentWindowSeconds: num('QB_SCHEDULER_RECENT_WINDOW_SECONDS'),
    },
    // API governor (issue 17): per deployment environment, e.g. lower limits on a shared sandbox.
    apiGovernor: {
      enabled: env.QB_API_GOVERNOR_ENABLED === undefined || env.QB_API_GOVERNOR_ENABLED === '' ? undefined : env.QB_API_GOVERNOR_ENABLED !== 'false',
      maxConcurrentPerRealm: num('QB_API_MAX_CONCURRENT_PER_REALM'),
      maxRequestsPerMinutePerRealm: num('QB_API_MAX_REQUESTS_PER_MINUTE_PER_REALM'),
      queueTimeoutMs: num('QB_API_QUEUE_TIMEOUT_MS'),
      shared: env.QB_API_SHARED_REDIS_URL ? { type: 'redis', url: env.QB_API_SHARED_REDIS_URL } : undefined,
      meter: { monthlyCorePlusBudget: num('QB_API_COREPLUS_MONTHLY_BUDGET') },
    },
  };
  if (problems.length) {
    // Add option-level problems (key format, URL shapes) that the env names map onto.
    try {
      resolveOptions(options);
    } catch (err) {
      if (err instanceof ConfigurationError) {
        for (const p of err.problems) if (!/is required/.test(p)) problems.push(namingEnv(p));
      }
    }
    throw new ConfigurationError(problems);
  }
  resolveOptionsNamingEnv(options);
  return options;
}

/** Option names as the environment variables that set them, for error messages. */
const ENV_NAMES: Record<string, string> = {
  clientId: 'QB_CLIENT_ID', clientSecret: 'QB_CLIENT_SECRET', redirectUri: 'QB_REDIRECT_URI',
  encryptionKeys: 'QB_ENCRYPTION_KEYS', stateSecret: 'QB_STATE_SECRET', refreshLeadSeconds: 'QB_REFRESH_LEAD_SECONDS',
  minValiditySeconds: 'QB_MIN_VALIDITY_SECONDS', intuitBaseUrl: 'QB_INTUIT_BASE_URL', discoveryUrl: 'QB_DISCOVERY_URL',
  apiBaseUrl: 'QB_API_BASE_URL', environment: 'QB_ENVIRONMENT',
};

/** Governor options (dotted names) as the variables that set them. */
const GOVERNOR_ENV_NAMES: Record<string, string> = {
  'apiGovernor.maxConcurrentPerRealm': 'QB_API_MAX_CONCURRENT_PER_REALM',
  'apiGovernor.maxRequestsPerMinutePerRealm': 'QB_API_MAX_REQUESTS_PER_MINUTE_PER_REALM',
  'apiGovernor.queueTimeoutMs': 'QB_API_QUEUE_TIMEOUT_MS',
  'apiGovernor.shared': 'QB_API_SHARED_REDIS_URL',
  'apiGovernor.meter.monthlyCorePlusBudget': 'QB_API_COREPLUS_MONTHLY_BUDGET',
};

/** A resolveOptions problem naming the variable instead of the option (problems start with the option name). */
function namingEnv(problem: string): string {
  const governor = /^apiGovernor\.[\w.]+/.exec(problem)?.[0];
  if (governor) {
    const name = Object.keys(GOVERNOR_ENV_NAMES).find((k) => governor === k || governor.startsWith(`${k}.`));
    if (name) return problem.replace(governor, GOVERNOR_ENV_NAMES[name]);
  }
  return problem.replace(/^(\w+)/, (m) => ENV_NAMES[m] ?? m).replace(/environment is "production"/, 'QB_ENVIRONMENT is "production"');
}

/** Validate now so a bad value fails at startup, with option names mapped back to env names. */
function resolveOptionsNamingEnv(options: QuickBooksAuthModuleOptions): void {
  try {
    resolveOptions(options);
  } catch (err) {
    if (err instanceof ConfigurationError) throw new ConfigurationError(err.problems.map(namingEnv));
    throw err;
  }
}

/**
 * `registerAs` config factory: `ConfigModule.forRoot({ load: [quickBooksConfig] })`, then
 * `QuickBooksAuthModule.forRootAsync({ ...quickBooksConfig.asProvider() })`.
 */
export const quickBooksConfig = registerAs(QUICKBOOKS_CONFIG_NAMESPACE, () => quickBooksOptionsFromEnv());

/** `QB_METRICS_TENANTS=acme,globex` → per-tenant metrics for those two; unset or empty → off. */
function tenantList(raw: string | undefined): QuickBooksAuthModuleOptions['metricsTenantLabel'] {
  const tenants = (raw ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  return tenants.length ? { tenants } : undefined;
}
