import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ResolvedQuickBooksAuthOptions } from '../../config/resolved-options';
import { AuthEventsPublisher } from '../../events/auth-events.publisher';
import type { RefreshTrigger } from '../../events/quickbooks-auth.events';
import { RefreshShutdownError } from '../../errors/refresh-shutdown.error';
import { IntuitOAuthClient, type TokenCallResult } from '../../intuit/intuit-oauth.client';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../../quickbooks-auth.constants';
import type { ConnectionForAccess, ConnectionRef, InflightCall, Lease, StoredConnection } from '../../domain/connection.interface';
import type { TokenStorage } from '../storage/token-storage.interface';
import { TenantSettingsService } from '../tenant-settings.service';
import type { RefreshOutcome } from './refresh-outcome';
import type { RefreshSignal, SendRefusal } from '../../events/refresh-signal';
import { computeNextRefreshAt, usedWithin } from './refresh-schedule';
import { asCallFailure, decidePending, decideRefreshFailure, inDoubtRetryDelayMs, retriesInDoubtAtOnce } from './refresh-failure-policy';
import { persistRetryPolicy, persistRetryStopAt } from './persist-retry';
import { TokenCallLatency } from './token-call-latency';

export interface RefreshRequest {
  trigger: RefreshTrigger;
  /** Under the lease: is the stored token already good enough (someone else refreshed)? */
  isFresh: (conn: StoredConnection) => boolean;
  correlationId?: string;
  /** Wall-clock ms the lease was taken (a scheduler batch claim), when earlier than the call. */
  leasedAt?: number;
  /**
   * Wall-clock ms read before the claim that may have begun the call (claimDue beginCalls): no
   * later than the store's clock reading it recorded. The first send then needs no beginCall
   * write if it starts within leaseTtlMs - tokenCallBudgetMs of this.
   */
  claimStartedAt?: number;
  /**
   * Told once this refresh will send no more token calls (the answer is in, or the call failed or
   * was refused), while its write may still be running: the scheduler frees its call slot then.
   */
  onCallsSettled?: () => void;
  /**
   * The connection as the caller has just read it from storage (on demand: the read that found the
   * token expired). refresh takes the lease on it (AcquireOptions.basis): on MySQL, while the row
   * is still that read, no re-read after the acquisition.
   */
  basis?: ConnectionForAccess;
}

/** Not sent: beginCall or the local send deadline refused (I9). Never counted by the breaker. */
class SendRefused extends Error {
  constructor(readonly reason: SendRefusal) {
    super(`token call not sent: ${reason}`);
  }
}

interface Heartbeat {
  stop(): void;
  /** A renewal answered false: the lease is gone. */
  readonly lost: boolean;
  /** The token call went out (a lost lease after this is logged and counted). */
  markSent(): void;
}

/**
 * One refresh of one connection, safe across processes and replicas (protocol v2,
 * docs/reliability.md): lease with a fencing generation (I1, I9) → wait out an earlier holder's
 * unresolved call → beginCall, one conditional write right before the send, inside the gate →
 * call Intuit → compare-and-swap on the sent token's fingerprint (I2, I3) → on invalid_grant,
 * fenced on generation and fingerprint, park or mark (I4). No lock is held across the HTTP call.
 */
@Injectable()
export class TokenRefresher implements OnModuleDestroy {
  private readonly logger = new Logger(TokenRefresher.name);
  private attemptSeq = 0;
  /** Every refresh running in this process, on demand and scheduled (drained on shutdown). */
  private readonly running = new Map<string, Promise<RefreshOutcome>>();
  private shutdownAt: number | null = null;
  private drained: Promise<void> | null = null;
  /** Token calls as this process sees them: times the polls of a caller waiting for another replica. */
  readonly callLatency = new TokenCallLatency();

  constructor(
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    private readonly intuit: IntuitOAuthClient,
    private readonly tenants: TenantSettingsService,
    private readonly events: AuthEventsPublisher,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
  ) {}

  /** The app is stopping: no new refresh starts here; writes still retrying get one lease more, not the full window. */
  beginShutdown(): void {
    this.shutdownAt ??= Date.now();
  }

  get shuttingDown(): boolean {
    return this.shutdownAt !== null;
  }

  /**
   * Drain (I9): every refresh in flight here, on demand and scheduled, is awaited before storage
   * closes (storage closes in onApplicationShutdown, after every onModuleDestroy), bounded by the
   * token-call budget plus one lease for the write.
   */
  onModuleDestroy(): Promise<void> {
    this.beginShutdown();
    this.drained ??= this.drain();
    return this.drained;
  }

