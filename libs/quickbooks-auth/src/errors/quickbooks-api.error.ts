import { QuickBooksAuthError } from './quickbooks-auth.error';

/** One entry of Intuit's fault envelope (`Fault.Error[]`), with anything token-shaped removed. */
export interface QuickBooksFault {
  /** Intuit's error code, e.g. `3200` (authentication), `6000` (business validation), `3001` (throttled). */
  code: string | null;
  message: string | null;
  detail: string | null;
  /** The request field the error is about, when Intuit names one. */
  element: string | null;
}

/**
 * Why the call failed:
 * - no_response: nothing came back (connect refused, reset, timeout); `status` is null.
 * - fault: Intuit answered with its fault envelope (`faults` holds its entries).
 * - http_error: an error status without a fault envelope (an HTML 503 from Intuit's edge).
 * - bad_response: a success status with a body that is not the JSON expected.
 */
export type QuickBooksApiFailure = 'no_response' | 'fault' | 'http_error' | 'bad_response';

/**
 * A QBO accounting API call failed. `status` is the upstream HTTP status, which is what
 * TokenService.withAccessToken looks at: on a 401 the client refreshes once and retries, so a 401
 * here means a freshly refreshed token was refused too. Never carries a token: the body is parsed
 * into `faults` with prefixes of the presented token removed (Intuit echoes them in `Detail`).
 * @publicApi
 */
export class QuickBooksApiError extends QuickBooksAuthError {
  /** Upstream HTTP status, or null when no response arrived. */
  readonly status: number | null;
  readonly failure: QuickBooksApiFailure;
  /** Intuit's fault type: `AUTHENTICATION`, `AUTHORIZATION`, `ValidationFault`, `SERVICE`, `SYSTEM`… */
  readonly faultType: string | null;
  readonly faults: readonly QuickBooksFault[];
  /** Intuit's `intuit_tid` response header: quote it to Intuit support. */
  readonly intuitTid: string | null;
  /** From `Retry-After`, when Intuit sent one (429, 503). */
  readonly retryAfterMs: number | null;

  constructor(params: {
    operation: string;
    status: number | null;
    failure: QuickBooksApiFailure;
    faultType?: string | null;
    faults?: readonly QuickBooksFault[];
    intuitTid?: string | null;
    retryAfterMs?: number | null;
  }) {
    const faults = params.faults ?? [];
    const first = faults[0];
    const answered = params.status === null ? 'got no answer' : `answered HTTP ${params.status}`;
    const fault = first
      ? ` (${[params.faultType, first.code, first.message].filter(Boolean).join(' ')})`
      : params.failure === 'bad_response'
        ? ' (unusable body)'
        : '';
    super(
      `QuickBooks API ${params.operation} ${answered}${fault}${params.intuitTid ? ` intuit_tid=${params.intuitTid}` : ''}`,
      'quickbooks_api_error',
    );
    this.status = params.status;
    this.failure = params.failure;
    this.faultType = params.faultType ?? null;
    this.faults = faults;
    this.intuitTid = params.intuitTid ?? null;
    this.retryAfterMs = params.retryAfterMs ?? null;
  }

  /** Intuit's code of the first fault entry (`3200`, `6000`…), if any. */
  get faultCode(): string | null {
    return this.faults[0]?.code ?? null;
  }

  /** Worth retrying later as is: no answer, throttled (429) or an Intuit-side failure (5xx). */
  get retryable(): boolean {
    return this.status === null || this.status === 429 || this.status >= 500;
  }
}
