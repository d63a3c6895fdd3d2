import type { Provider } from '@nestjs/common';
import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import { QUEUE_WAIT_BUCKETS_SECONDS, QuickBooksMetric as M } from '../metrics/quickbooks-metrics.constants';
import { collectActiveMeter } from './active-meter';

/**
 * The governor's and the meter's metric providers (global prom-client registry, like the rest).
 * The month gauges are filled on scrape so a month's end shows without waiting for a call.
 * @internal
 */
export const apiGovernorMetricProviders: Provider[] = [
  makeGaugeProvider({ name: M.ApiQueueDepth, help: "QBO API calls waiting in this process's per-realm governor queues." }),
  makeHistogramProvider({
    name: M.ApiQueueWait,
    help: 'Time QBO API calls waited for their turn at the per-realm governor, in seconds, by outcome (granted, queue_timeout, aborted).',
    labelNames: ['outcome'],
    buckets: QUEUE_WAIT_BUCKETS_SECONDS,
  }),
  makeCounterProvider({
    name: M.ApiThrottled,
    help: 'QBO API answers 429 / ThrottleExceeded, by what followed (retried, returned).',
    labelNames: ['outcome'],
  }),
  makeCounterProvider({
    name: M.ApiRejections,
    help: 'QBO API calls the governor turned away, by reason (queue_timeout, queue_full, aborted).',
    labelNames: ['reason'],
  }),
  makeCounterProvider({
    name: M.ApiCalls,
    help: 'QBO API calls that reached Intuit, by metering category (coreplus, core).',
    labelNames: ['category'],
  }),
  makeGaugeProvider({
    name: M.ApiMonthCalls,
    help: "This process's QBO API calls in the current calendar month (UTC), by category; sum over replicas.",
    labelNames: ['category'],
    collect: () => collectActiveMeter(),
  }),
  makeGaugeProvider({
    name: M.ApiMonthCallsApp,
    help: "The app's QBO API calls this month (UTC) counted by all replicas in the shared Redis, by category (only with apiGovernor.shared).",
    labelNames: ['category'],
    collect: () => collectActiveMeter(),
  }),
  makeGaugeProvider({
    name: M.ApiMonthBudget,
    help: 'Monthly QBO API call budget by category (coreplus: apiGovernor.meter.monthlyCorePlusBudget).',
    labelNames: ['category'],
    collect: () => collectActiveMeter(),
  }),
];
