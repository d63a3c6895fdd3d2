import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ResolvedQuickBooksAuthOptions } from '../../config/resolved-options';
import { AuthorizationDeniedError } from '../../errors/authorization-denied.error';
import { ConnectionNotFoundError } from '../../errors/connection-not-found.error';
import { IntuitResponseError } from '../../errors/intuit-response.error';
import { InvalidCallbackError } from '../../errors/invalid-callback.error';
import { InvalidStateError } from '../../errors/invalid-state.error';
import { QuickBooksUnavailableError } from '../../errors/quickbooks-unavailable.error';
import { AuthEventsPublisher } from '../../events/auth-events.publisher';
import { IntuitCallFailure } from '../../intuit/intuit-call-failure';
import { IntuitOAuthClient } from '../../intuit/intuit-oauth.client';
import { classifyRevokeFailure } from '../../intuit/revoke-failure';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../../quickbooks-auth.constants';
import type { ConnectionRecord, ConnectionRef, ConnectionSummary } from '../../domain/connection.interface';
import { ReconnectRealmMismatchError } from '../../errors/reconnect-realm-mismatch.error';
import { isQuickBooksRealmId } from '../../domain/connection-ref';
import { assertConnectionRef } from '../assert-connection-ref';
import { toSummary } from '../../domain/connection-summary';
import { computeNextRefreshAt } from '../refresh/refresh-schedule';
import { OAuthStateService } from '../state/oauth-state.service';
import type { TokenStorage } from '../storage/token-storage.interface';
import { isUndecryptable } from '../storage/undecryptable-record';
import { TenantSettingsService } from '../tenant-settings.service';
import { AccessTokenCache } from '../access-token-cache';
import { CallbackBinding } from './callback-binding.service';
import { GrantRevocations, REVOCATION_HOLD_MS, revocationRetryAt } from './grant-revocations.service';
import { withOpenId } from '../../domain/openid-scope';
import { DisconnectLanding, type DisconnectLandingResult } from './disconnect-landing.service';

/** The query string Intuit sends to the redirect URI. */
export interface CallbackQuery {
  code?: unknown;
  state?: unknown;
  realmId?: unknown;
  error?: unknown;
}

/** What a disconnect did at Intuit. */
export interface DisconnectResult {
  /** Intuit confirmed the revoke (false: it did not know the token any more, or the revoke is pending). */
  revokedAtIntuit: boolean;
  /**
   * Intuit neither confirmed nor said the token was dead: the connection is revoke_pending (never
   * served again) and the revoke is retried by the scheduler, or by calling disconnect again.
   */
  revokePending?: true;
}

/** What a successful callback stored. */
export interface ConnectResult {
  /** The connection as stored (status and expiries, never tokens). */
  connection: ConnectionSummary;
  /** True when this tenant already had a connection to this realm (its tokens were replaced). */
  reconnected: boolean;
  /** What the host passed as `returnTo` when it built the authorize URL. */
  returnTo: string | null;
}

/**
 * The connect flow: authorize URL with a signed single-use state, the callback that exchanges
 * the code exactly once, and disconnect (revoke at Intuit).
 * @publicApi
 */
@Injectable()
export class ConnectService {
  /** @hidden Nest injects it; its parameters are internals. */
  constructor(
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    private readonly intuit: IntuitOAuthClient,
    private readonly state: OAuthStateService,
    private readonly tenants: TenantSettingsService,
    private readonly events: AuthEventsPublisher,
    private readonly cache: AccessTokenCache,
    private readonly binding: CallbackBinding,
    private readonly revocations: GrantRevocations,
    private readonly disconnectLanding: DisconnectLanding,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
  ) {}

  /**
   * Where to send the customer to connect QuickBooks. Bind the state to the host's session
   * (`sessionId`) when it has one, so a callback from another browser is refused. `openid` is
   * always among the scopes and the URL carries the state's OIDC nonce: the callback checks both
   * in Intuit's id_token.
   */
  async createAuthorizeUrl(params: {
    tenantId: string;
    sessionId?: string | null;
    returnTo?: string | null;
    scopes?: string[];
  }): Promise<{ url: string; state: string; expiresAt: Date }> {
    if (typeof params?.tenantId !== 'string' || !params.tenantId || params.tenantId.length > 128) {
      throw new InvalidCallbackError('tenantId is required');
    }
    return this.authorizeUrl({ ...params, reconnectRealmId: null });
  }

