import { registerAs } from '@nestjs/config';
import { ConfigurationError } from '../errors/configuration.error';
import type { QuickBooksAuthModuleOptions } from '../interfaces/quickbooks-auth-options.interface';
import { QUICKBOOKS_CONFIG_NAMESPACE } from '../quickbooks-auth.constants';
import { resolveOptions } from './resolved-options';
import { moduleOptionsSchema } from './schema/module-options.schema';
import type { ProblemNaming } from './schema/problem-list';
import { readEnv } from './schema/read-env';

type Env = Record<string, string | undefined>;

/**
 * Reads module options from environment variables. Every bad or missing variable is named in
 * one ConfigurationError; values are never printed (they may be secrets). The variables are
 * those bound in the options schema (config/schema/), which holds the defaults too; this table
 * lists them for readers, and docs/configuration.md has the full one (test/docs checks it
 * against the schema).
 *
 * | variable | meaning |
 * |---|---|
 * | QB_CLIENT_ID, QB_CLIENT_SECRET | Intuit app credentials |
 * | QB_REDIRECT_URI | callback URL registered with Intuit |
 * | QB_ENVIRONMENT | sandbox or production |
 * | QB_ENCRYPTION_KEYS | key ring, newest first: `k2:<base64 32 bytes>,k1:<...>` |
 * | QB_STATE_SECRET | HMAC secret for OAuth state, >= 32 chars |
 * | QB_REFRESH_LEAD_SECONDS | refresh this long before expiry |
 * | QB_MIN_VALIDITY_SECONDS | minimum validity of returned tokens |
 * | QB_STORAGE | typeorm (when unset) \| redis \| file \| memory |
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
  const reading = readEnv(moduleOptionsSchema, env);
  const options = reading.options as unknown as QuickBooksAuthModuleOptions;
  const naming: ProblemNaming = { variableOf: (path) => reading.variables.get(path), fromEnv: true };
  const problems = [...reading.problems.values()];
  try {
    resolveOptions(options, naming);
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    // A variable already refused (QB_STORAGE=nonsense) is not refused again through its option.
    const refused = [...reading.problems.keys()].flatMap((path) => [path, reading.variables.get(path)]).filter(Boolean);
    problems.push(...err.problems.filter((p) => !refused.some((name) => p.startsWith(`${name} `) || p.startsWith(`${name}.`))));
  }
  if (problems.length) throw new ConfigurationError(problems);
  return options;
}

/**
 * `registerAs` config factory: `ConfigModule.forRoot({ load: [quickBooksConfig] })`, then
 * `QuickBooksAuthModule.forRootAsync({ ...quickBooksConfig.asProvider() })`.
 */
export const quickBooksConfig = registerAs(QUICKBOOKS_CONFIG_NAMESPACE, () => quickBooksOptionsFromEnv());
