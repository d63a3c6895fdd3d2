import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ResolvedQuickBooksAuthOptions } from '../../config/resolved-options';
import { AuthEventsPublisher } from '../../events/auth-events.publisher';
import type { RefreshTrigger } from '../../events/quickbooks-auth.events';
import { QuickBooksAuthError } from '../../errors/quickbooks-auth.error';
import { IntuitCallFailure } from '../../intuit/intuit-call-failure';
import { IntuitOAuthClient, type TokenCallResult } from '../../intuit/intuit-oauth.client';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../../quickbooks-auth.constants';
import type { ConnectionRef, IntuitEnvironment, StoredConnection } from '../connection.interface';
import type { TokenStorage } from '../storage/token-storage.interface';
import { TenantSettingsService } from '../tenant-settings.service';
import type { RefreshOutcome } from './refresh-outcome';
import { computeNextRefreshAt, fullJitterBackoffMs } from './refresh-schedule';

export interface RefreshRequest {
  trigger: RefreshTrigger;
  /** Under the lease: is the stored token already good enough (someone else refreshed)? */
  isFresh: (conn: StoredConnection) => boolean;
  correlationId?: string;
  /** Wall-clock ms the lease was taken (a scheduler batch claim), when earlier than the call. */
  leasedAt?: number;
}

/** What the gate knows about a token call. */
export interface TokenCallContext {
  environment: IntuitEnvironment;
}

/** Gate in front of every token call (circuit breaker, global rate limit). */
export interface TokenCallGate {
  /** Resolves when a call may go out; throws IntuitCallFailure to refuse (breaker open). */
  run<T>(call: () => Promise<T>, context: TokenCallContext): Promise<T>;
}

const passThroughGate: TokenCallGate = { run: (call) => call() };

/**
 * How long a rotated token's write is retried through a store outage: these tokens exist nowhere
 * else. Longer than the lease on purpose. The swap is fenced on the refresh token the call was
 * made with, so a late write lands only while the row still holds that token (no rotation stored
 * since); at worst it replaces an access token another replica got with the same refresh token,
 * and both stay valid at Intuit. On shutdown the budget shrinks to one lease.
 */
const PERSIST_RETRY_WINDOW_MS = 10 * 60_000;

/** Store errors worth retrying a write for; anything else (corrupt row, bad key) will not heal. */
const RETRYABLE_STORAGE_CODES = new Set(['storage_unavailable', 'storage_lock_timeout']);

/** A Retry-After longer than this is treated as this (a broken header must not park a connection for days). */
const MAX_RETRY_AFTER_MS = 3_600_000;

/** Adds up to 10 % so connections told the same Retry-After do not come back in one burst. */
function withJitter(ms: number): number {
  return Math.round(ms * (1 + Math.random() * 0.1));
}

/**
 * One refresh of one connection, safe across processes and replicas:
 * lease (I1) → call Intuit with the stored refresh token → compare-and-swap on that token's
 * fingerprint (I2, I3) → on invalid_grant re-read before marking needs_reauth (I4).
 * No lock is held across the HTTP call; the lease is a row with an owner and an expiry.
 */
@Injectable()
export class TokenRefresher implements OnModuleDestroy {
  private readonly logger = new Logger(TokenRefresher.name);
  private attemptSeq = 0;
  private readonly running = new Map<string, Promise<RefreshOutcome>>();
  private gate: TokenCallGate = passThroughGate;
  private readonly busyListeners: Array<(trigger: RefreshTrigger) => void> = [];
  private shutdownAt: number | null = null;

  constructor(
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    private readonly intuit: IntuitOAuthClient,
    private readonly tenants: TenantSettingsService,
    private readonly events: AuthEventsPublisher,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
  ) {}

  /** Install the breaker / rate-limit gate (the scheduler module does). */
  useGate(gate: TokenCallGate): void {
    this.gate = gate;
  }

  /** The app is stopping: writes still retrying get one lease more, not the full window. */
  beginShutdown(): void {
    this.shutdownAt ??= Date.now();
  }

  onModuleDestroy(): void {
    this.beginShutdown();
  }

  /** Watch lease contention (metrics): called with the trigger whenever a refresh finds the lease taken. */
  observeLeaseBusy(listener: (trigger: RefreshTrigger) => void): void {
    this.busyListeners.push(listener);
  }

