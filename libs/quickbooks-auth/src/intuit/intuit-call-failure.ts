/**
 * Why a call to Intuit failed, classified for the refresh policy:
 * - invalid_grant: the refresh token (or code) is dead. Never retried; reconcile then needs_reauth (I4).
 * - invalid_client: our credentials are wrong. Not the customer's fault; alert, do not mark connections.
 * - rate_limited: 429. Honour retryAfterMs, not counted as a failure.
 * - server_error: 5xx. Retry with backoff.
 * - network_before_send: connect refused/timed out; Intuit never saw the request.
 * - network_in_doubt: reset/timeout after sending; Intuit may have rotated the token.
 * - bad_response: 200 with an unusable body (in doubt too: the rotation may have happened).
 * - circuit_open: not sent; the circuit breaker is open after a run of transient failures.
 */
export type IntuitFailureKind =
  | 'invalid_grant'
  | 'invalid_client'
  | 'rate_limited'
  | 'server_error'
  | 'network_before_send'
  | 'network_in_doubt'
  | 'bad_response'
  | 'oauth_error'
  | 'circuit_open';

export class IntuitCallFailure extends Error {
  constructor(
    public readonly kind: IntuitFailureKind,
    public readonly httpStatus: number | null,
    public readonly intuitTid: string | null,
    /** Only for rate_limited (Retry-After) and server_error when Intuit said. */
    public readonly retryAfterMs: number | null = null,
    /** OAuth error code as Intuit sent it (never a token). */
    public readonly oauthError: string | null = null,
  ) {
    super(`Intuit call failed: ${kind}${httpStatus ? ` (HTTP ${httpStatus})` : ''}${oauthError ? ` ${oauthError}` : ''}`);
    this.name = 'IntuitCallFailure';
  }

  /** Transient failures: retry later, never needs_reauth. */
  get transient(): boolean {
    return (
      this.kind === 'rate_limited' ||
      this.kind === 'server_error' ||
      this.kind.startsWith('network') ||
      this.kind === 'bad_response' ||
      this.kind === 'circuit_open'
    );
  }
}

/** Parses Retry-After as seconds or an HTTP date, relative to `now`. */
export function parseRetryAfter(value: string | undefined | null, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
