import type { ApiGovernorOptions, ApiGovernorSharedOptions } from './api-governor-options';

/** Governor options after validation, every default filled in. @internal */
export interface ResolvedApiGovernorOptions {
  enabled: boolean;
  maxConcurrentPerRealm: number;
  maxRequestsPerMinutePerRealm: number;
  queueTimeoutMs: number;
  maxQueuedPerRealm: number;
  throttleRetries: number;
  throttleBackoffMs: number;
  shared: ApiGovernorSharedOptions | null;
  monthlyCorePlusBudget: number;
}

/** Intuit's limit of QBO requests in flight per app and realm (developer.intuit.com, "Limits and throttles"). */
export const INTUIT_MAX_CONCURRENT_PER_REALM = 10;
/** Intuit's limit of QBO requests per minute per realm (same page). */
export const INTUIT_MAX_REQUESTS_PER_MINUTE_PER_REALM = 500;
/** The Builder tier's CorePlus calls per month (blogs.intuit.com, 2026-01-08). */
export const BUILDER_TIER_MONTHLY_COREPLUS_CALLS = 500_000;

/**
 * Validates `apiGovernor`, pushing one message per bad field (named by its option path, never
 * its value) onto `problems`, as resolveOptions does for the rest.
 */
export function resolveApiGovernorOptions(raw: ApiGovernorOptions | undefined, problems: string[]): ResolvedApiGovernorOptions {
  const g = raw ?? {};
  const whole = (name: keyof ApiGovernorOptions, fallback: number, min: number): number => {
    const v = g[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      problems.push(`apiGovernor.${name} must be a whole number >= ${min}`);
      return fallback;
    }
    return v;
  };
  if (g.enabled !== undefined && typeof g.enabled !== 'boolean') problems.push('apiGovernor.enabled must be a boolean');
  const resolved: ResolvedApiGovernorOptions = {
    enabled: g.enabled !== false,
    maxConcurrentPerRealm: whole('maxConcurrentPerRealm', INTUIT_MAX_CONCURRENT_PER_REALM, 1),
    maxRequestsPerMinutePerRealm: whole('maxRequestsPerMinutePerRealm', INTUIT_MAX_REQUESTS_PER_MINUTE_PER_REALM, 1),
    queueTimeoutMs: whole('queueTimeoutMs', 30_000, 0),
    maxQueuedPerRealm: whole('maxQueuedPerRealm', 1000, 0),
    throttleRetries: whole('throttleRetries', 2, 0),
    throttleBackoffMs: whole('throttleBackoffMs', 1000, 1),
    shared: null,
    monthlyCorePlusBudget: BUILDER_TIER_MONTHLY_COREPLUS_CALLS,
  };
  if (g.shared !== undefined) {
    const s = g.shared as Partial<ApiGovernorSharedOptions> | null;
    if (!s || s.type !== 'redis') problems.push('apiGovernor.shared.type must be "redis"');
    else if (!s.client && (typeof s.url !== 'string' || !/^rediss?:\/\//.test(s.url))) problems.push('apiGovernor.shared needs a client or a redis:// (rediss://) url');
    else if (s.keyPrefix !== undefined && (typeof s.keyPrefix !== 'string' || s.keyPrefix === '')) problems.push('apiGovernor.shared.keyPrefix must be a non-empty string');
    else resolved.shared = s as ApiGovernorSharedOptions;
  }
  const budget = g.meter?.monthlyCorePlusBudget;
  if (budget !== undefined) {
    if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1) problems.push('apiGovernor.meter.monthlyCorePlusBudget must be a whole number >= 1');
    else resolved.monthlyCorePlusBudget = budget;
  }
  return resolved;
}
