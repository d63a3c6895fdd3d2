import { z } from 'zod';
import type { ConnectionRef } from '../../domain/connection.interface';
import { parseDatabaseUrl } from '../../auth/storage/typeorm/database-url';
import { ConfigurationError } from '../../errors/configuration.error';
import { apiGovernorOptionsSchema } from '../../governor/api-governor-options.schema';
import type {
  MetricsTenantLabelOptions,
  QuickBooksAuthModuleOptions,
  TenantOverrides,
} from '../../interfaces/quickbooks-auth-options.interface';
import type { Clock } from '../../utils/clock';
import { KeyRing, type EncryptionKey } from '../../utils/crypto/key-ring';
import { isWeakSecret } from '../../utils/crypto/weak-secret';
import { fromEnv, fromText } from './env-binding';
import { addSentence, atLeast, flag, hostValue, httpUrl, optionalAtLeast, requiredString } from './option-fields';
import { storageOptionsSchema } from './storage-options.schema';

/**
 * The one description of QuickBooksAuthModuleOptions: type checks, defaults, the environment
 * variable of each option that has one, and the wording of every problem. resolveOptions and
 * quickBooksOptionsFromEnv both read it. The public interfaces (with their docs) stay the
 * source of the option types; the assertions at the end keep the two in step at compile time.
 */

const HOUR_SECONDS = 3600;
const belowTokenLifetime = { error: `must be below ${HOUR_SECONDS} (the access-token lifetime)` };

const stateSecret = z.custom<string>().superRefine((v, ctx) => {
  if (typeof v !== 'string' || v.length < 32) ctx.addIssue({ code: 'custom', message: 'is required and must be at least 32 characters' });
  else if (isWeakSecret(v)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'is too weak (one character repeated, too few distinct characters, or a repeating or sequential pattern): use 32+ random characters, e.g. `openssl rand -base64 32`',
    });
  }
});

/** The key ring, parsed once here; KeyRing words its own problems ({encryptionKeys} named). */
const encryptionKeys = z.custom<string | EncryptionKey[]>().transform((v, ctx) => {
  try {
    return typeof v === 'string' || v === undefined ? KeyRing.parse(v, '{encryptionKeys}') : new KeyRing(v, '{encryptionKeys}');
  } catch (err) {
    for (const problem of err instanceof ConfigurationError ? err.problems : ['{encryptionKeys} are invalid'])
      addSentence(ctx, [], problem);
    return z.NEVER;
  }
});

/** Whole days within the 5-year cap, no repeats (resolveOptions sorts them farthest first). */
const hardExpiryWarningDays = z
  .custom<number[]>()
  .refine((v) => Array.isArray(v) && v.every((d) => Number.isInteger(d) && d >= 1 && d <= 1825) && new Set(v).size === v.length, {
    error: 'must be a list of distinct whole days between 1 and 1825 (e.g. [90, 30, 7]; [] turns the warnings off)',
  })
  .default([90, 30, 7]);

const scheduler = z
  .object({
    enabled: fromEnv(flag(true), 'QB_SCHEDULER_ENABLED', fromText.boolean),
    tickSeconds: fromEnv(atLeast(0.05, 30), 'QB_SCHEDULER_TICK_SECONDS', fromText.number),
    concurrency: fromEnv(atLeast(1, 16), 'QB_SCHEDULER_CONCURRENCY', fromText.number),
    batchSize: atLeast(1, 200),
    keepAliveSeconds: atLeast(60, 86_400),
    jitterRatio: atLeast(0, 0.2).pipe(z.number().max(1, { error: 'must be between 0 and 1' })),
    proactive: fromEnv(z.enum(['all', 'recent'], { error: 'must be "all" or "recent"' }).default('recent'), 'QB_SCHEDULER_PROACTIVE'),
    recentWindowSeconds: fromEnv(atLeast(60, 7200), 'QB_SCHEDULER_RECENT_WINDOW_SECONDS', fromText.number),
    refreshExpiryWarningSeconds: atLeast(0, 30 * 86_400),
    hardExpiryWarningDays,
    maxTokenCallsPerSecond: optionalAtLeast(0.001),
    /** Unset: tickSeconds + 30, so a tick ends well inside the health check's staleness window. */
    tickBudgetSeconds: optionalAtLeast(0.05),
    breakerConsecutiveFailures: atLeast(1, 5),
    breakerHalfOpenSeconds: atLeast(0.05, 30),
  })
  .prefault({});

const http = z
  .object({
    connectTimeoutMs: atLeast(1, 10_000),
    socketTimeoutMs: atLeast(1, 60_000),
    requestTimeoutMs: atLeast(1, 15_000),
  })
  .prefault({});

const metricsTenantLabel = z
  .object({
    tenants: fromEnv(
      hostValue<MetricsTenantLabelOptions['tenants']>(
        (v) => typeof v === 'function' || Array.isArray(v),
        'must be a list of tenant ids or a function',
      ),
      'QB_METRICS_TENANTS',
      fromText.list,
    ),
    /** Unset: 50, or the list's length if longer (a list is its own bound). */
    maxValues: optionalAtLeast(1),
  })
  .superRefine((label, ctx) => {
    if (!Array.isArray(label.tenants)) return;
    const listed = label.tenants as readonly unknown[];
    if (listed.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['tenants'],
        message: 'must not be empty (leave metricsTenantLabel unset to turn per-tenant metrics off)',
      });
    if (!listed.every((t) => typeof t === 'string' && t !== '' && t.length <= 64 && t !== 'other')) {
      ctx.addIssue({
        code: 'custom',
        path: ['tenants'],
        message: 'entries must be non-empty tenant ids of at most 64 characters, and not "other"',
      });
    }
    if (typeof label.maxValues === 'number' && label.maxValues >= 1 && Math.round(label.maxValues) < listed.length)
      ctx.addIssue({ code: 'custom', path: ['maxValues'], message: 'must be at least the number of listed tenants' });
  })
  .optional();