  private async drain(): Promise<void> {
    const started = Date.now();
    const bound = this.options.tokenCallBudgetMs + this.options.leaseTtlMs;
    let count = 0;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), bound);
      timer.unref();
    });
    // Refreshes can join while draining (a scheduler batch finishing): loop until none is left.
    for (;;) {
      const pending = [...this.running.values()];
      if (!pending.length) break;
      count += pending.length;
      if ((await Promise.race([Promise.allSettled(pending), late])) === 'late') break;
    }
    clearTimeout(timer);
    const tookMs = Date.now() - started;
    const leftRunning = this.running.size;
    if (count > 0 || leftRunning > 0) {
      const line = `shutdown drained ${count} refresh(es) in flight in ${tookMs} ms${leftRunning ? `; ${leftRunning} still running after ${bound} ms` : ''}`;
      if (leftRunning) this.logger.warn(line);
      else this.logger.log(line);
    }
    this.signal({ kind: 'drained', count, tookMs, leftRunning });
  }

  /** A lease owner id unique to one attempt in this process. */
  newOwner(): string {
    return `${this.options.instanceId}#${++this.attemptSeq}`;
  }

  /** Take the lease, then refresh. After shutdown began: RefreshShutdownError. */
  async refresh(ref: ConnectionRef, request: RefreshRequest): Promise<RefreshOutcome> {
    if (this.shuttingDown) throw new RefreshShutdownError();
    const owner = this.newOwner();
    // Read before the acquisition, which may begin the call too (one write: lease and call record).
    const claimStartedAt = Date.now();
    const leased = await this.storage.acquireLease(ref, owner, this.options.leaseTtlMs, {
      beginCalls: true,
      ...(request.basis ? { basis: request.basis } : {}),
    });
    if (!leased) {
      const current = await this.storage.get(ref);
      if (!current || (current.status !== 'active' && current.status !== 'reauth_pending'))
        return { kind: 'unavailable', connection: current };
      return this.busy(request.trigger, current);
    }
    return this.refreshLeased(leased, owner, { ...request, claimStartedAt });
  }

  /**
   * A refresh of this connection running in this process (scheduled or on demand), if any:
   * a caller that finds the lease taken by us awaits it instead of polling storage.
   */
  inProgress(ref: ConnectionRef): Promise<unknown> | undefined {
    return this.running.get(runningKey(ref));
  }

  /** Refresh a connection whose lease `owner` already holds (scheduler claims). Always releases it. */
  refreshLeased(conn: StoredConnection, owner: string, request: RefreshRequest): Promise<RefreshOutcome> {
    const key = runningKey(conn);
    const run = this.runLeased(conn, owner, request).finally(() => {
      if (this.running.get(key) === run) this.running.delete(key);
    });
    this.running.set(key, run);
    return run;
  }

  private async runLeased(conn: StoredConnection, owner: string, request: RefreshRequest): Promise<RefreshOutcome> {
    const ref = { tenantId: conn.tenantId, realmId: conn.realmId };
    const lease: Lease = { owner, generation: conn.leaseGeneration };
    const correlationId = request.correlationId ?? randomUUID();
    const leasedAt = request.leasedAt ?? Date.now();
    if (this.shuttingDown) {
      // Claimed just before shutdown: hand it back rather than start a call we may not finish.
      await this.storage.releaseLease(ref, lease).catch(() => undefined);
      return { kind: 'busy' };
    }
    if (conn.status === 'reauth_pending') return this.reconcilePending(conn, lease, correlationId);
    if (request.isFresh(conn)) {
      await this.storage.releaseLease(ref, lease);
      return { kind: 'fresh', connection: conn };
    }
    // Settled before the call: once Intuit has rotated, nothing but the write may fail.
    const { credentials: creds, refreshLeadSeconds } = await this.tenants.settingsFor(conn.tenantId);
    const heartbeat = this.startHeartbeat(ref, lease);
    const prior = unresolvedPriorCall(conn, lease);
    let inDoubtRetried = false;
    for (;;) {
      let result: TokenCallResult;
      try {
        if (prior && !inDoubtRetried) await this.waitOut(conn, prior, leasedAt, heartbeat);
        // The claim's record covers the first send only: a retry records its own call.
        const begunAt = !inDoubtRetried ? begunByClaim(conn, lease, request.claimStartedAt) : null;
        result = await this.intuit.refresh(conn.refreshToken, creds, {
          environment: conn.environment,
          beforeSend: () => this.beforeSend(ref, lease, conn, heartbeat, begunAt),
        });
      } catch (err) {
        if (err instanceof SendRefused) {
          heartbeat.stop();
          request.onCallsSettled?.();
          return this.onRefused(ref, lease, err.reason, request.trigger);
        }
        // A lost answer may hide a rotation: try the same token once more at once (Intuit may still
        // accept it); if it is refused now, the rotation's answer was lost (rotation_response_lost).
        if (retriesInDoubtAtOnce(err, inDoubtRetried, this.shuttingDown)) {
          inDoubtRetried = true;
          this.logger.warn(
            `token call answer lost (${asCallFailure(err).kind}); retrying with the same refresh token cid=${correlationId}`,
          );
          await sleep(inDoubtRetryDelayMs(Math.random));
          continue;
        }
        heartbeat.stop();
        request.onCallsSettled?.();
        return this.onFailure(conn, lease, err, request.trigger, correlationId, { prior, inDoubtRetried });
      }
      request.onCallsSettled?.();
      if (result.tokens.refreshToken !== conn.refreshToken) {
        this.signal({
          kind: 'rotation_received',
          ref,
          sentFingerprint: conn.refreshTokenFingerprint,
          newFingerprint: this.options.keyRing.fingerprint(result.tokens.refreshToken),
        });
      }
      // The heartbeat runs on while the result is stored: a slow write keeps the lease, so no
      // other replica spends the old refresh token meanwhile.
      try {
        return await this.onSuccess(conn, lease, result, refreshLeadSeconds, request.trigger, correlationId);
      } finally {
        heartbeat.stop();
      }
    }
  }

  /**
   * Inside the gate, right before the call: a lost heartbeat cancels the send; beginCall records
   * the call (owner, generation, fingerprint, active, lease >= budget, no unresolved earlier call);
   * a lease that only needed renewing gets one renewal and one more try. Then a local deadline:
   * the send must start while the renewed lease still covers the whole call budget.
   */
  private async beforeSend(
    ref: ConnectionRef,
    lease: Lease,
    conn: StoredConnection,
    heartbeat: Heartbeat,
    begunAt: number | null,
  ): Promise<void> {
    if (heartbeat.lost) throw new SendRefused('lease_lost');
    if (this.shuttingDown && this.drainBudgetLeft() < this.options.tokenCallBudgetMs) throw new SendRefused('shutdown');
    // Begun by our claim (same checks, same write): while the claim's lease still covers the whole
    // call budget, send as is; the heartbeat has kept the lease, and its loss was checked above.
    if (begunAt !== null && Date.now() - begunAt <= this.options.leaseTtlMs - this.options.tokenCallBudgetMs) {
      heartbeat.markSent();
      return;
    }
    const call = {
      fingerprint: conn.refreshTokenFingerprint,
      callBudgetMs: this.options.tokenCallBudgetMs,
      ttlMs: this.options.leaseTtlMs,
    };
    let beganAt = Date.now();
    // A store that cannot record the call means nothing may be sent: not sent, so not in doubt.
    const begin = () => this.storage.beginCall(ref, lease, call).catch(() => Promise.reject(new SendRefused('store_unavailable')));
    if (!(await begin())) {
      const reason = await this.whyRefused(ref, lease, conn);
      if (reason !== 'lease_short' || !(await this.storage.renewLease(ref, lease, this.options.leaseTtlMs).catch(() => false)))
        throw new SendRefused(reason);
      beganAt = Date.now();
      if (!(await begin())) throw new SendRefused(await this.whyRefused(ref, lease, conn));
    }
    if (Date.now() - beganAt > this.options.leaseTtlMs - this.options.tokenCallBudgetMs) throw new SendRefused('send_deadline');
    heartbeat.markSent();
  }

  /** Re-read after a refused beginCall, to say why (and whether a renewal would help). */
  private async whyRefused(ref: ConnectionRef, lease: Lease, sent: StoredConnection): Promise<SendRefusal> {
    let now: StoredConnection | null;
    try {
      now = await this.storage.get(ref);
    } catch {
      return 'store_unavailable';
    }
    if (!now || now.status !== 'active' || now.refreshTokenFingerprint !== sent.refreshTokenFingerprint) return 'moved';
    if (now.leaseOwner !== lease.owner || now.leaseGeneration !== lease.generation) return 'lease_lost';
    const prior = unresolvedPriorCall(now, lease);
    if (prior) return 'inflight';
    return 'lease_short';
  }

  /** A new holder found an earlier holder's call unresolved: wait until its budget has passed (store clock, measured from our lease). */
  private async waitOut(conn: StoredConnection, prior: InflightCall, leasedAt: number, heartbeat: Heartbeat): Promise<void> {
    const ref = { tenantId: conn.tenantId, realmId: conn.realmId };
    // conn.updatedAt is the store's clock when our lease was taken.
    const waitMs = prior.deadlineAt.getTime() - conn.updatedAt.getTime() - (Date.now() - leasedAt) + 50;
    if (waitMs <= 0) return;
    this.logger.warn(
      `an earlier refresh of this connection may still be answered; waiting ${Math.ceil(waitMs / 1000)} s before sending the same token tenant=${conn.tenantId} realm=${this.events.realmForLogs(conn.realmId)}`,
    );
    const started = Date.now();
    while (Date.now() - started < waitMs) {
      if (this.shuttingDown) throw new SendRefused('shutdown');
      if (heartbeat.lost) throw new SendRefused('lease_lost');
      await sleep(Math.min(250, waitMs - (Date.now() - started)));
    }
    this.signal({ kind: 'inflight_wait', ref, waitedMs: Date.now() - started });
  }

  private async onRefused(ref: ConnectionRef, lease: Lease, reason: SendRefusal, trigger: RefreshTrigger): Promise<RefreshOutcome> {
    this.signal({ kind: 'send_refused', ref, reason });
    await this.storage.releaseLease(ref, lease).catch(() => undefined);
    if (reason === 'moved') return { kind: 'superseded' };
    return this.busy(trigger);
  }

  /** A parked connection whose lease we hold: still inside its wait, or reconciled now (I9). */
  private async reconcilePending(conn: StoredConnection, lease: Lease, correlationId: string): Promise<RefreshOutcome> {
    const ref = { tenantId: conn.tenantId, realmId: conn.realmId };
    const now = this.options.clock.now();
    const decision = decidePending(conn, now);
    if (decision.kind === 'wait') {
      await this.storage.releaseLease(ref, lease).catch(() => undefined);
      return { kind: 'pending', retryAfterMs: decision.waitMs };
    }
    const { reason } = decision;
    const marked = await this.storage.markNeedsReauth(ref, lease, {
      fingerprint: conn.refreshTokenFingerprint,
      errorCode: reason,
      pendingUntil: null,
    });
    if (!marked) {
      await this.storage.releaseLease(ref, lease).catch(() => undefined);
      return { kind: 'superseded' };
    }
    this.events.reauthRequired({
      ...ref,
      correlationId,
      intuitTid: null,
      at: new Date(now),
      reason,
      reconnectUrl: this.options.reconnectUrl(ref),
    });
    return { kind: 'reauth_required', reason };
  }

  /**
   * Proactive 'recent' policy: a refresh of a connection not used within the window schedules
   * only the keep-alive. A refresh on demand (or after a 401) is a use by definition; a scheduled
   * one, or a Disconnect URL check, is not. A custom store without recordUse cannot tell, so it
   * stays on 'all'.
   */
  private keptAliveOnly(conn: StoredConnection, trigger: RefreshTrigger): boolean {
    const { proactive, recentWindowSeconds } = this.options.scheduler;
    if (proactive !== 'recent' || trigger === 'on_demand' || trigger === 'forced_401' || typeof this.storage.recordUse !== 'function')
      return false;
    return !usedWithin(conn.lastUsedAt, this.options.clock.now(), recentWindowSeconds);
  }

  private async onSuccess(
    conn: StoredConnection,
    lease: Lease,
    result: TokenCallResult,
    refreshLeadSeconds: number,
    trigger: RefreshTrigger,
    correlationId: string,
  ): Promise<RefreshOutcome> {
    const ref = { tenantId: conn.tenantId, realmId: conn.realmId };
    const { tokens } = result;
    const nextRefreshAt = computeNextRefreshAt({
      now: this.options.clock.now(),
      accessTokenExpiresAt: tokens.accessTokenExpiresAt,
      refreshLeadSeconds,
      jitterRatio: this.options.scheduler.jitterRatio,
      keepAliveSeconds: this.options.scheduler.keepAliveSeconds,
      idle: this.keptAliveOnly(conn, trigger),
    });
    // I2: the new refresh token is stored before any access token from this response is used.
    let tries = 0;
    const stored = await this.persistWithRetry(async () => {
      tries++;
      const swapped = await this.storage.compareAndSwapTokens(ref, conn.refreshTokenFingerprint, { ...tokens, nextRefreshAt }, lease, conn);
      if (swapped || tries === 1) return swapped;
      // A retry that finds the fence moved: did our earlier attempt commit before its answer was lost?
      const current = await this.storage.get(ref);
      return current && current.refreshToken === tokens.refreshToken && current.accessToken === tokens.accessToken ? current : null;
    }, correlationId);
    if (!stored) {
      // The chain moved on (reconnect or a takeover stored newer tokens), or a late non-rotating
      // answer lost its lease generation. Ours are not newer.
      this.logger.warn(
        `refresh result not stored: a newer token was stored meanwhile tenant=${conn.tenantId} realm=${this.events.realmForLogs(conn.realmId)} cid=${correlationId}`,
      );
      await this.storage.releaseLease(ref, lease).catch(() => undefined);
      return { kind: 'superseded' };
    }
    if (conn.status !== 'active' || stored.status !== conn.status) {
      // reauth_pending (or needs_reauth) revived by the rotation it was waiting for.
      this.logger.log(
        `connection revived by a stored rotation tenant=${conn.tenantId} realm=${this.events.realmForLogs(conn.realmId)} cid=${correlationId}`,
      );
    }
    if (result.clockSkewMs !== null && Math.abs(result.clockSkewMs) > 60_000) {
      this.logger.warn(
        `clock skew with Intuit of ${Math.round(result.clockSkewMs / 1000)} s (expiries are computed from request time, so tokens stay safe)`,
      );
    }
    this.callLatency.observe(result.latencyMs);
    this.events.refreshed({
      ...ref,
      correlationId,
      intuitTid: result.intuitTid,
      at: new Date(this.options.clock.now()),
      rotated: stored.refreshTokenFingerprint !== conn.refreshTokenFingerprint,
      trigger,
      accessTokenExpiresAt: stored.accessTokenExpiresAt,
      refreshTokenExpiresAt: stored.refreshTokenExpiresAt,
      latencyMs: result.latencyMs,
    });
    return { kind: 'refreshed', connection: stored };
  }

  private async onFailure(
    conn: StoredConnection,
    lease: Lease,
    err: unknown,
    trigger: RefreshTrigger,
    correlationId: string,
    context: { prior: InflightCall | null; inDoubtRetried: boolean },
  ): Promise<RefreshOutcome> {
    const ref = { tenantId: conn.tenantId, realmId: conn.realmId };
    const failure = asCallFailure(err);
    if (failure !== err) {
      this.logger.error(`unexpected error during refresh cid=${correlationId}: ${(err as Error)?.message ?? 'unknown'}`);
    }
    const now = this.options.clock.now();
    const decision = decideRefreshFailure({
      failure,
      stored: conn,
      priorCallSeen: context.prior !== null,
      inDoubtRetried: context.inDoubtRetried,
      now,
      reauthPendingMs: this.options.reauthPendingMs,
      random: Math.random,
    });
    if (decision.kind === 'refused') {
      const { reason, pendingUntil } = decision;
      // I4 + I9: only while the token we sent is still stored and our lease generation holds.
      const changed = await this.storage.markNeedsReauth(ref, lease, {
        fingerprint: conn.refreshTokenFingerprint,
        errorCode: reason,
        pendingUntil,
      });
      if (!changed) {
        await this.storage.releaseLease(ref, lease).catch(() => undefined);
        return { kind: 'superseded' };
      }
      if (pendingUntil) {
        this.signal({ kind: 'reauth_parked', ref });
        this.logger.warn(
          `refresh token refused while an earlier call with it is unresolved: parked as reauth_pending for ${Math.round(this.options.reauthPendingMs / 1000)} s tenant=${conn.tenantId} realm=${this.events.realmForLogs(conn.realmId)} cid=${correlationId}`,
        );
        return { kind: 'pending', retryAfterMs: this.options.reauthPendingMs };
      }
      this.events.reauthRequired({
        ...ref,
        correlationId,
        intuitTid: failure.intuitTid,
        at: new Date(now),
        reason,
        reconnectUrl: this.options.reconnectUrl(ref),
      });
      return { kind: 'reauth_required', reason };
    }
    const { failureCount, nextAttemptAt, retryAfterMs } = decision;
    await this.storage
      .recordFailure(ref, lease, { failureCount, nextAttemptAt, lastErrorCode: decision.lastErrorCode })
      .catch((e) => this.logger.warn(`could not record refresh failure cid=${correlationId}: ${(e as Error).message}`));
    this.events.refreshFailed({
      ...ref,
      correlationId,
      intuitTid: failure.intuitTid,
      at: new Date(now),
      trigger,
      reason: decision.reason,
      httpStatus: failure.httpStatus,
      failureCount,
      nextAttemptAt,
    });
    return { kind: 'transient', failure, retryAfterMs };
  }

  /** Storage outages must not lose a token Intuit already rotated: retry the write (persist-retry.ts: window, delays, give-up). */
  private async persistWithRetry<T>(write: () => Promise<T>, correlationId: string): Promise<T> {
    const startedAt = Date.now();
    const { leaseTtlMs, tokenCallBudgetMs } = this.options;
    // Read at each failure: a shutdown that begins meanwhile shortens the budget.
    const policy = persistRetryPolicy(() => persistRetryStopAt({ startedAt, shutdownAt: this.shutdownAt, leaseTtlMs, tokenCallBudgetMs }));
    const retrying = policy.onRetry((r) => {
      const message = 'error' in r ? (r.error as Error).message : 'unknown';
      this.logger.warn(`storing refreshed tokens failed, retrying in ${r.delay} ms cid=${correlationId}: ${message}`);
    });
    try {
      return await policy.execute(write);
    } catch (err) {
      this.logger.error(
        `refreshed tokens could not be stored before giving up; the connection may need reconnecting cid=${correlationId}: ${(err as Error).message}`,
      );
      throw err;
    } finally {
      retrying.dispose();
    }
  }

  /** What is left of the drain bound (shutdown only). */
  private drainBudgetLeft(): number {
    if (this.shutdownAt === null) return Infinity;
    return this.shutdownAt + this.options.tokenCallBudgetMs + this.options.leaseTtlMs - Date.now();
  }

  private busy(trigger: RefreshTrigger, holder?: StoredConnection): RefreshOutcome {
    this.signal({ kind: 'lease_busy', trigger });
    return holder ? { kind: 'busy', connection: holder } : { kind: 'busy' };
  }

  /** Watched through the events publisher's internal signal (metrics, chaos, tests). */
  private signal(signal: RefreshSignal): void {
    this.events.signal({ kind: 'refresh_protocol', signal });
  }

  /** Renews every leaseTtlMs / 4, so a healthy holder always has the call budget (0.6 × ttl) left. */
  private startHeartbeat(ref: ConnectionRef, lease: Lease): Heartbeat {
    const every = Math.max(250, Math.floor(this.options.leaseTtlMs / 4));
    let lost = false;
    let sent = false;
    let stopped = false;
    const timer = setInterval(() => {
      this.storage.renewLease(ref, lease, this.options.leaseTtlMs).then(
        (renewed) => {
          if (renewed || stopped || lost) return;
          lost = true;
          if (sent) {
            this.signal({ kind: 'lease_lost_after_send', ref });
            this.logger.warn(
              `refresh lease lost while the token call was out; its answer is still stored only if the token was not superseded tenant=${ref.tenantId} realm=${this.events.realmForLogs(ref.realmId)}`,
            );
          }
        },
        () => undefined, // store unreachable: beginCall and the swap decide
      );
    }, every);
    timer.unref();
    return {
      stop: () => {
        stopped = true;
        clearInterval(timer);
      },
      get lost() {
        return lost;
      },
      markSent: () => {
        sent = true;
      },
    };
  }
}

/** An earlier holder's call with the stored token, not yet resolved (I9): the new holder must wait it out. */
function unresolvedPriorCall(conn: StoredConnection, lease: Lease): InflightCall | null {
  const f = conn.inflight;
  return f && f.fingerprint === conn.refreshTokenFingerprint && f.generation !== lease.generation ? f : null;
}

/** When our own claim recorded this call (claimDue beginCalls), the wall ms it started at; else null. */
function begunByClaim(conn: StoredConnection, lease: Lease, claimStartedAt: number | undefined): number | null {
  const f = conn.inflight;
  if (claimStartedAt === undefined || !f) return null;
  return f.owner === lease.owner &&
    f.generation === lease.generation &&
    f.fingerprint === conn.refreshTokenFingerprint &&
    conn.status === 'active'
    ? claimStartedAt
    : null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

function runningKey(ref: ConnectionRef): string {
  return `${ref.tenantId}\u0000${ref.realmId}`;
}