  /**
   * Where to send the customer to reconnect one existing connection (the hard expiry is near, it
   * needs reauthorization, or its tokens cannot be decrypted): an authorize URL whose signed state
   * names the company. The callback refuses any other company with ReconnectRealmMismatchError
   * (before the code is exchanged: nothing stored, the existing connection unchanged), and on
   * success replaces the tokens (a new grant, a new 5-year deadline) and emits
   * `quickbooks.connection_recovered`. Serve it from the app's Reconnect URL setting at Intuit.
   * @throws ConnectionNotFoundError this tenant has no connection to this company.
   */
  async createReconnectUrl(params: {
    tenantId: string;
    realmId: string;
    sessionId?: string | null;
    returnTo?: string | null;
    scopes?: string[];
  }): Promise<{ url: string; state: string; expiresAt: Date }> {
    const ref = { tenantId: params?.tenantId, realmId: params?.realmId };
    assertConnectionRef(ref);
    if (!(await this.storage.getRecord(ref))) throw new ConnectionNotFoundError(ref.tenantId, ref.realmId);
    return this.authorizeUrl({ ...params, reconnectRealmId: ref.realmId });
  }

  private async authorizeUrl(params: {
    tenantId: string;
    sessionId?: string | null;
    returnTo?: string | null;
    scopes?: string[];
    reconnectRealmId: string | null;
  }): Promise<{ url: string; state: string; expiresAt: Date }> {
    const { state, expiresAt, nonce } = this.state.issue(params);
    const { credentials, redirectUri } = await this.tenants.settingsFor(params.tenantId);
    const url = await this.intuit.buildAuthorizeUrl({
      clientId: credentials.clientId,
      redirectUri,
      scopes: withOpenId(params.scopes?.length ? params.scopes : this.options.scopes),
      state,
      nonce,
    });
    return { url, state, expiresAt };
  }

