import type { z } from 'zod';
import { problemList } from '../config/schema/problem-list';
import type { ApiGovernorOptions, ApiGovernorSharedOptions } from './api-governor-options';
import { apiGovernorOptionsSchema } from './api-governor-options.schema';

export {
  INTUIT_MAX_CONCURRENT_PER_REALM,
  INTUIT_MAX_REQUESTS_PER_MINUTE_PER_REALM,
  BUILDER_TIER_MONTHLY_COREPLUS_CALLS,
} from './api-governor-options.schema';

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

/** The schema's output, flattened to what the governor reads. */
export function toResolvedApiGovernorOptions(g: z.output<typeof apiGovernorOptionsSchema>): ResolvedApiGovernorOptions {
  const { meter, shared, ...limits } = g;
  return { ...limits, shared: shared ?? null, monthlyCorePlusBudget: meter.monthlyCorePlusBudget };
}

/**
 * Validates `apiGovernor` alone (resolveOptions validates it with the rest), pushing one message
 * per bad field, named by its option path and never its value, onto `problems`.
 */
export function resolveApiGovernorOptions(raw: ApiGovernorOptions | undefined, problems: string[]): ResolvedApiGovernorOptions {
  const parsed = apiGovernorOptionsSchema.safeParse(raw);
  if (parsed.success) return toResolvedApiGovernorOptions(parsed.data);
  problems.push(...problemList(parsed.error.issues, undefined, ['apiGovernor']));
  return toResolvedApiGovernorOptions(apiGovernorOptionsSchema.parse(undefined));
}
