import type { Provider } from '@nestjs/common';
import { ExpiryAlerts } from './expiry-alerts.service';
import { RefreshScheduler } from './refresh-scheduler.service';

/** @internal Proactive refresh: the scheduler and expiry alerts (the token-call gate it reads is the Intuit client's). */
export const refreshSchedulerProviders: Provider[] = [ExpiryAlerts, RefreshScheduler];

/** @internal Exported to the host (tests and health read it). */
export const refreshSchedulerExports = [RefreshScheduler];
