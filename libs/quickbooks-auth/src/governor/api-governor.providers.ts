import type { Provider } from '@nestjs/common';
import { ApiGovernorMetrics } from './api-governor-metrics';
import { apiGovernorMetricProviders } from './api-governor-metrics.providers';
import { ApiGovernor } from './api-governor.service';
import { sharedPermitsProvider } from './shared-permits.provider';

/** @internal The governor, its metrics and its optional shared limiter. */
export const apiGovernorProviders: Provider[] = [ApiGovernor, ApiGovernorMetrics, sharedPermitsProvider, ...apiGovernorMetricProviders];

/** @internal What the module exports of it. */
export const apiGovernorExports = [ApiGovernor];