  /** A lease owner id unique to one attempt in this process. */
  newOwner(): string {
    return `${this.options.instanceId}#${++this.attemptSeq}`;
  }

  /** Take the lease, then refresh. */
  async refresh(ref: ConnectionRef, request: RefreshRequest): Promise<RefreshOutcome> {
    const owner = this.newOwner();
    const leased = await this.storage.acquireLease(ref, owner, this.options.leaseTtlMs);
    if (!leased) {
      const current = await this.storage.get(ref);
      if (!current || current.status !== 'active') return { kind: 'unavailable', connection: current };
      return this.busy(request.trigger);
    }
    return this.refreshLeased(leased, owner, request);
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
    const correlationId = request.correlationId ?? randomUUID();
    const leasedAt = request.leasedAt ?? Date.now();
    if (request.isFresh(conn)) {
      await this.storage.releaseLease(ref, owner);
      return { kind: 'fresh', connection: conn };
    }
    // Settled before the call: once Intuit has rotated, nothing but the write may fail.
    const { credentials: creds, refreshLeadSeconds } = await this.tenants.settingsFor(conn.tenantId);
    // A lease that may have lapsed while queued must not be used: someone else may hold it now.
    if (Date.now() - leasedAt > this.options.leaseTtlMs / 2 && !(await this.storage.renewLease(ref, owner, this.options.leaseTtlMs))) {
      return this.busy(request.trigger);
    }
    const heartbeat = this.startHeartbeat(ref, owner);
    let result: TokenCallResult;
    try {
      result = await this.gate.run(() => this.intuit.refresh(conn.refreshToken, creds), { environment: conn.environment });
    } catch (err) {
      heartbeat.stop();
      return this.onFailure(conn, owner, err, request.trigger, correlationId);
    }
    // The heartbeat runs on while the result is stored: a slow write keeps the lease, so no
    // other replica spends the old refresh token meanwhile.
    try {
      return await this.onSuccess(conn, owner, result, refreshLeadSeconds, request.trigger, correlationId);
    } finally {
      heartbeat.stop();
    }
  }

