import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import type { StorageStats, TokenStorage } from '../auth/storage/token-storage.interface';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../quickbooks-auth.constants';

/** Access tokens expiring within this window count as "expiring soon" in health and metrics. */
export const ACCESS_EXPIRY_WINDOW_MS = 5 * 60_000;
/** Probes and scrapes arrive every few seconds from every replica: aggregate queries are cached this long. */
export const STATS_CACHE_TTL_MS = 5_000;

export interface StatsSnapshot {
  stats: StorageStats;
  /** App-clock ms when the stats were taken (expiry math is relative to it). */
  takenAt: number;
}

/**
 * Storage aggregates shared by health and metrics, cached a few seconds and de-duplicated while a
 * query is running, so readiness probes and scrapes stay cheap on big tables.
 * @internal
 */
@Injectable()
export class StorageStatsCache {
  private cached: { snapshot: StatsSnapshot; at: number } | null = null;
  private pending: Promise<StatsSnapshot> | null = null;

  constructor(
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
  ) {}

  async get(maxAgeMs = STATS_CACHE_TTL_MS): Promise<StatsSnapshot> {
    if (this.cached && Date.now() - this.cached.at < maxAgeMs) return this.cached.snapshot;
    this.pending ??= this.load().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async load(): Promise<StatsSnapshot> {
    const takenAt = this.options.clock.now();
    const stats = await this.storage.stats(new Date(takenAt), ACCESS_EXPIRY_WINDOW_MS);
    const snapshot = { stats, takenAt };
    this.cached = { snapshot, at: Date.now() };
    return snapshot;
  }
}
