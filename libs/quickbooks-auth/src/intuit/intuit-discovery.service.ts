import type { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { QuickBooksUnavailableError } from '../errors/quickbooks-unavailable.error';
import { INTUIT_API_BASE_URLS, INTUIT_DISCOVERY_URLS, QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import type { IntuitDiscoveryDocument } from './intuit-discovery.interface';
import { QUICKBOOKS_HTTP } from './intuit-http.provider';

const REQUIRED = ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'revocation_endpoint'] as const;

/**
 * Endpoints come from Intuit's discovery document (sandbox and production differ), read once
 * and cached; `intuitBaseUrl` points the whole module at the emulator.
 */
@Injectable()
export class IntuitDiscoveryService {
  private readonly logger = new Logger(IntuitDiscoveryService.name);
  private cached: Promise<IntuitDiscoveryDocument> | null = null;

  constructor(
    @Inject(QUICKBOOKS_HTTP) private readonly http: HttpService,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
  ) {}

  get discoveryUrl(): string {
    return this.options.discoveryUrl ?? INTUIT_DISCOVERY_URLS[this.options.environment];
  }

  /** Base URL of the QBO accounting API (`/v3/company/...`). */
  get apiBaseUrl(): string {
    return this.options.apiBaseUrl ?? INTUIT_API_BASE_URLS[this.options.environment];
  }

  endpoints(): Promise<IntuitDiscoveryDocument> {
    if (!this.cached) {
      this.cached = this.load().catch((err) => {
        this.cached = null; // try again on the next call
        throw err;
      });
    }
    return this.cached;
  }

  private async load(): Promise<IntuitDiscoveryDocument> {
    let body: unknown;
    try {
      const res = await this.http.axiosRef.get(this.discoveryUrl, {
        timeout: this.options.http.requestTimeoutMs,
        headers: { Accept: 'application/json' },
      });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      body = typeof res.data === 'string' ? JSON.parse(res.data) : res.data;
    } catch (err) {
      this.logger.warn(`Intuit discovery document unreachable at ${this.discoveryUrl}: ${(err as Error).message}`);
      throw new QuickBooksUnavailableError('discovery document unreachable');
    }
    const doc = body as Partial<IntuitDiscoveryDocument> | null;
    const missing = REQUIRED.filter((k) => !doc || typeof doc[k] !== 'string');
    if (missing.length) throw new QuickBooksUnavailableError(`discovery document lacks ${missing.join(', ')}`);
    return doc as IntuitDiscoveryDocument;
  }
}
