import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { ConnectionNotFoundError } from '../errors/connection-not-found.error';
import { ConnectionUndecryptableError } from '../errors/connection-undecryptable.error';
import { DecryptionError } from '../errors/decryption.error';
import { QuickBooksUnavailableError } from '../errors/quickbooks-unavailable.error';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error';
import type { RefreshTrigger } from '../events/quickbooks-auth.events';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../quickbooks-auth.constants';
import type {
  ConnectionForAccess,
  ConnectionRecord,
  ConnectionRef,
  ConnectionSummary,
  StoredConnection,
} from '../domain/connection.interface';
import { assertConnectionRef } from './assert-connection-ref';
import { AccessTokenCache } from './access-token-cache';
import { RefusedAccessTokens } from './refused-access-tokens';
import { toRecordSummary, toSummary } from '../domain/connection-summary';
import type { ReconnectCampaignPage, ReconnectCampaignQuery } from './reconnect-campaign';
import { InvalidArgumentError } from '../errors/invalid-argument.error';
import { StorageError } from '../errors/storage.error';
import { TokenRefresher } from './refresh/token-refresher.service';
import { holderPollDelayMs } from './refresh/holder-poll-delay';
import type { TokenStorage } from './storage/token-storage.interface';
import { isUndecryptable } from './storage/undecryptable-record';
import { UndecryptableConnections } from './undecryptable-connections.service';
import { ConnectionUsage } from './refresh/connection-usage.service';
import { ConnectionImport } from './import/connection-import.service';
import type { ImportedConnection, ImportOptions, ImportOutcome } from './import/imported-connection';
import { ApiGovernor, type GovernedCallOptions } from '../governor/api-governor.service';

/** A usable access token and when it stops being usable. */
export interface AccessToken {
  /** Bearer token for the QBO API. Never log it. */
  accessToken: string;
  /** When Intuit stops accepting it (computed from the request time, so slightly early). */
  expiresAt: Date;
  /** The QuickBooks company it is for. */
  realmId: string;
}

/**
 * Hands out valid access tokens. Concurrent callers in one process share one refresh; callers
 * in different replicas share one through the storage lease (I1). A transient Intuit failure
 * never marks a connection dead; a token that is still valid keeps being served.
 * @publicApi
 */
@Injectable()
export class TokenService {
  private readonly inFlight = new Map<string, Promise<StoredConnection>>();
  private readonly accessFlights = new Map<string, AccessFlight>();
  private readonly refused = new RefusedAccessTokens();
  private readonly logger = new Logger(TokenService.name);

  /** @hidden Nest injects it; its parameters are internals. */
  constructor(
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    private readonly refresher: TokenRefresher,
    private readonly cache: AccessTokenCache,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
    private readonly undecryptable: UndecryptableConnections,
    private readonly usage: ConnectionUsage,
    private readonly imports: ConnectionImport,
    private readonly governor: ApiGovernor,
  ) {}

  /**
   * An access token valid for at least `minValiditySeconds` (default 300), refreshing when needed.
   * @throws ConnectionNotFoundError no such connection for this tenant (or it was disconnected).
   * @throws ReauthorizationRequiredError Intuit refused the refresh token; carries the reconnect URL.
   * @throws QuickBooksUnavailableError Intuit unreachable or failing and the stored token has expired.
   * @throws ConnectionUndecryptableError the stored tokens cannot be decrypted (key removed, row
   *   altered): reconnect or disconnect it, or restore the key (hosts answer 409).
   */
  getAccessToken(ref: ConnectionRef): Promise<string> {
    const cached = this.freshCached(ref);
    if (cached) return Promise.resolve(cached.accessToken);
    return this.accessFlight(ref).token;
  }

  /** Like getAccessToken, with the expiry. */
  getAccessTokenDetails(ref: ConnectionRef): Promise<AccessToken> {
    const cached = this.freshCached(ref);
    if (cached) return Promise.resolve({ accessToken: cached.accessToken, expiresAt: cached.expiresAt, realmId: ref.realmId });
    return this.accessFlight(ref).details.then((d) => ({ ...d, expiresAt: new Date(d.expiresAt) }));
  }

  private freshCached(ref: ConnectionRef): { accessToken: string; expiresAt: Date } | undefined {
    const cached = this.cache.get(ref);
    if (cached && cached.expiresAt.getTime() - this.options.clock.now() > this.options.minValiditySeconds * 1000) return cached;
    return undefined;
  }

