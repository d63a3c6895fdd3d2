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
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../../quickbooks-auth.constants';
import type { ConnectionRef, ConnectionSummary } from '../connection.interface';
import { assertConnectionRef, isValidRealmId } from '../connection-ref';
import { toSummary } from '../connection-summary';
import { computeNextRefreshAt } from '../refresh/refresh-schedule';
import { OAuthStateService } from '../state/oauth-state.service';
import type { TokenStorage } from '../storage/token-storage.interface';
import { TenantSettingsService } from '../tenant-settings.service';
import { AccessTokenCache } from '../access-token-cache';

/** The query string Intuit sends to the redirect URI. */
export interface CallbackQuery {
  code?: unknown;
  state?: unknown;
  realmId?: unknown;
  error?: unknown;
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
  constructor(
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    private readonly intuit: IntuitOAuthClient,
    private readonly state: OAuthStateService,
    private readonly tenants: TenantSettingsService,
    private readonly events: AuthEventsPublisher,
    private readonly cache: AccessTokenCache,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
  ) {}

  /**
   * Where to send the customer to connect QuickBooks. Bind the state to the host's session
   * (`sessionId`) when it has one, so a callback from another browser is refused.
   */
  async createAuthorizeUrl(params: { tenantId: string; sessionId?: string | null; returnTo?: string | null; scopes?: string[] }): Promise<{ url: string; state: string; expiresAt: Date }> {
    if (typeof params?.tenantId !== 'string' || !params.tenantId || params.tenantId.length > 128) {
      throw new InvalidCallbackError('tenantId is required');
    }
    const { state, expiresAt } = this.state.issue(params);
    const { credentials, redirectUri } = await this.tenants.settingsFor(params.tenantId);
    const url = await this.intuit.buildAuthorizeUrl({
      clientId: credentials.clientId,
      redirectUri,
      scopes: params.scopes?.length ? params.scopes : this.options.scopes,
      state,
    });
    return { url, state, expiresAt };
  }

  /**
   * Handles Intuit's redirect: validates and consumes the state (single use), checks the realm,
   * exchanges the code once, stores the connection. `expectedTenantId` is the tenant the host
   * authenticated for this request: a state issued to another tenant is refused (I7).
   */
  async handleCallback(params: { query: CallbackQuery; sessionId?: string | null; expectedTenantId?: string | null }): Promise<ConnectResult> {
    const q = params.query ?? {};
    // The state is consumed before anything else so a replayed callback can never exchange twice.
    const payload = await this.state.consume(q.state, params.sessionId);
    if (params.expectedTenantId && params.expectedTenantId !== payload.tenantId) throw new InvalidStateError('issued to another tenant');
    if (q.error !== undefined) {
      throw new AuthorizationDeniedError(typeof q.error === 'string' ? q.error.slice(0, 64) : 'unknown_error', payload.tenantId);
    }
    if (typeof q.code !== 'string' || q.code.length === 0 || q.code.length > 4096) throw new InvalidCallbackError('code is missing or malformed');
    if (!isValidRealmId(q.realmId)) throw new InvalidCallbackError('realmId is missing or not a QuickBooks company id');
    const ref = { tenantId: payload.tenantId, realmId: q.realmId };
    // One lookup, before the exchange: the code is single-use, so nothing after it may fail but the write.
    const settings = await this.tenants.settingsFor(ref.tenantId);
    let call;
    try {
      call = await this.intuit.exchangeCode(q.code, settings.redirectUri, settings.credentials);
    } catch (err) {
      throw toPublicError(err);
    }
    const previous = await this.storage.get(ref);
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
    });
    this.cache.evict(ref);
    const reconnected = previous !== null;
    this.events.connected({ ...ref, correlationId: randomUUID(), intuitTid: call.intuitTid, at: new Date(this.options.clock.now()), reconnected });
    return { connection: toSummary(stored), reconnected, returnTo: payload.returnTo };
  }

  /**
   * Disconnect: revoke the grant at Intuit, then mark the connection revoked (tokens wiped).
   * If Intuit cannot be reached the connection is kept and QuickBooksUnavailableError thrown,
   * so the grant is never left live at Intuit with no way to revoke it.
   */
  async disconnect(ref: ConnectionRef): Promise<{ revokedAtIntuit: boolean }> {
    assertConnectionRef(ref);
    const conn = await this.storage.get(ref);
    if (!conn || conn.status === 'revoked') throw new ConnectionNotFoundError(ref.tenantId, ref.realmId);
    let revokedAtIntuit = true;
    let intuitTid: string | null = null;
    try {
      await this.intuit.revoke(conn.refreshToken, await this.tenants.credentialsFor(ref.tenantId));
    } catch (err) {
      if (err instanceof IntuitCallFailure && err.transient) throw toPublicError(err);
      if (err instanceof IntuitCallFailure && err.kind === 'invalid_client') throw toPublicError(err);
      // Intuit no longer knows the token (already revoked or dead): nothing left to revoke.
      revokedAtIntuit = false;
      intuitTid = err instanceof IntuitCallFailure ? err.intuitTid : null;
    }
    await this.storage.markRevoked(ref);
    this.cache.evict(ref);
    this.events.revoked({ ...ref, correlationId: randomUUID(), intuitTid, at: new Date(this.options.clock.now()), revokedAtIntuit });
    return { revokedAtIntuit };
  }
}

function toPublicError(err: unknown): Error {
  if (err instanceof IntuitCallFailure) {
    if (err.transient) return new QuickBooksUnavailableError(err.kind, err.retryAfterMs, err.intuitTid);
    return new IntuitResponseError(`Intuit refused the request: ${err.oauthError ?? err.kind}`, err.oauthError ?? err.kind, err.httpStatus, err.intuitTid);
  }
  return err as Error;
}
