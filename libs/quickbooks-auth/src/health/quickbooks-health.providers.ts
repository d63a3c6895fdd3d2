import type { Provider } from '@nestjs/common';
import { QuickBooksHealthIndicator } from './quickbooks.health';
import { StorageStatsCache } from '../metrics/storage-stats.cache';

/** @internal Health and metrics share the cached storage aggregates. */
export const quickBooksHealthProviders: Provider[] = [StorageStatsCache, QuickBooksHealthIndicator];