  /**
   * Handles Intuit's redirect: validates and consumes the state (single use), checks the realm,
   * exchanges the code once, verifies Intuit's id_token against this callback (nonce of the state,
   * `realmid` equal to the callback's realmId: CallbackVerificationError otherwise, after revoking
   * what Intuit issued), then stores the connection. `expectedTenantId` is the tenant the host
   * authenticated for this request: a state issued to another tenant is refused (I7).
   */
  async handleCallback(params: {
    query: CallbackQuery;
    sessionId?: string | null;
    expectedTenantId?: string | null;
  }): Promise<ConnectResult> {
    const q = params.query ?? {};
    // The state is consumed before anything else so a replayed callback can never exchange twice.
    const payload = await this.state.consume(q.state, params.sessionId);
    if (params.expectedTenantId && params.expectedTenantId !== payload.tenantId) throw new InvalidStateError('issued to another tenant');
    if (q.error !== undefined) {
      throw new AuthorizationDeniedError(typeof q.error === 'string' ? q.error.slice(0, 64) : 'unknown_error', payload.tenantId);
    }
    if (typeof q.code !== 'string' || q.code.length === 0 || q.code.length > 4096)
      throw new InvalidCallbackError('code is missing or malformed');
    if (!isQuickBooksRealmId(q.realmId)) throw new InvalidCallbackError('realmId is missing or not a QuickBooks company id');
    // A reconnect is for one company: another one is refused while its code is still unused.
    if (payload.reconnectRealmId && q.realmId !== payload.reconnectRealmId)
      throw new ReconnectRealmMismatchError(payload.tenantId, payload.reconnectRealmId, q.realmId);
    const ref = { tenantId: payload.tenantId, realmId: q.realmId };
    // The old row, before the exchange too: a store that cannot be read fails while the code is
    // still unused, and a row whose tokens cannot be decrypted is simply overwritten below (I8).
    const previous = await this.storage.getRecord(ref);
    // One lookup, before the exchange: the code is single-use, so nothing after it may fail but the write.
    const settings = await this.tenants.settingsFor(ref.tenantId);
    await this.binding.prepare();
    let call;
    try {
      call = await this.intuit.exchangeCode(q.code, settings.redirectUri, settings.credentials);
    } catch (err) {
      throw toPublicError(err);
    }
    // The state proves whose browser this is, not whose code: bind the code to this flow and realm.
    await this.binding.verify(
      ref,
      call,
      { clientId: settings.credentials.clientId, nonce: this.state.oidcNonce(payload) },
      settings.credentials,
    );
    const stored = await this.storage.saveConnection({
      ...ref,
      environment: this.options.environment,
      scopes: this.options.scopes,
      ...call.tokens,
      nextRefreshAt: computeNextRefreshAt({
        now: this.options.clock.now(),
        accessTokenExpiresAt: call.tokens.accessTokenExpiresAt,
        refreshLeadSeconds: settings.refreshLeadSeconds,
        jitterRatio: this.options.scheduler.jitterRatio,
        keepAliveSeconds: this.options.scheduler.keepAliveSeconds,
      }),
      // Just connected: about to be used (proactive 'recent' keeps it refreshed ahead for the window).
      lastUsedAt: new Date(this.options.clock.now()),
      // Revoked right below; the scheduler takes over only if that attempt fails or never runs.
      revokeReplacedAt: new Date(this.options.clock.now() + REVOCATION_HOLD_MS),
    });
    this.cache.evict(ref);
    const reconnected = previous !== null;
    // The grant this reconnect replaced (now the pending revocation) must not stay live at Intuit.
    if (reconnected) await this.revocations.retryNow(ref).catch(() => undefined);
    const correlationId = randomUUID();
    const at = new Date(this.options.clock.now());
    this.events.connected({ ...ref, correlationId, intuitTid: call.intuitTid, at, reconnected });
    const via = payload.reconnectRealmId ? 'reconnect_url' : 'connect';
    if (previous && (via === 'reconnect_url' || this.neededReconnect(previous, at.getTime()))) {
      const before = isUndecryptable(previous) ? previous.details : previous;
      this.events.connectionRecovered({
        ...ref,
        correlationId,
        intuitTid: call.intuitTid,
        at,
        via,
        previousStatus: isUndecryptable(previous) ? 'undecryptable' : previous.status,
        previousHardExpiresAt: before?.refreshTokenHardExpiresAt ?? null,
        refreshTokenHardExpiresAt: stored.refreshTokenHardExpiresAt,
      });
    }
    return { connection: toSummary(stored), reconnected, returnTo: payload.returnTo };
  }

  /** A plain connect over a connection that needed it: reauthorization, unreadable tokens, or a hard expiry within the farthest warning horizon. */
  private neededReconnect(previous: ConnectionRecord, now: number): boolean {
    if (isUndecryptable(previous)) return true;
    if (previous.status === 'needs_reauth' || previous.status === 'reauth_pending') return true;
    const farthest = this.options.scheduler.hardExpiryWarningDays[0];
    const hard = previous.refreshTokenHardExpiresAt;
    return previous.status === 'active' && farthest !== undefined && hard !== null && hard.getTime() - now <= farthest * 86_400_000;
  }

  /**
   * Disconnect: revoke the grant at Intuit, then mark the connection revoked (tokens wiped).
   * If Intuit cannot be reached the connection is kept and QuickBooksUnavailableError thrown,
   * so the grant is never left live at Intuit with no way to revoke it. If Intuit answers with
   * anything but a confirmation or "that token is already invalid" (invalid_client, 403, another
   * 4xx), the connection becomes revoke_pending: disconnected for callers, the revoke retried by
   * the scheduler until Intuit confirms (`revokePending: true`). Calling disconnect again on it
   * retries at once. A connection whose tokens cannot be decrypted is marked revoked without
   * calling Intuit.
   */
  async disconnect(ref: ConnectionRef): Promise<DisconnectResult> {
    assertConnectionRef(ref);
    const conn = await this.storage.getRecord(ref);
    if (conn && isUndecryptable(conn)) return this.disconnectUndecryptable(ref);
    if (!conn || conn.status === 'revoked') throw new ConnectionNotFoundError(ref.tenantId, ref.realmId);
    if (conn.status === 'revoke_pending') return this.retryPendingDisconnect(ref);
    const credentials = await this.tenants.credentialsFor(ref.tenantId);
    let revokedAtIntuit = true;
    let intuitTid: string | null = null;
    try {
      await this.intuit.revoke(conn.refreshToken, credentials);
    } catch (err) {
      const failure = classifyRevokeFailure(err);
      if (failure === 'transient') throw toPublicError(err);
      intuitTid = err instanceof IntuitCallFailure ? err.intuitTid : null;
      if (failure === 'refused') return this.keepRevokePending(ref, err, intuitTid);
      // Intuit no longer knows the token (already revoked or dead): nothing left to revoke.
      revokedAtIntuit = false;
    }
    await this.storage.markRevoked(ref);
    this.cache.evict(ref);
    this.events.revoked({ ...ref, correlationId: randomUUID(), intuitTid, at: new Date(this.options.clock.now()), revokedAtIntuit });
    return { revokedAtIntuit };
  }