  /**
   * Every caller that misses the cache for one connection shares one flight: one storage read
   * and, when the token is due, one refresh. A stampede of N callers then costs one promise, not
   * N chains of reads, checks and awaits (docs/benchmarks.md, stampede).
   */
  private accessFlight(ref: ConnectionRef): AccessFlight {
    try {
      assertConnectionRef(ref);
    } catch (err) {
      const refused = Promise.reject(err);
      return { token: refused, details: refused };
    }
    const key = flightKey('access', ref);
    let flight = this.accessFlights.get(key);
    if (!flight) {
      const details = this.accessTokenDetails(ref)
        .catch((err: unknown) => Promise.reject(this.undecryptableError(ref, err)))
        .finally(() => this.accessFlights.delete(key));
      const token = details.then((d) => d.accessToken);
      // Either side may have no caller (getAccessToken vs getAccessTokenDetails): never an unhandled rejection.
      details.catch(() => undefined);
      token.catch(() => undefined);
      flight = { details, token };
      this.accessFlights.set(key, flight);
    }
    return flight;
  }

  private async accessTokenDetails(ref: ConnectionRef): Promise<AccessToken> {
    // Runs once at a time per connection (accessFlight): this read and this refresh are already shared.
    const conn = this.usable(await this.readForAccess(ref), ref);
    this.usage.seen(conn); // proactive 'recent': coarse, fire and forget, only on this storage read
    if (this.validFor(conn, this.options.minValiditySeconds)) {
      this.cache.put(conn);
      return this.tokenOf(conn);
    }
    // The read that found the token expired is the lease's basis (no re-read after the acquisition on MySQL).
    return this.tokenOf(await this.singleFlight(ref, 'on_demand', (c) => this.validFor(c, this.options.minValiditySeconds), conn));
  }

  /**
   * Runs `fn` with a valid access token. If `fn` fails with HTTP 401 (the token was revoked or
   * expired early at Intuit), forces one refresh and retries once. When the refreshed token is
   * refused too, later calls get the 401 without another refresh until a new token is stored
   * (no refresh storm for a token Intuit will not take, e.g. one used for another company).
   * Each run of `fn` is one QBO request and waits its turn at the realm's API governor
   * (`apiGovernor`: 10 in flight, 500 per minute by default); a 429 pauses the realm and is sent
   * again, never counted as a token failure. `call` sets the wait's signal, deadline and category.
   * @throws QuickBooksApiBusyError the realm's queue was full or the call's turn did not come in time (nothing sent).
   */
  async withAccessToken<T>(ref: ConnectionRef, fn: (accessToken: string) => Promise<T>, call?: GovernedCallOptions): Promise<T> {
    const governed = (token: string) => this.governor.run(ref, () => fn(token), call);
    const first = await this.getAccessToken(ref);
    try {
      const result = await governed(first);
      this.refused.clear(ref);
      return result;
    } catch (err) {
      if (!isUnauthorized(err) || this.refused.has(ref, first)) throw err;
    }
    this.cache.evict(ref);
    const refreshed = await this.singleFlight(ref, 'forced_401', (c) => c.accessToken !== first && this.validFor(c, 0)).catch(
      (err: unknown) => {
        throw this.undecryptableError(ref, err);
      },
    );
    try {
      const result = await governed(refreshed.accessToken);
      this.refused.clear(ref);
      return result;
    } catch (err) {
      if (isUnauthorized(err) && !this.refused.has(ref, refreshed.accessToken)) {
        this.refused.add(ref, refreshed.accessToken);
        this.logger.warn(
          `QBO refused a just-refreshed access token (HTTP 401); no further forced refresh until a new token is stored tenant=${ref.tenantId}`,
        );
      }
      throw err;
    }
  }

  /**
   * Stores a connection made elsewhere (intuit-oauth, a hand-rolled table) so its customer need
   * not reconnect: validated, encrypted like every stored row, active. An existing connection for
   * the tenant and realm is left alone (`exists`) unless `overwrite`; `dryRun` writes nothing.
   * The `quickbooks-auth import` command runs it over a JSON-lines or CSV file (docs/importing.md).
   * @throws ImportValidationError naming each bad field (never its value).
   */
  async importConnection(connection: ImportedConnection, options: ImportOptions = {}): Promise<ImportOutcome> {
    return this.imports.importConnection(connection, options);
  }