  private async onSuccess(
    conn: StoredConnection,
    owner: string,
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
    });
    // I2: the new refresh token is stored before any access token from this response is used.
    let tries = 0;
    const stored = await this.persistWithRetry(async () => {
      tries++;
      const swapped = await this.storage.compareAndSwapTokens(ref, conn.refreshTokenFingerprint, { ...tokens, nextRefreshAt }, owner);
      if (swapped || tries === 1) return swapped;
      // A retry that finds the fence moved: did our earlier attempt commit before its answer was lost?
      const current = await this.storage.get(ref);
      return current && current.refreshToken === tokens.refreshToken && current.accessToken === tokens.accessToken ? current : null;
    }, correlationId);
    if (!stored) {
      // The chain moved on (reconnect or a takeover stored newer tokens). Ours are not newer.
      this.logger.warn(`refresh result not stored: a newer token was stored meanwhile tenant=${conn.tenantId} realm=${this.events.realmForLogs(conn.realmId)} cid=${correlationId}`);
      await this.storage.releaseLease(ref, owner).catch(() => undefined);
      return { kind: 'superseded' };
    }
    if (result.clockSkewMs !== null && Math.abs(result.clockSkewMs) > 60_000) {
      this.logger.warn(`clock skew with Intuit of ${Math.round(result.clockSkewMs / 1000)} s (expiries are computed from request time, so tokens stay safe)`);
    }
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

  private async onFailure(conn: StoredConnection, owner: string, err: unknown, trigger: RefreshTrigger, correlationId: string): Promise<RefreshOutcome> {
    const ref = { tenantId: conn.tenantId, realmId: conn.realmId };
    const failure = err instanceof IntuitCallFailure ? err : new IntuitCallFailure('network_in_doubt', null, null);
    if (!(err instanceof IntuitCallFailure)) {
      this.logger.error(`unexpected error during refresh cid=${correlationId}: ${(err as Error)?.message ?? 'unknown'}`);
    }
    const now = this.options.clock.now();
    if (failure.kind === 'invalid_grant') {
      // I4: only if storage still holds the token we sent; otherwise someone stored a newer one.
      const changed = await this.storage.markNeedsReauth(ref, conn.refreshTokenFingerprint, 'invalid_grant');
      if (!changed) {
        await this.storage.releaseLease(ref, owner).catch(() => undefined);
        return { kind: 'superseded' };
      }
      this.events.reauthRequired({
        ...ref, correlationId, intuitTid: failure.intuitTid, at: new Date(now), reason: 'invalid_grant',
        reconnectUrl: this.options.reconnectUrl(ref),
      });
      return { kind: 'reauth_required', reason: 'invalid_grant' };
    }
    // 429 is Intuit pacing us and circuit_open was never sent: neither is a failure of the
    // connection. Honour Retry-After (plus a little jitter so a fleet does not return at once).
    const counted = failure.kind !== 'rate_limited' && failure.kind !== 'circuit_open';
    const failureCount = conn.failureCount + (counted ? 1 : 0);
    let retryAfterMs: number;
    if (failure.kind === 'rate_limited') retryAfterMs = withJitter(Math.min(failure.retryAfterMs ?? 30_000, MAX_RETRY_AFTER_MS));
    else if (failure.kind === 'circuit_open') retryAfterMs = withJitter(failure.retryAfterMs ?? 30_000);
    else if (failure.kind === 'network_in_doubt' || failure.kind === 'bad_response') retryAfterMs = Math.min(fullJitterBackoffMs(failureCount, 1_000, 60_000), 60_000);
    else if (failure.kind === 'invalid_client' || failure.kind === 'oauth_error') retryAfterMs = fullJitterBackoffMs(failureCount, 60_000, 3_600_000);
    else retryAfterMs = Math.max(failure.retryAfterMs ?? 0, fullJitterBackoffMs(failureCount));
    const nextAttemptAt = new Date(now + retryAfterMs);
    const code = failure.oauthError && failure.kind !== 'server_error' ? failure.oauthError : failure.kind;
    await this.storage
      .recordFailure(ref, owner, { failureCount, nextAttemptAt, lastErrorCode: code })
      .catch((e) => this.logger.warn(`could not record refresh failure cid=${correlationId}: ${(e as Error).message}`));
    this.events.refreshFailed({
      ...ref, correlationId, intuitTid: failure.intuitTid, at: new Date(now), trigger, reason: code,
      httpStatus: failure.httpStatus, failureCount, nextAttemptAt,
    });
    return { kind: 'transient', failure, retryAfterMs };
  }

  /** Storage outages must not lose a token Intuit already rotated: retry the write (see PERSIST_RETRY_WINDOW_MS). */
  private async persistWithRetry<T>(write: () => Promise<T>, correlationId: string): Promise<T> {
    const deadline = Date.now() + Math.max(this.options.leaseTtlMs, PERSIST_RETRY_WINDOW_MS);
    let delay = 100;
    for (;;) {
      try {
        return await write();
      } catch (err) {
        const stopAt = this.shutdownAt === null ? deadline : Math.min(deadline, this.shutdownAt + this.options.leaseTtlMs);
        if (!isRetryableStorageError(err) || Date.now() + delay > stopAt) {
          this.logger.error(`refreshed tokens could not be stored before giving up; the connection may need reconnecting cid=${correlationId}: ${(err as Error).message}`);
          throw err;
        }
        this.logger.warn(`storing refreshed tokens failed, retrying in ${delay} ms cid=${correlationId}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  private busy(trigger: RefreshTrigger): RefreshOutcome {
    for (const listener of this.busyListeners) {
      try {
        listener(trigger);
      } catch {
        // metrics must never break a refresh
      }
    }
    return { kind: 'busy' };
  }

  private startHeartbeat(ref: ConnectionRef, owner: string): { stop: () => void } {
    const every = Math.max(1000, Math.floor(this.options.leaseTtlMs / 3));
    const timer = setInterval(() => {
      this.storage.renewLease(ref, owner, this.options.leaseTtlMs).catch(() => undefined);
    }, every);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
}

function isRetryableStorageError(err: unknown): boolean {
  // Our own errors say what they are; anything else (a custom store's driver) may be transient.
  return !(err instanceof QuickBooksAuthError) || RETRYABLE_STORAGE_CODES.has(err.code);
}

function runningKey(ref: ConnectionRef): string {
  return `${ref.tenantId}\u0000${ref.realmId}`;
}