const intuitUrl = (env: string) => fromEnv(httpUrl().optional(), env);

export const moduleOptionsSchema = z
  .object({
    clientId: fromEnv(requiredString(), 'QB_CLIENT_ID'),
    clientSecret: fromEnv(requiredString(), 'QB_CLIENT_SECRET'),
    redirectUri: fromEnv(requiredString().pipe(httpUrl()), 'QB_REDIRECT_URI'),
    environment: fromEnv(
      z.enum(['sandbox', 'production'], { error: 'must be "sandbox" or "production"' }).default('sandbox'),
      'QB_ENVIRONMENT',
    ),
    scopes: z.array(z.string(), { error: 'must be a list of scopes' }).optional(),
    encryptionKeys: fromEnv(encryptionKeys, 'QB_ENCRYPTION_KEYS'),
    stateSecret: fromEnv(stateSecret, 'QB_STATE_SECRET'),
    stateTtlSeconds: atLeast(30, 600),
    refreshLeadSeconds: fromEnv(
      atLeast(60, 1800).pipe(z.number().lt(HOUR_SECONDS, belowTokenLifetime)),
      'QB_REFRESH_LEAD_SECONDS',
      fromText.number,
    ),
    minValiditySeconds: fromEnv(
      atLeast(0, 300).pipe(z.number().lt(HOUR_SECONDS, belowTokenLifetime)),
      'QB_MIN_VALIDITY_SECONDS',
      fromText.number,
    ),
    intuitBaseUrl: intuitUrl('QB_INTUIT_BASE_URL'),
    discoveryUrl: intuitUrl('QB_DISCOVERY_URL'),
    apiBaseUrl: intuitUrl('QB_API_BASE_URL'),
    storage: storageOptionsSchema,
    reconnectUrl: fromEnv(
      hostValue<string | ((ref: ConnectionRef) => string)>(
        (v) => typeof v === 'string' || typeof v === 'function',
        'must be a URL template or a function',
      ).optional(),
      'QB_RECONNECT_URL',
    ),
    http,
    leaseTtlMs: atLeast(1000, 90_000),
    leaseWaitTimeoutMs: atLeast(0, 30_000),
    reauthPendingMs: atLeast(0, 600_000),
    revokeReplacedGrants: flag(false),
    accessTokenCacheSeconds: atLeast(0, 30),
    accessTokenCacheMaxEntries: atLeast(1, 10_000),
    scheduler,
    tenantOverrides: hostValue<(tenantId: string) => TenantOverrides | undefined | Promise<TenantOverrides | undefined>>(
      (v) => typeof v === 'function',
      'must be a function',
    ).optional(),
    instanceId: z.string({ error: 'must be a string' }).optional(),
    clock: z.custom<Clock>().optional(),
    hashRealmIdsInLogs: flag(false),
    metricsTenantLabel,
    apiGovernor: apiGovernorOptionsSchema,
  })
  // Checks across options; they run even when another option is bad, so every problem is listed at once.
  .superRefine(
    (o, ctx) => {
      for (const url of ['intuitBaseUrl', 'discoveryUrl', 'apiBaseUrl'] as const) {
        // Production tokens and the client secret never cross a network in clear: http only to this host.
        if (o.environment === 'production' && typeof o[url] === 'string' && isPlainHttpToRemoteHost(o[url])) {
          ctx.addIssue({
            code: 'custom',
            path: [url],
            message:
              'must use https when {environment} is "production" (plain http is allowed only to a loopback host: localhost, 127.0.0.0/8, ::1)',
          });
        }
      }
      const connectTimeoutMs = typeof o.http?.connectTimeoutMs === 'number' ? o.http.connectTimeoutMs : 10_000;
      if (typeof o.leaseTtlMs === 'number' && o.leaseTtlMs <= connectTimeoutMs)
        ctx.addIssue({ code: 'custom', path: ['leaseTtlMs'], message: 'must be longer than {http.connectTimeoutMs}' });
      const storage = o.storage as { type?: unknown; dataSource?: unknown; url?: unknown } | undefined;
      if (storage?.type === 'typeorm' && !storage.dataSource && typeof storage.url === 'string' && storage.url) {
        const parsed = parseDatabaseUrl(storage.url, 'storage.url (DATABASE_URL)');
        if ('problem' in parsed) addSentence(ctx, ['storage', 'url'], parsed.problem);
      }
    },
    { when: () => true },
  );

/** An http:// URL whose host is not loopback (the parser has already normalised forms like 127.1). */
function isPlainHttpToRemoteHost(value: string): boolean {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:') return false;
  const host = u.hostname.toLowerCase();
  return !(host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host));
}

/** The options as the schema hands them on: every default filled in, the key ring parsed. */
export type ParsedModuleOptions = z.output<typeof moduleOptionsSchema>;

// Compile-time: what users write (the documented interfaces) is exactly what the schema takes.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaTakesTheOptions: Same<z.input<typeof moduleOptionsSchema>, QuickBooksAuthModuleOptions> = true;
void schemaTakesTheOptions;