  /**
   * A tenant's connections: status and expiries, never tokens (I7: only that tenant's). A row
   * whose tokens cannot be decrypted is listed with `undecryptable: true`; it never fails the list (I8).
   */
  listConnections(tenantId: string): Promise<ConnectionSummary[]>;
  /**
   * A reconnect campaign, a page at a time: every tenant's connections (not disconnected) whose
   * 5-year hard expiry falls within `needsReconnectWithinDays`, soonest first, with each one's
   * deadline and reconnect link. An operator's query across tenants: never serve it to a
   * tenant's own request. Keyset pages on an index in the SQL stores (docs/reconnect-campaign.md).
   * @throws InvalidArgumentError a bad window, limit or cursor.
   */
  listConnections(query: ReconnectCampaignQuery): Promise<ReconnectCampaignPage>;
  async listConnections(arg: string | ReconnectCampaignQuery): Promise<ConnectionSummary[] | ReconnectCampaignPage> {
    if (typeof arg === 'object' && arg !== null) return this.reconnectCampaignPage(arg);
    const tenantId = arg;
    if (typeof tenantId !== 'string' || !tenantId) throw new ConnectionNotFoundError(String(tenantId), '*');
    return (await this.storage.listRecordsByTenant(tenantId)).map((c) => this.summaryOf(c));
  }

  private async reconnectCampaignPage(query: ReconnectCampaignQuery): Promise<ReconnectCampaignPage> {
    const days = query.needsReconnectWithinDays;
    if (typeof days !== 'number' || !Number.isFinite(days) || days < 0 || days > 3650)
      throw new InvalidArgumentError('needsReconnectWithinDays must be a number of days between 0 and 3650');
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new InvalidArgumentError('limit must be an integer between 1 and 1000');
    if (query.cursor !== undefined && query.cursor !== null && typeof query.cursor !== 'string')
      throw new InvalidArgumentError('cursor must be the nextCursor of a previous page');
    const before = new Date(this.options.clock.now() + Math.round(days * DAY_MS));
    let page;
    try {
      page = await this.storage.listReconnectDue(before, query.cursor ?? null, limit);
    } catch (err) {
      if (err instanceof StorageError && err.code === 'invalid_cursor')
        throw new InvalidArgumentError('cursor must be the nextCursor of a previous page');
      throw err;
    }
    return {
      connections: page.connections.map((c) => {
        const summary = toSummary({ ...c, accessToken: '', refreshToken: '' });
        return {
          ...summary,
          reconnectBy: c.refreshTokenHardExpiresAt!,
          reconnectUrl: this.options.reconnectUrl(c),
          warnedDays: c.reconnectWarnedDays ?? null,
        };
      }),
      nextCursor: page.nextCursor,
    };
  }

  /**
   * One connection's summary (`undecryptable: true` when its tokens cannot be decrypted);
   * ConnectionNotFoundError if it does not exist for this tenant.
   */
  async getConnection(ref: ConnectionRef): Promise<ConnectionSummary> {
    assertConnectionRef(ref);
    const conn = await this.storage.getRecord(ref);
    if (!conn) throw new ConnectionNotFoundError(ref.tenantId, ref.realmId);
    return this.summaryOf(conn);
  }

  private summaryOf(c: ConnectionRecord): ConnectionSummary {
    if (isUndecryptable(c)) this.undecryptable.report(c, 'list');
    else this.undecryptable.resolved(c);
    return toRecordSummary(c, this.options.environment);
  }

  /** A DecryptionError from storage becomes this connection's typed error (and is reported); the rest pass. */
  private undecryptableError(ref: ConnectionRef, err: unknown): unknown {
    if (!(err instanceof DecryptionError) || err instanceof ConnectionUndecryptableError) return err;
    this.cache.evict(ref);
    this.undecryptable.report({ ...ref, reason: err.reason }, 'read');
    return new ConnectionUndecryptableError(ref.tenantId, ref.realmId, err.reason);
  }

  /** One storage read of the access token only (a custom store without getForAccess: the whole row). */
  private readForAccess(ref: ConnectionRef): Promise<ConnectionForAccess | null> {
    return this.storage.getForAccess ? this.storage.getForAccess(ref) : this.storage.get(ref);
  }

