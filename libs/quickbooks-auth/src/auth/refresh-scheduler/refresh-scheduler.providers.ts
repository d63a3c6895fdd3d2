import type { Provider } from '@nestjs/common';
import { ExpiryAlerts } from './expiry-alerts.service';
import { IntuitCircuitBreaker } from './intuit-circuit-breaker.service';
import { RefreshScheduler } from './refresh-scheduler.service';

/** @internal Proactive refresh: the scheduler, the token-call gate (breaker + rate limit), alerts. */
export const refreshSchedulerProviders: Provider[] = [IntuitCircuitBreaker, ExpiryAlerts, RefreshScheduler];

/** @internal Exported to the host (tests and health read them). */
export const refreshSchedulerExports = [IntuitCircuitBreaker, RefreshScheduler];
