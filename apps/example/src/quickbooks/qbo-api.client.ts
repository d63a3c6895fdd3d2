import { Inject, Injectable } from '@nestjs/common';
import { EXAMPLE_RUNTIME, type ExampleRuntime } from '../runtime/example-runtime';
import { QboApiError } from './qbo-api.error';

const TIMEOUT_MS = 15_000;
/** QBO minor version pinned so response shapes do not drift under us. */
const MINOR_VERSION = '75';

/** Minimal QBO accounting API client: only what the example shows. */
@Injectable()
export class QboApiClient {
  constructor(@Inject(EXAMPLE_RUNTIME) private readonly runtime: ExampleRuntime) {}

  /** `GET /v3/company/:realmId/companyinfo/:realmId` with the given access token. */
  async companyInfo(realmId: string, accessToken: string): Promise<Record<string, unknown>> {
    const id = encodeURIComponent(realmId);
    const url = `${this.runtime.apiBaseUrl}/v3/company/${id}/companyinfo/${id}?minorversion=${MINOR_VERSION}`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      throw new QboApiError(null, null);
    }
    const tid = res.headers.get('intuit_tid');
    if (!res.ok) {
      await res.body?.cancel();
      throw new QboApiError(res.status, tid, res.headers.get('retry-after'));
    }
    let body: { CompanyInfo?: Record<string, unknown> };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new QboApiError(502, tid);
    }
    if (!body?.CompanyInfo || typeof body.CompanyInfo !== 'object') throw new QboApiError(502, tid);
    return body.CompanyInfo;
  }
}