  private singleFlight(
    ref: ConnectionRef,
    trigger: RefreshTrigger,
    isFresh: (c: StoredConnection) => boolean,
    basis?: ConnectionForAccess,
  ): Promise<StoredConnection> {
    const key = flightKey(trigger, ref);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.refreshUntilFresh(ref, trigger, isFresh, basis)
        .then((conn) => {
          this.cache.put(conn);
          return conn;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /**
   * Refresh, or wait for whoever holds the lease, until the stored token is fresh. `basis`: the
   * caller's own read, for the first attempt only (later ones follow reads of their own).
   */
  private async refreshUntilFresh(
    ref: ConnectionRef,
    trigger: RefreshTrigger,
    isFresh: (c: StoredConnection) => boolean,
    basis?: ConnectionForAccess,
  ): Promise<StoredConnection> {
    const correlationId = randomUUID();
    const deadline = Date.now() + this.options.leaseWaitTimeoutMs;
    // Our own refresh may take as long as a lease lasts (a slow token call is never cut short).
    const ownDeadline = Math.max(deadline, Date.now() + this.options.leaseTtlMs);
    const startedWaiting = Date.now();
    let pollMs = BUSY_POLL_FIRST_MS;
    let wentAgain = false;
    // Graceful degradation serves a stored token that is still valid, except after a 401: that
    // token is the one QBO just rejected, and handing it back would only fail again.
    const servable = (c: StoredConnection): boolean => (trigger === 'forced_401' ? isFresh(c) : this.validFor(c, 0));
    for (;;) {
      const calledAt = this.options.clock.now();
      // A write retrying through a store outage goes on in the background (TokenRefresher) and
      // lands when the store is back; the caller is not held for it.
      const request = { trigger, isFresh, correlationId, ...(basis ? { basis } : {}) };
      basis = undefined;
      const outcome = await this.beforeDeadline(this.refresher.refresh(ref, request), ownDeadline);
      switch (outcome.kind) {
        case 'fresh':
          return outcome.connection;
        case 'refreshed': {
          const conn = outcome.connection;
          if (isFresh(conn)) return conn;
          // Expiry counts from when the request was sent: a slow answer, or a write that waited
          // out a store outage, can bring back a token already under the minimum. Go again once,
          // if a prompt answer would have met it; a lifetime shorter than that is all Intuit gives.
          const promptWouldHaveMet = conn.accessTokenExpiresAt.getTime() - calledAt > this.options.minValiditySeconds * 1000;
          if (!wentAgain && promptWouldHaveMet && Date.now() < deadline) {
            wentAgain = true;
            break;
          }
          if (this.validFor(conn, 0)) return conn;
          throw new QuickBooksUnavailableError('refreshed tokens had expired by the time they were stored');
        }
        case 'reauth_required':
          throw this.reauthError(ref, outcome.reason);
        case 'unavailable':
          this.usable(outcome.connection, ref);
          break;
        case 'pending': {
          // Parked (reauth_pending): an earlier call may still store a rotation. Not the customer's
          // to fix yet; a token that is still valid is served, otherwise retry later.
          const current = await this.storage.get(ref);
          if (current && (current.status === 'active' || current.status === 'reauth_pending') && servable(current)) return current;
          if (current && current.status === 'active') break; // revived meanwhile: go again
          this.usable(current, ref);
          throw new QuickBooksUnavailableError('a refresh of this connection is being reconciled', Math.min(outcome.retryAfterMs, 60_000));
        }
        case 'transient': {
          const current = await this.storage.get(ref);
          // Graceful degradation: a token that is still valid is better than an error.
          if (current && current.status === 'active' && servable(current)) return current;
          throw new QuickBooksUnavailableError(outcome.failure.kind, outcome.retryAfterMs, outcome.failure.intuitTid);
        }
        case 'busy':
        case 'superseded': {
          // Another refresh is ahead of us: wait for its result, then re-check. In this process
          // (the scheduler) we await it; another replica's we poll for.
          const local = outcome.kind === 'busy' ? this.refresher.inProgress(ref) : undefined;
          if (local) await this.beforeDeadline(local, deadline).catch(() => undefined);
          // Another replica's refresh is usually one token round trip: poll every ~15 ms for the
          // first second (one read per process per connection: callers share this loop), every few
          // ms around the answer we expect from its call, then back off. While its lease stands,
          // a poll is that one read: taking the lease again would only fail.
          let holder = outcome.kind === 'busy' ? outcome.connection : undefined;
          for (;;) {
            let sleptMs = 0;
            if (outcome.kind === 'busy' && !local) {
              sleptMs = holderPollDelayMs({
                regularMs: pollMs * (1 + Math.random() / 2),
                sinceCallStartMs: msSinceCallStarted(holder),
                typicalCallMs: this.refresher.callLatency.typicalMs(),
              });
              await sleep(sleptMs);
            }
            if (Date.now() - startedWaiting > BUSY_POLL_TIGHT_FOR_MS) pollMs = Math.min(pollMs * 2, 500);
            const current = this.usable(await this.storage.get(ref), ref);
            if (isFresh(current)) {
              // The holder's call, start to stored answer, as seen from here: when the last sleep
              // was short enough for the figure to mean something, and within a call's budget
              // (a skewed store clock can make it anything; observe drops a negative one).
              const tookMs = msSinceCallStarted(holder);
              if (tookMs !== undefined && !local && sleptMs <= LEARN_FROM_POLLS_UP_TO_MS && tookMs <= this.options.tokenCallBudgetMs)
                this.refresher.callLatency.observe(tookMs);
              return current;
            }
            holder = current;
            if (Date.now() > deadline) {
              if (servable(current)) return current;
              // Another holder is still working (or waiting out an earlier call): retryable, never a
              // rejected token.
              throw new QuickBooksUnavailableError(
                'timed out waiting for another refresh of this connection',
                this.busyRetryAfterMs(current),
              );
            }
            if (outcome.kind !== 'busy' || local || !leaseHeldByAnother(current)) break;
          }
        }
      }
    }
  }

  /** `work`, or QuickBooksUnavailableError once `deadline` (wall ms) passes; `work` itself goes on. */
  private beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new QuickBooksUnavailableError('timed out waiting for the refresh of this connection to be stored')),
        Math.max(0, deadline - Date.now()),
      );
    });
    work.catch(() => undefined); // a rejection after the deadline is the refresher's to log
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }

  /** When to try again after waiting out another holder: its lease end, within reason. */
  private busyRetryAfterMs(conn: StoredConnection): number {
    const leaseLeft = conn.leaseExpiresAt ? conn.leaseExpiresAt.getTime() - Date.now() : 0;
    return Math.max(1000, Math.min(leaseLeft, 30_000));
  }

  /** active and reauth_pending (parked, not the customer's to fix yet) are usable; the rest throw. */
  private usable<C extends ConnectionForAccess>(conn: C | null, ref: ConnectionRef): C {
    if (!conn || conn.status !== 'active') this.cache.evict(ref);
    // revoke_pending is disconnected too: its tokens are kept only to finish the revoke at Intuit.
    if (!conn || conn.status === 'revoked' || conn.status === 'revoke_pending')
      throw new ConnectionNotFoundError(ref.tenantId, ref.realmId);
    if (conn.status === 'needs_reauth') throw this.reauthError(ref, conn.lastErrorCode ?? 'invalid_grant');
    return conn;
  }

  private reauthError(ref: ConnectionRef, reason: string): ReauthorizationRequiredError {
    return new ReauthorizationRequiredError(ref.tenantId, ref.realmId, this.options.reconnectUrl(ref), reason);
  }

  private validFor(conn: ConnectionForAccess, seconds: number): boolean {
    return conn.accessTokenExpiresAt.getTime() - this.options.clock.now() > seconds * 1000;
  }

  private tokenOf(conn: ConnectionForAccess): AccessToken {
    return { accessToken: conn.accessToken, expiresAt: conn.accessTokenExpiresAt, realmId: conn.realmId };
  }
}

