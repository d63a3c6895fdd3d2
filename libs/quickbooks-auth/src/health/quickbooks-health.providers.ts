import type { Provider } from '@nestjs/common';
import { QuickBooksHealthIndicator } from './quickbooks.health';
import { StorageStatsCache } from './storage-stats.cache';

/** @internal Health and metrics share the cached storage aggregates. */
export const quickBooksHealthProviders: Provider[] = [StorageStatsCache, QuickBooksHealthIndicator];
