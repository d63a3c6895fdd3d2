import type { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import type http from 'node:http';
import type https from 'node:https';
import { getProxyForUrl } from 'proxy-from-env';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { AuthEventsPublisher } from '../events/auth-events.publisher';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import { IntuitCallFailure, parseRetryAfter } from './intuit-call-failure';
import { IntuitDiscoveryService } from './intuit-discovery.service';
import { formTarget, postForm, type FormTarget, type IntuitHttpResponse } from './form-post';
import { QUICKBOOKS_HTTP } from './intuit-http.provider';
import { INTUIT_TOKEN_CALL_GATE } from './intuit.constants';
import type { TokenCallContext, TokenCallGate } from './token-call-gate';
import { parseTokenResponse, type IntuitTokenResponse } from './token-response';

/** Client credentials for one call (the module's, or a tenant's own Intuit app). */
export interface IntuitClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** A successful token call with what operators need to see (never the tokens in logs). */
export interface TokenCallResult {
  tokens: IntuitTokenResponse;
  intuitTid: string | null;
  /** Server clock minus app clock, from the `Date` header (ms; ±1 s resolution). */
  clockSkewMs: number | null;
  latencyMs: number;
}

/** How a refresh passes the token-call gate. */
export interface GatedRefresh extends TokenCallContext {
  /**
   * Runs once the gate admitted the call, right before it is sent (the refresh protocol records
   * the call here). What it throws is not sent and, unless a transient IntuitCallFailure, not
   * counted by the breaker.
   */
  beforeSend?: () => Promise<void>;
}

const BEFORE_SEND_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The HTTP client to Intuit's OAuth endpoints. Token calls are never aborted by a request
 * timeout once sent (only connect and socket-idle timeouts apply), so a rotated refresh token
 * in a slow response is still received and stored. Refresh calls ask the token-call gate first
 * (circuit breaker, rate limit); a code exchange is the customer at the callback and is not gated.
 * Every token-endpoint call is signalled (grant type, status, latency) for metrics.
 */
@Injectable()
export class IntuitOAuthClient {
  /** Token endpoint URL → axios through a proxy, or where Node's client sends the form (routeOf). */
  private readonly routes = new Map<string, FormTarget | 'proxy'>();

  constructor(
    @Inject(QUICKBOOKS_HTTP) private readonly http: HttpService,
    private readonly discovery: IntuitDiscoveryService,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
    @Inject(INTUIT_TOKEN_CALL_GATE) private readonly gate: TokenCallGate,
    private readonly events: AuthEventsPublisher,
  ) {}

  async buildAuthorizeUrl(params: {
    clientId: string;
    redirectUri: string;
    scopes: string[];
    state: string;
    nonce: string;
  }): Promise<string> {
    const { authorization_endpoint } = await this.discovery.endpoints();
    const url = new URL(authorization_endpoint);
    url.searchParams.set('client_id', params.clientId);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', params.scopes.join(' '));
    url.searchParams.set('redirect_uri', params.redirectUri);
    url.searchParams.set('state', params.state);
    url.searchParams.set('nonce', params.nonce);
    return url.toString();
  }

  exchangeCode(code: string, redirectUri: string, creds: IntuitClientCredentials): Promise<TokenCallResult> {
    const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri });
    return this.tokenCall('authorization_code', form.toString(), creds);
  }

  /** A refresh-token grant, once the gate admits it (an open breaker refuses with `circuit_open`). */
  refresh(refreshToken: string, creds: IntuitClientCredentials, gated: GatedRefresh): Promise<TokenCallResult> {
    const { beforeSend, ...context } = gated;
    return this.gate.run(async () => {
      if (beforeSend) await beforeSend();
      // Written out: the hot path's one form (encodeURIComponent output is valid form encoding).
      return this.tokenCall('refresh_token', `grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}`, creds);
    }, context);
  }

  /** Revokes the whole grant (Intuit revokes the realm's connection for either token). */
  async revoke(token: string, creds: IntuitClientCredentials): Promise<void> {
    const { revocation_endpoint } = await this.discovery.endpoints();
    const res = await this.send(() =>
      this.http.axiosRef.post(revocation_endpoint, JSON.stringify({ token }), {
        headers: { ...this.basic(creds), 'Content-Type': 'application/json', Accept: 'application/json' },
        timeout: this.options.http.requestTimeoutMs,
      }),
    );
    if (res.status === 200) return;
    throw this.failureFrom(res);
  }

  async userInfo(accessToken: string): Promise<Record<string, unknown>> {
    const { userinfo_endpoint } = await this.discovery.endpoints();
    const res = await this.send(() =>
      this.http.axiosRef.get(userinfo_endpoint, {
        headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
        timeout: this.options.http.requestTimeoutMs,
      }),
    );
    if (res.status !== 200) throw this.failureFrom(res);
    const body = safeJson(res.data);
    if (!body || typeof body !== 'object') throw new IntuitCallFailure('bad_response', res.status, tidOf(res));
    return body as Record<string, unknown>;
  }

  private async tokenCall(grantType: string, sent: string, creds: IntuitClientCredentials): Promise<TokenCallResult> {
    const { token_endpoint } = await this.discovery.endpoints();
    const sentAt = this.options.clock.now();
    const started = performance.now();
    const headers = {
      ...this.basic(creds),
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      'x-include-refresh-token-hard-expires-in': 'true',
    };
    const res = await this.send(() => {
      // Inside send, as before: an endpoint that is no URL fails as a classified call failure.
      const route = this.routeOf(token_endpoint);
      return route === 'proxy'
        ? this.http.axiosRef.post(token_endpoint, sent, { headers, timeout: 0 }) // never abort a sent token call: see class comment
        : postForm(route, sent, headers, this.agents());
    }).catch((err: unknown) => {
      this.notify(grantType, null, performance.now() - started);
      throw err;
    });
    const latencyMs = performance.now() - started;
    this.notify(grantType, res.status, latencyMs);
    if (res.status !== 200) throw this.failureFrom(res);
    const intuitTid = tidOf(res);
    const body = safeJson(res.data);
    let tokens: IntuitTokenResponse;
    try {
      tokens = parseTokenResponse(body, sentAt, { status: res.status, intuitTid });
    } catch {
      // The rotation may have happened server-side: in doubt, not invalid_grant.
      throw new IntuitCallFailure('bad_response', res.status, intuitTid);
    }
    return { tokens, intuitTid, clockSkewMs: skewOf(res, sentAt, this.options.clock.now()), latencyMs };
  }

  /**
   * Token calls go out on Node's own client unless a proxy applies: axios is what honours
   * HTTP(S)_PROXY / NO_PROXY (and a `proxy` set on the module's instance), so those stay on it.
   * Decided once per endpoint, at its first call (reading the environment costs more than the
   * rest of the decision): proxy settings are read when the process starts calling Intuit.
   * Otherwise the endpoint is parsed once, into where Node's client sends the form.
   */
  private routeOf(url: string): FormTarget | 'proxy' {
    let route = this.routes.get(url);
    if (route === undefined) {
      const configured = this.http.axiosRef.defaults.proxy;
      const proxied = configured !== undefined ? configured !== false : getProxyForUrl(url) !== '';
      route = proxied ? 'proxy' : formTarget(new URL(url));
      this.routes.set(url, route);
    }
    return route;
  }

  /** The module's keep-alive agents with the connect and idle guards (intuitHttpProvider). */
  private agents(): { httpAgent: http.Agent; httpsAgent: https.Agent } {
    const { httpAgent, httpsAgent } = this.http.axiosRef.defaults;
    return { httpAgent: httpAgent as http.Agent, httpsAgent: httpsAgent as https.Agent };
  }

  /** Runs a request; network errors become classified IntuitCallFailures. */
  private async send(request: () => Promise<IntuitHttpResponse>): Promise<IntuitHttpResponse> {
    try {
      return await request();
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      const causeCode = (err as { cause?: { code?: string } }).cause?.code ?? '';
      const beforeSend = BEFORE_SEND_CODES.has(code) || BEFORE_SEND_CODES.has(causeCode);
      throw new IntuitCallFailure(beforeSend ? 'network_before_send' : 'network_in_doubt', null, null);
    }
  }

  private notify(grantType: string, status: number | null, latencyMs: number): void {
    this.events.signal({ kind: 'token_call', grantType, status, latencyMs });
  }

  private failureFrom(res: IntuitHttpResponse): IntuitCallFailure {
    const tid = tidOf(res);
    const body = safeJson(res.data) as { error?: unknown } | null;
    const oauthError = body && typeof body.error === 'string' ? body.error.slice(0, 64) : null;
    if (res.status === 429) {
      return new IntuitCallFailure('rate_limited', 429, tid, parseRetryAfter(header(res, 'retry-after'), Date.now()), oauthError);
    }
    if (res.status >= 500) {
      return new IntuitCallFailure('server_error', res.status, tid, parseRetryAfter(header(res, 'retry-after'), Date.now()), oauthError);
    }
    if (oauthError === 'invalid_grant') return new IntuitCallFailure('invalid_grant', res.status, tid, null, oauthError);
    if (oauthError === 'invalid_client' || res.status === 401)
      return new IntuitCallFailure('invalid_client', res.status, tid, null, oauthError ?? 'invalid_client');
    return new IntuitCallFailure('oauth_error', res.status, tid, null, oauthError ?? `http_${res.status}`);
  }

  private basic(creds: IntuitClientCredentials): Record<string, string> {
    return { Authorization: `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}` };
  }
}

function header(res: IntuitHttpResponse, name: string): string | null {
  const v = res.headers?.[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : null;
}

function tidOf(res: IntuitHttpResponse): string | null {
  return header(res, 'intuit_tid');
}

function safeJson(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

function skewOf(res: IntuitHttpResponse, sentAt: number, receivedAt: number): number | null {
  const date = header(res, 'date');
  if (!date) return null;
  const server = Date.parse(date);
  if (Number.isNaN(server)) return null;
  return server - Math.round((sentAt + receivedAt) / 2);
}
