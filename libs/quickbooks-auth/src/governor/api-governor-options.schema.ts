import { z } from 'zod';
import { fromEnv, fromText } from '../config/schema/env-binding';
import { addSentence, flag, wholeAtLeast } from '../config/schema/option-fields';
import type { ApiGovernorSharedOptions } from './api-governor-options';

/** Intuit's limit of QBO requests in flight per app and realm (developer.intuit.com, "Limits and throttles"). */
export const INTUIT_MAX_CONCURRENT_PER_REALM = 10;
/** Intuit's limit of QBO requests per minute per realm (same page). */
export const INTUIT_MAX_REQUESTS_PER_MINUTE_PER_REALM = 500;
/** The Builder tier's CorePlus calls per month (blogs.intuit.com, 2026-01-08). */
export const BUILDER_TIER_MONTHLY_COREPLUS_CALLS = 500_000;

/** `QB_API_SHARED_REDIS_URL=redis://…` → a shared Redis limiter. */
const sharedFromUrl = (url: string): ApiGovernorSharedOptions => ({ type: 'redis', url });

const sharedSchema = z.custom<ApiGovernorSharedOptions>().superRefine((s, ctx) => {
  const shared = s as Partial<ApiGovernorSharedOptions> | null;
  if (!shared || shared.type !== 'redis') addSentence(ctx, ['type'], '{apiGovernor.shared.type} must be "redis"');
  else if (!shared.client && (typeof shared.url !== 'string' || !/^rediss?:\/\//.test(shared.url))) {
    addSentence(ctx, [], '{apiGovernor.shared} needs a client or a redis:// (rediss://) url');
  } else if (shared.keyPrefix !== undefined && (typeof shared.keyPrefix !== 'string' || shared.keyPrefix === '')) {
    addSentence(ctx, ['keyPrefix'], '{apiGovernor.shared.keyPrefix} must be a non-empty string');
  }
});

/** `apiGovernor` options: types, defaults (Intuit's limits) and variables in one place. */
export const apiGovernorOptionsSchema = z
  .object({
    enabled: fromEnv(flag(true), 'QB_API_GOVERNOR_ENABLED', fromText.boolean),
    maxConcurrentPerRealm: fromEnv(wholeAtLeast(1, INTUIT_MAX_CONCURRENT_PER_REALM), 'QB_API_MAX_CONCURRENT_PER_REALM', fromText.number),
    maxRequestsPerMinutePerRealm: fromEnv(
      wholeAtLeast(1, INTUIT_MAX_REQUESTS_PER_MINUTE_PER_REALM),
      'QB_API_MAX_REQUESTS_PER_MINUTE_PER_REALM',
      fromText.number,
    ),
    queueTimeoutMs: fromEnv(wholeAtLeast(0, 30_000), 'QB_API_QUEUE_TIMEOUT_MS', fromText.number),
    maxQueuedPerRealm: wholeAtLeast(0, 1000),
    throttleRetries: wholeAtLeast(0, 2),
    throttleBackoffMs: wholeAtLeast(1, 1000),
    shared: fromEnv(sharedSchema, 'QB_API_SHARED_REDIS_URL', sharedFromUrl).optional(),
    meter: z
      .object({
        monthlyCorePlusBudget: fromEnv(
          wholeAtLeast(1, BUILDER_TIER_MONTHLY_COREPLUS_CALLS),
          'QB_API_COREPLUS_MONTHLY_BUDGET',
          fromText.number,
        ),
      })
      .prefault({}),
  })
  .prefault({});
