import type { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import type { AxiosResponse } from 'axios';
import type { ConnectionRef } from '../domain/connection.interface';
import { TokenService } from '../auth/token.service';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { QuickBooksApiError } from '../errors/quickbooks-api.error';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import { parseRetryAfter } from '../intuit/intuit-call-failure';
import { IntuitDiscoveryService } from '../intuit/intuit-discovery.service';
import { QUICKBOOKS_HTTP } from '../intuit/intuit-http.provider';
import { parseQboFault } from '../intuit/qbo-fault';
import { apiCallCategory } from '../governor/api-call-category';
import type { QuickBooksApiRequest, QuickBooksCompanyInfo, QuickBooksQueryResponse } from './quickbooks-api.interface';

/** QBO minor version sent unless a request sets its own, so response shapes do not drift. @publicApi */
export const QBO_MINOR_VERSION = '75';

const SAFE_PATH = /^[A-Za-z0-9][A-Za-z0-9._~%-]*(\/[A-Za-z0-9._~%-]+)*$/;

/**
 * The QBO accounting API, for one connection at a time. The base URL is the module's: `apiBaseUrl`,
 * else `intuitBaseUrl` (the emulator serves the API at its own base), else Intuit's host for
 * `environment`; so one setting points OAuth and API calls at the same place. Tokens come from
 * TokenService.withAccessToken: a 401 forces one refresh and one retry, and every request waits
 * its turn at the realm's API governor (429s pause the realm and are sent again). Failures are
 * QuickBooksApiError (status, Intuit's fault entries, intuit_tid; never a token).
 * @publicApi
 */
@Injectable()
export class QuickBooksApiClient {
  /** @hidden Nest injects it: `app.get(QuickBooksApiClient)` or a constructor parameter. */
  constructor(
    @Inject(QUICKBOOKS_HTTP) private readonly http: HttpService,
    private readonly discovery: IntuitDiscoveryService,
    private readonly tokens: TokenService,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
  ) {}

  /** Where API calls go, e.g. `https://sandbox-quickbooks.api.intuit.com` (no trailing slash). */
  get baseUrl(): string {
    return this.discovery.apiBaseUrl.replace(/\/+$/, '');
  }

  /**
   * Any QBO call under `/v3/company/{ref.realmId}/`: the realm in the URL is always the connection's.
   * Resolves to the parsed JSON body.
   * @throws QuickBooksApiError the API failed or refused (see `status`, `faults`, `retryable`).
   * @throws ConnectionNotFoundError | ReauthorizationRequiredError | QuickBooksUnavailableError from getting the token.
   */
  async request<T = unknown>(ref: ConnectionRef, req: QuickBooksApiRequest): Promise<T> {
    if (typeof req?.path !== 'string' || !SAFE_PATH.test(req.path) || req.path.split('/').some((s) => s === '.' || s === '..')) {
      throw new TypeError(
        'QuickBooksApiClient.request: path must be relative to /v3/company/{realmId}/ (no leading slash, query string or dot segments)',
      );
    }
    const url = new URL(`${this.baseUrl}/v3/company/${encodeURIComponent(ref.realmId)}/${req.path}`);
    url.searchParams.set('minorversion', QBO_MINOR_VERSION);
    for (const [name, value] of Object.entries(req.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const method = req.method ?? 'GET';
    // Entity name only: ids and statements stay out of error messages.
    const operation = `${method} ${req.path.split('/')[0]}`;
    // Each attempt waits its turn at the realm's API governor; the path says its metering category.
    const call = { signal: req.signal, queueTimeoutMs: req.queueTimeoutMs, category: apiCallCategory(method, req.path) };
    return this.tokens.withAccessToken(ref, (token) => this.send<T>(url, method, req, token, operation), call);
  }

  /** The company's CompanyInfo entity (`GET companyinfo/{realmId}`). */
  async getCompanyInfo(ref: ConnectionRef): Promise<QuickBooksCompanyInfo> {
    const body = await this.request<{ CompanyInfo?: QuickBooksCompanyInfo }>(ref, {
      path: `companyinfo/${encodeURIComponent(ref.realmId)}`,
    });
    if (!body || typeof body.CompanyInfo !== 'object' || body.CompanyInfo === null) {
      throw new QuickBooksApiError({ operation: 'GET companyinfo', status: 200, failure: 'bad_response' });
    }
    return body.CompanyInfo;
  }

  /**
   * A QBO query statement, e.g. `select * from Customer where Active = true startposition 1 maxresults 100`.
   * Sent as the POST body (not in the URL, so it stays out of access logs). Resolves to `QueryResponse`.
   */
  async query(ref: ConnectionRef, statement: string): Promise<QuickBooksQueryResponse> {
    const body = await this.request<{ QueryResponse?: QuickBooksQueryResponse }>(ref, {
      method: 'POST',
      path: 'query',
      body: statement,
      contentType: 'application/text',
    });
    if (!body || typeof body.QueryResponse !== 'object' || body.QueryResponse === null) {
      throw new QuickBooksApiError({ operation: 'POST query', status: 200, failure: 'bad_response' });
    }
    return body.QueryResponse;
  }

  private async send<T>(url: URL, method: 'GET' | 'POST', req: QuickBooksApiRequest, token: string, operation: string): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    let data: string | undefined;
    if (req.body !== undefined) {
      const text = typeof req.body === 'string';
      data = text ? (req.body as string) : JSON.stringify(req.body);
      headers['Content-Type'] = req.contentType ?? (text ? 'application/text' : 'application/json');
    }
    let res: AxiosResponse<string>;
    try {
      res = await this.http.axiosRef.request<string>({
        url: url.toString(),
        method,
        headers,
        data,
        timeout: req.timeoutMs ?? this.options.http.requestTimeoutMs,
        signal: req.signal,
      });
    } catch {
      // The caller's own abort is theirs to see as such, not as Intuit not answering.
      if (req.signal?.aborted) throw req.signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
      // The axios error holds the request config (our Authorization header): never passed on.
      throw new QuickBooksApiError({ operation, status: null, failure: 'no_response' });
    }
    const intuitTid = header(res, 'intuit_tid');
    const body = parseJson(res.data);
    const fault = body === undefined ? null : parseQboFault(body, token);
    const ok = res.status >= 200 && res.status < 300;
    if (ok && !fault) {
      if (body === undefined && res.data !== '' && res.data !== undefined)
        throw new QuickBooksApiError({ operation, status: res.status, failure: 'bad_response', intuitTid });
      return (body ?? null) as T;
    }
    throw new QuickBooksApiError({
      operation,
      status: res.status,
      failure: fault ? 'fault' : 'http_error',
      faultType: fault?.type,
      faults: fault?.errors,
      intuitTid,
      retryAfterMs: parseRetryAfter(header(res, 'retry-after'), this.options.clock.now()),
    });
  }
}

function header(res: AxiosResponse, name: string): string | null {
  const v = (res.headers as Record<string, unknown>)[name];
  return typeof v === 'string' && v ? v : null;
}

/** The parsed body, or undefined when it is empty or not JSON. */
function parseJson(data: unknown): unknown {
  if (typeof data !== 'string' || data.trim() === '') return undefined;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
