import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import type { ResolvedQuickBooksAuthOptions } from '../../config/resolved-options';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../../quickbooks-auth.constants';
import type { StoredConnection } from '../../domain/connection.interface';
import { RefreshStatus } from '../refresh/refresh-status.service';
import { TokenRefresher } from '../refresh/token-refresher.service';
import type { TokenStorage } from '../storage/token-storage.interface';
import { UndecryptableConnections } from '../undecryptable-connections.service';
import { GrantRevocations } from '../connect/grant-revocations.service';
import { ExpiryAlerts } from './expiry-alerts.service';
import { IntuitCircuitBreaker } from '../../intuit/intuit-circuit-breaker.service';

/** Running totals of this process's scheduler (tests, bench, debugging). */
export interface RefreshSchedulerCounters {
  ticks: number;
  /** Ticks skipped because the previous one was still running. */
  overlapsSkipped: number;
  claimed: number;
  refreshed: number;
  failed: number;
  reauthRequired: number;
  /** Ticks that stopped claiming because the breaker was open. */
  pausedByBreaker: number;
  /** Due connections skipped because their tokens cannot be decrypted (logged and counted, I8). */
  undecryptable: number;
  /** Ticks started at once because the previous one spent its budget with connections still due. */
  continuedAfterBudget: number;
}

/**
 * Proactive refresh across replicas. Every tick claims due connections from storage (each
 * claim is a lease, so replicas split the work without a leader and never refresh the same
 * connection twice: I1) and refreshes them with bounded concurrency, until nothing is due or
 * the tick's time budget is spent. While the circuit breaker is open it stops claiming; once
 * the open period is over it claims one connection as the half-open probe.
 *
 * The interval is registered with the host's SchedulerRegistry (ScheduleModule.forRoot() in
 * the host): this library never calls forRoot itself, or jobs would run twice.
 */