const DAY_MS = 86_400_000;

/** Polling for another replica's refresh: every ~15 ms for the first second, then doubling to 500 ms. */
const BUSY_POLL_FIRST_MS = 15;
const BUSY_POLL_TIGHT_FOR_MS = 1_000;
/** A remote refresh's duration is learned only from a poll this close behind it. */
const LEARN_FROM_POLLS_UP_TO_MS = 25;

/** Wall ms since the token call recorded on `conn` began (store clock); undefined when none is recorded. */
function msSinceCallStarted(conn: StoredConnection | undefined): number | undefined {
  return conn?.inflight ? Date.now() - conn.inflight.startedAt.getTime() : undefined;
}

/** Another process holds a lease that has not run out (by this clock: a skewed one only polls a little longer). */
function leaseHeldByAnother(conn: StoredConnection): boolean {
  return conn.leaseOwner !== null && conn.leaseExpiresAt !== null && conn.leaseExpiresAt.getTime() > Date.now();
}

/** One connection's cache miss, shared by every caller that arrives while it runs. */
interface AccessFlight {
  details: Promise<AccessToken>;
  token: Promise<string>;
}

function flightKey(kind: RefreshTrigger | 'access', ref: ConnectionRef): string {
  return `${kind}\u0000${ref.tenantId}\u0000${ref.realmId}`;
}

/** A 401 from the QBO API, whatever HTTP client the host uses (axios, fetch wrappers, Nest HttpException). */
function isUnauthorized(err: unknown): boolean {
  const e = err as { status?: unknown; statusCode?: unknown; response?: { status?: unknown }; getStatus?: () => number } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.status === 401 || e.statusCode === 401 || e.response?.status === 401) return true;
  return typeof e.getStatus === 'function' && e.getStatus() === 401;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
