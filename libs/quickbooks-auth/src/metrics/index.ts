export {
  QuickBooksMetric,
  type QuickBooksMetricName,
  type RefreshMetricOutcome,
  KNOWN_REFRESH_REASONS,
  LATENCY_BUCKETS_SECONDS,
} from './quickbooks-metrics.constants';