@Injectable()
export class RefreshScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('QuickBooksAuth');
  private readonly intervalName: string;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopping = false;
  readonly counters: RefreshSchedulerCounters = {
    ticks: 0,
    overlapsSkipped: 0,
    claimed: 0,
    refreshed: 0,
    failed: 0,
    reauthRequired: 0,
    pausedByBreaker: 0,
    undecryptable: 0,
    continuedAfterBudget: 0,
  };

  constructor(
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    private readonly refresher: TokenRefresher,
    private readonly breaker: IntuitCircuitBreaker,
    private readonly alerts: ExpiryAlerts,
    private readonly status: RefreshStatus,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
    private readonly undecryptable: UndecryptableConnections,
    private readonly revocations: GrantRevocations,
    @Optional() private readonly registry?: SchedulerRegistry,
  ) {
    this.intervalName = `quickbooks-auth:refresh:${options.instanceId}`;
  }

  /** Start after every provider is ready (storage connected, key ring loaded). */
  onApplicationBootstrap(): void {
    const { enabled, tickSeconds } = this.options.scheduler;
    this.status.schedulerEnabled = enabled;
    this.status.tickIntervalMs = Math.round(tickSeconds * 1000);
    if (!enabled) return;
    this.timer = setInterval(() => void this.tick(), this.status.tickIntervalMs);
    if (this.registry) {
      this.registry.addInterval(this.intervalName, this.timer);
    } else {
      this.timer.unref();
      this.logger.warn(
        'SchedulerRegistry not found: import ScheduleModule.forRoot() in your app module. Proactive refresh runs on a plain interval for now.',
      );
    }
    this.logger.log(
      `refresh scheduler started: tick ${tickSeconds} s, concurrency ${this.options.scheduler.concurrency}, batch ${this.options.scheduler.batchSize}`,
    );
  }

  /** Stop claiming, then wait for refreshes in flight so no rotated token is left unstored. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.refresher.beginShutdown(); // a write stuck on a dead store gets one lease, not ten minutes
    if (this.timer) {
      if (this.registry) {
        try {
          this.registry.deleteInterval(this.intervalName);
        } catch {
          // already removed by the host's shutdown
        }
      }
      clearInterval(this.timer);
      this.timer = null;
    }
    await this.running;
  }

  /**
   * One tick; a tick that finds the previous one still running does nothing (no overlap). When
   * the scheduler runs on its own timer and a tick spent its budget with connections still due,
   * the next tick starts at once: waiting for the interval left the backlog idle for up to
   * `tickSeconds` after every budget (a third of a large catch-up at the defaults).
   */
  async tick(): Promise<void> {
    if (this.stopping) return;
    if (this.running) {
      this.counters.overlapsSkipped++;
      return;
    }
    let moreDue = false;
    this.running = this.runTick()
      .then((more) => {
        moreDue = more;
      })
      .catch((err) => this.logger.error(`refresh scheduler tick failed: ${(err as Error)?.message ?? 'unknown error'}`))
      .finally(() => {
        this.running = null;
      });
    await this.running;
    if (moreDue && this.timer && !this.stopping) {
      this.counters.continuedAfterBudget++;
      setImmediate(() => void this.tick());
    }
  }

  /**
   * Claims and refreshes as a pipeline: `concurrency` workers pull claimed connections from a
   * local queue, and a new batch is claimed as soon as the queue runs low, so no worker idles
   * while the slowest refresh of a batch finishes. `concurrency` bounds the token calls in flight:
   * a worker moves on once its refresh's call has settled, and the write of the answer goes on
   * without the call slot (at most `concurrency` such writes behind the calls; the tick waits for
   * them). Stops when nothing more is due, the breaker pauses, the tick budget is spent or the app
   * shuts down. True when it stopped on its budget with connections possibly still due.
   */
  private async runTick(): Promise<boolean> {
    const { batchSize, concurrency, tickBudgetSeconds } = this.options.scheduler;
    const started = Date.now();
    const deadline = started + tickBudgetSeconds * 1000;
    this.counters.ticks++;
    let lagMs = 0;
    const queue: Array<{ conn: StoredConnection; owner: string; claimedAt: number; claimStartedAt: number }> = [];
    let exhausted = false;
    let claiming: Promise<void> | null = null;
    // Undecryptable rows met this tick. Leased ones are not handed out again, so they count as
    // progress through the due set; one seen again (a backend that cannot lease it) does not.
    const undecryptableSeen = new Set<string>();
    // Refreshes past their token call, still storing the answer; workers over the bound queue up
    // and each finished write wakes exactly one (a race over every write would wake them all).
    const writing = new Set<Promise<void>>();
    const waitingForWrite: Array<() => void> = [];

    const claimMore = (): Promise<void> => {
      claiming ??= (async () => {
        const mode = this.breaker.claimMode();
        if (mode === 'paused') {
          this.counters.pausedByBreaker++;
          exhausted = true;
          return;
        }
        const limit = mode === 'probe' ? 1 : batchSize;
        const now = this.options.clock.now();
        const owner = this.refresher.newOwner();
        let undecryptableNew = 0;
        // Read before the claim: no later than the store's clock reading the claim records.
        const claimStartedAt = Date.now();
        const claimed = await this.storage.claimDue(
          new Date(now),
          limit,
          owner,
          this.options.leaseTtlMs,
          (row) => {
            // Logged (ids only, rate-limited), counted and shown in health; never refreshed (I8).
            this.counters.undecryptable++;
            this.undecryptable.report(row, 'claim');
            const key = `${row.tenantId}\u0000${row.realmId}`;
            if (!undecryptableSeen.has(key)) undecryptableNew++;
            undecryptableSeen.add(key);
          },
          { beginCalls: true },
        );
        const claimedAt = Date.now();
        this.counters.claimed += claimed.length;
        for (const conn of claimed) {
          lagMs = Math.max(lagMs, now - conn.nextRefreshAt.getTime());
          this.undecryptable.resolved(conn);
        }
        if (mode === 'probe') {
          // Half-open: one probe, refreshed before anything else is claimed; the next claim
          // sees the breaker closed (go on) or open again (stop).
          if (claimed.length === 0) exhausted = true;
          for (const conn of claimed) await this.refreshOne(conn, owner, claimedAt, claimStartedAt);
          return;
        }
        for (const conn of claimed) queue.push({ conn, owner, claimedAt, claimStartedAt });
        // Fewer than asked: nothing more is due right now.
        if (claimed.length + undecryptableNew < limit) exhausted = true;
      })()
        .catch((err) => {
          // Store unreachable: finish what is claimed, try again next tick (health shows it).
          exhausted = true;
          this.logger.warn(`refresh scheduler could not claim due connections: ${(err as Error)?.message ?? 'unknown error'}`);
        })
        .finally(() => {
          claiming = null;
        });
      return claiming;
    };

    const worker = async (): Promise<void> => {
      for (;;) {
        if (queue.length < concurrency && !exhausted && !this.stopping && Date.now() < deadline) {
          const pending = claimMore();
          if (queue.length === 0) {
            await pending; // nothing to do until the claim lands
            if (queue.length === 0) continue; // a probe ran, or nothing was due: decide again
          }
        }
        const item = queue.shift();
        if (!item) {
          if (claiming) {
            await claiming;
            continue;
          }
          return;
        }
        if (this.stopping) {
          // Shutting down: hand the connection back now rather than after the lease expires.
          await this.storage
            .releaseLease(
              { tenantId: item.conn.tenantId, realmId: item.conn.realmId },
              { owner: item.owner, generation: item.conn.leaseGeneration },
            )
            .catch(() => undefined);
          continue;
        }
        let callsSettled!: () => void;
        const callPhase = new Promise<void>((resolve) => (callsSettled = resolve));
        const whole = this.refreshOne(item.conn, item.owner, item.claimedAt, item.claimStartedAt, callsSettled);
        await Promise.race([callPhase, whole]);
        // Past its call: the answer's write goes on without the call slot.
        writing.add(whole);
        void whole.finally(() => {
          writing.delete(whole);
          waitingForWrite.shift()?.();
        });
        while (writing.size > concurrency) await new Promise<void>((wake) => waitingForWrite.push(wake));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await Promise.all(writing);
    // Grants Intuit has not confirmed revoked (revoke_pending disconnects, replaced grants): after
    // the refreshes, a batch per tick, each with its own backoff.
    if (!this.stopping) {
      await this.revocations
        .retryDue()
        .catch((err) =>
          this.logger.warn(`refresh scheduler could not claim pending revocations: ${(err as Error)?.message ?? 'unknown error'}`),
        );
    }
    this.status.lastTickAt = Date.now();
    this.status.lastTickDurationMs = this.status.lastTickAt - started;
    this.status.lastTickLagMs = lagMs;
    return !exhausted && !this.stopping && this.status.lastTickAt >= deadline;
  }

  private async refreshOne(
    conn: StoredConnection,
    owner: string,
    claimedAt: number,
    claimStartedAt: number,
    onCallsSettled?: () => void,
  ): Promise<void> {
    const correlationId = randomUUID();
    this.status.inFlight++;
    try {
      const outcome = await this.refresher.refreshLeased(conn, owner, {
        trigger: 'scheduled',
        // Claimed means due; under the lease nobody else can have refreshed it since.
        isFresh: (c) => c.nextRefreshAt.getTime() > this.options.clock.now(),
        correlationId,
        leasedAt: claimedAt,
        claimStartedAt,
        onCallsSettled,
      });
      switch (outcome.kind) {
        case 'refreshed':
        case 'fresh':
          this.counters.refreshed++;
          await this.alerts.checkRefreshExpiry(outcome.connection, correlationId);
          break;
        case 'transient':
          this.counters.failed++;
          this.alerts.afterFailedRefresh(conn, correlationId, outcome.failure.intuitTid);
          await this.alerts.checkRefreshExpiry(conn, correlationId);
          break;
        case 'reauth_required':
          this.counters.reauthRequired++;
          break;
        default:
          break; // busy / superseded / unavailable: someone else owns this connection now
      }
    } catch (err) {
      this.counters.failed++;
      this.logger.error(`scheduled refresh failed unexpectedly cid=${correlationId}: ${(err as Error)?.message ?? 'unknown error'}`);
      await this.storage
        .releaseLease({ tenantId: conn.tenantId, realmId: conn.realmId }, { owner, generation: conn.leaseGeneration })
        .catch(() => undefined);
    } finally {
      this.status.inFlight--;
    }
  }
}