  /**
   * Intuit's Disconnect URL (`GET <your route>?realmId=…`, where Intuit sends the customer's
   * browser after they disconnect the app inside QuickBooks). The request proves nothing (anyone
   * can call it), so every connection to that company is verified with Intuit: a refresh that
   * Intuit answers `invalid_grant` marks it revoked (tokens wiped) and emits `quickbooks.revoked`
   * with `initiatedBy: 'quickbooks'`, only while that refused token is still the stored one (a
   * reconnect stored meanwhile is kept); a connection Intuit still refreshes is kept. A company is
   * verified at most once a minute per process. Never show the result to the caller: answer every
   * landing the same way, without waiting for this (or a caller could tell which companies exist).
   * Resolves after the verification; never throws for a malformed or unknown realm.
   */
  handleDisconnectLanding(query: { realmId?: unknown }): Promise<DisconnectLandingResult> {
    return this.disconnectLanding.handle(query?.realmId);
  }

  /** Intuit refused the revoke without saying the token is dead: keep it to retry, never serve it again. */
  private async keepRevokePending(ref: ConnectionRef, err: unknown, intuitTid: string | null): Promise<DisconnectResult> {
    const errorCode = err instanceof IntuitCallFailure ? (err.oauthError ?? err.kind).slice(0, 64) : 'revoke_failed';
    await this.storage.markRevokePending(ref, { retryAt: revocationRetryAt(this.options.clock.now(), 1), errorCode });
    this.cache.evict(ref);
    this.events.revoked({
      ...ref,
      correlationId: randomUUID(),
      intuitTid,
      at: new Date(this.options.clock.now()),
      revokedAtIntuit: false,
      revokePending: true,
    });
    return { revokedAtIntuit: false, revokePending: true };
  }

  /** Disconnect of a revoke_pending connection: its revoke, retried now. */
  private async retryPendingDisconnect(ref: ConnectionRef): Promise<DisconnectResult> {
    const outcome = await this.revocations.retryNow(ref);
    // Nothing left to revoke (settled meanwhile, or never kept): the disconnect is complete.
    if (outcome === 'none') await this.storage.markRevoked(ref);
    this.cache.evict(ref);
    return outcome === 'pending' ? { revokedAtIntuit: false, revokePending: true } : { revokedAtIntuit: outcome === 'revoked' };
  }

  /**
   * Undecryptable (key removed, row altered: I8): no token to send Intuit, so the row is only
   * wiped and marked revoked, and the customer can connect again. The grant stays live at Intuit
   * until it lapses or the customer disconnects the app in QuickBooks (revokedAtIntuit: false).
   */
  private async disconnectUndecryptable(ref: ConnectionRef): Promise<{ revokedAtIntuit: boolean }> {
    await this.storage.markRevoked(ref);
    this.cache.evict(ref);
    this.events.revoked({
      ...ref,
      correlationId: randomUUID(),
      intuitTid: null,
      at: new Date(this.options.clock.now()),
      revokedAtIntuit: false,
    });
    return { revokedAtIntuit: false };
  }
}

function toPublicError(err: unknown): Error {
  if (err instanceof IntuitCallFailure) {
    if (err.transient) return new QuickBooksUnavailableError(err.kind, err.retryAfterMs, err.intuitTid);
    return new IntuitResponseError(
      `Intuit refused the request: ${err.oauthError ?? err.kind}`,
      err.oauthError ?? err.kind,
      err.httpStatus,
      err.intuitTid,
    );
  }
  return err as Error;
}
