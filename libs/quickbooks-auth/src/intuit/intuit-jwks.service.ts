import type { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { JSONWebKeySet } from 'jose';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { QuickBooksUnavailableError } from '../errors/quickbooks-unavailable.error';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import { IntuitDiscoveryService } from './intuit-discovery.service';
import { QUICKBOOKS_HTTP } from './intuit-http.provider';

/** Intuit rotates its signing keys rarely; an id_token under a key we have not seen forces a refetch anyway. */
export const JWKS_TTL_MS = 60 * 60_000;
/**
 * The fetch may take at least this long, whatever `http.requestTimeoutMs` says: it happens about
 * once an hour, and giving up fails a customer's whole connect flow.
 */
export const JWKS_MIN_TIMEOUT_MS = 5_000;

/**
 * Intuit's id_token signing keys, from the discovery document's `jwks_uri`: fetched with the
 * module's HTTP client (timeouts, no redirects), cached for JWKS_TTL_MS, one fetch at a time.
 * `refetch()` is for an unknown `kid` (Intuit rotated its key): the verifier calls it once per token.
 */
@Injectable()
export class IntuitJwks {
  private readonly logger = new Logger(IntuitJwks.name);
  private cached: { keys: JSONWebKeySet; fetchedAt: number } | null = null;
  private loading: Promise<JSONWebKeySet> | null = null;

  constructor(
    @Inject(QUICKBOOKS_HTTP) private readonly http: HttpService,
    private readonly discovery: IntuitDiscoveryService,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
  ) {}

  /** The cached key set, fetched when missing or older than the TTL. QuickBooksUnavailableError when unreachable. */
  keys(): Promise<JSONWebKeySet> {
    if (this.cached && Date.now() - this.cached.fetchedAt < JWKS_TTL_MS) return Promise.resolve(this.cached.keys);
    return this.load();
  }

  /** Fetch again now (joins a fetch already running). */
  refetch(): Promise<JSONWebKeySet> {
    return this.load();
  }

  private load(): Promise<JSONWebKeySet> {
    this.loading ??= this.fetch()
      .then((keys) => {
        this.cached = { keys, fetchedAt: Date.now() };
        return keys;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  private async fetch(): Promise<JSONWebKeySet> {
    const { jwks_uri } = await this.discovery.endpoints();
    if (typeof jwks_uri !== 'string' || !jwks_uri) throw new QuickBooksUnavailableError('discovery document lacks jwks_uri');
    let body: unknown;
    try {
      const timeout = Math.max(this.options.http.requestTimeoutMs, JWKS_MIN_TIMEOUT_MS);
      const res = await this.http.axiosRef.get(jwks_uri, { timeout, headers: { Accept: 'application/json' } });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      body = typeof res.data === 'string' ? JSON.parse(res.data) : res.data;
    } catch (err) {
      this.logger.warn(`Intuit JWKS unreachable at ${jwks_uri}: ${(err as Error).message}`);
      throw new QuickBooksUnavailableError('Intuit signing keys (JWKS) unreachable');
    }
    const keys = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys) || !keys.every((k) => k && typeof k === 'object' && !Array.isArray(k))) {
      throw new QuickBooksUnavailableError('Intuit JWKS is not a key set');
    }
    return { keys } as JSONWebKeySet;
  }
}
