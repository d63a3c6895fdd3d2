/**
 * A QBO accounting API call failed. `status` is what TokenService.withAccessToken looks at:
 * a 401 triggers one forced refresh and one retry. The response body is never kept (it can echo token prefixes).
 */
export class QboApiError extends Error {
  constructor(
    /** Upstream HTTP status, or null when no response arrived. */
    public readonly status: number | null,
    public readonly intuitTid: string | null,
    public readonly retryAfter: string | null = null,
  ) {
    super(status === null ? 'QuickBooks API did not answer' : `QuickBooks API answered HTTP ${status}`);
    this.name = 'QboApiError';
  }
}
