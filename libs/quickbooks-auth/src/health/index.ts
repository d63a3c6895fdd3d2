export { QuickBooksHealthIndicator, STORAGE_PING_TIMEOUT_MS, type QuickBooksHealthDetails } from './quickbooks.health';
export { QuickBooksHealthController } from './quickbooks-health.controller';
export type { BreakerState } from '../intuit/intuit-circuit-breaker.service';
