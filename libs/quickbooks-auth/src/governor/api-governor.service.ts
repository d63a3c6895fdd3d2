import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { ConnectionRef } from '../domain/connection.interface';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import type { ApiCallCategory } from './api-call-category';
import { ApiGovernorMetrics } from './api-governor-metrics';
import { NO_GOVERNOR_OBSERVER } from './governor-observer';
import { GOVERNOR_WINDOW_MS } from './governor-window';
import { RealmLane, type LaneLimits } from './realm-lane';
import { QUICKBOOKS_SHARED_PERMITS } from './shared-permits.provider';
import type { SharedPermits } from './shared-permits';
import { isThrottled, throttleRetryAfterMs } from './throttle-answer';

/** Per-call settings of a governed call. @publicApi */
export interface GovernedCallOptions {
  /** Aborts the wait in the realm's queue (the call then rejects with the signal's reason); pass it on to your HTTP client to abort the request too. */
  signal?: AbortSignal;
  /** This call's longest queue wait (ms), instead of `apiGovernor.queueTimeoutMs`. */
  queueTimeoutMs?: number;
  /** Metering category for the monthly meter (default `coreplus`, the metered one, when unknown). */
  category?: ApiCallCategory;
}

/** Lanes created between sweeps of idle ones. */
const SWEEP_EVERY = 256;

/**
 * The per-realm API governor: every QBO call made through TokenService.withAccessToken (and so
 * QuickBooksApiClient) waits here for its realm's turn, at most `maxConcurrentPerRealm` in flight
 * and `maxRequestsPerMinutePerRealm` per rolling minute, in arrival order. A 429 / ThrottleExceeded
 * pauses that realm (Retry-After, else jittered) and the call is sent again after the pause.
 * @publicApi
 */
@Injectable()
export class ApiGovernor implements OnApplicationShutdown {
  private readonly lanes = new Map<string, RealmLane>();
  private readonly limits: LaneLimits;
  private created = 0;
  private readonly logger = new Logger(ApiGovernor.name);

  /** @hidden Nest injects it. */
  constructor(
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
    @Optional() private readonly metrics?: ApiGovernorMetrics,
    @Optional() @Inject(QUICKBOOKS_SHARED_PERMITS) private readonly shared?: SharedPermits | null,
  ) {
    const g = options.apiGovernor;
    this.limits = {
      maxConcurrent: g.maxConcurrentPerRealm,
      maxPerWindow: g.maxRequestsPerMinutePerRealm,
      windowMs: GOVERNOR_WINDOW_MS,
      maxQueued: g.maxQueuedPerRealm,
      throttleBackoffMs: g.throttleBackoffMs,
    };
  }

  /** Whether calls are governed (`apiGovernor.enabled`). */
  get enabled(): boolean {
    return this.options.apiGovernor.enabled;
  }

  /**
   * Runs `send` (one request to the QBO API of `ref.realmId`) when the realm's limits allow.
   * @throws QuickBooksApiBusyError the call's turn did not come before its deadline, or the queue is full (nothing was sent).
   * @throws the signal's reason when `call.signal` aborts while it waits.
   * @throws whatever `send` throws; a 429 after `throttleRetries` resends (or past the deadline) is passed on.
   */
  async run<T>(ref: ConnectionRef, send: () => Promise<T>, call: GovernedCallOptions = {}): Promise<T> {
    if (!this.enabled) return send();
    const clock = this.options.clock;
    const deadline = clock.now() + (call.queueTimeoutMs ?? this.options.apiGovernor.queueTimeoutMs);
    const lane = this.laneFor(ref.realmId);
    const category = call.category ?? 'coreplus';
    for (let resends = 0; ; resends++) {
      const permit = await lane.acquire(deadline, call.signal, resends > 0);
      let throttled: { err: unknown; resumeAt: number } | null = null;
      try {
        const result = await send();
        lane.succeeded();
        return result;
      } catch (err) {
        if (!isThrottled(err)) throw err;
        throttled = { err, resumeAt: lane.throttled(throttleRetryAfterMs(err, clock.now())) };
      } finally {
        this.metrics?.called(category);
        permit.release();
      }
      // Throttled: never a token failure. Send again after the pause if the caller can still wait for it.
      const again = resends < this.options.apiGovernor.throttleRetries && throttled.resumeAt < deadline && !call.signal?.aborted;
      this.metrics?.throttled(again ? 'retried' : 'returned');
      if (!again) throw throttled.err;
    }
  }

  /** Callers waiting across all realms in this process. */
  get queued(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.queued;
    return n;
  }

  /**
   * Shutdown, after every onModuleDestroy: requests still being served during a drain keep their
   * turns until then; only the shared limiter's own Redis client is closed here (a request after
   * that falls back to this process's limits).
   */
  async onApplicationShutdown(): Promise<void> {
    await this.shared
      ?.close()
      .catch((err: unknown) => this.logger.warn(`shared API limiter did not close cleanly: ${(err as Error)?.message ?? 'unknown error'}`));
  }

  private laneFor(realmId: string): RealmLane {
    let lane = this.lanes.get(realmId);
    if (lane) return lane;
    if (++this.created % SWEEP_EVERY === 0) this.sweepIdle();
    lane = new RealmLane(realmId, this.limits, this.options.clock, this.metrics ?? NO_GOVERNOR_OBSERVER, this.shared ?? null);
    this.lanes.set(realmId, lane);
    return lane;
  }

  /** Drops lanes with nothing queued, running, counted or paused, so memory follows active realms. */
  private sweepIdle(): void {
    const now = this.options.clock.now();
    for (const [key, lane] of this.lanes) if (lane.isIdle(now)) this.lanes.delete(key);
  }
}
