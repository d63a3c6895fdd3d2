import { HttpException, HttpStatus } from '@nestjs/common';
import {
  AuthorizationDeniedError,
  ConnectionNotFoundError,
  ConnectionUndecryptableError,
  IntuitResponseError,
  InvalidCallbackError,
  InvalidStateError,
  QuickBooksUnavailableError,
  ReauthorizationRequiredError,
} from '@quickbooks-auth/nestjs';
import { QboApiError } from './qbo-api.error';

/** An HTTP error answer: a stable `error` code, a human message, nothing secret. */
export interface ErrorResponse {
  status: number;
  body: { error: string; message: string } & Record<string, unknown>;
  headers: Record<string, string>;
}

/**
 * Maps the library's typed errors (and our own) to HTTP. Messages are written here rather than
 * copied from upstream bodies, so nothing Intuit echoed (token prefixes) can leak.
 */
export function toErrorResponse(err: unknown): ErrorResponse {
  const answer = (status: number, error: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): ErrorResponse => ({
    status,
    body: { error, message, ...extra },
    headers,
  });
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const r = err.getResponse();
    if (typeof r === 'object' && r !== null && typeof (r as { error?: unknown }).error === 'string' && typeof (r as { message?: unknown }).message === 'string') {
      return { status, body: r as ErrorResponse['body'], headers: {} };
    }
    const message = typeof r === 'string' ? r : Array.isArray((r as { message?: unknown }).message) ? ((r as { message: string[] }).message.join('; ')) : err.message;
    return answer(status, snake(HttpStatus[status] ?? 'error'), message);
  }
  if (err instanceof ConnectionNotFoundError) return answer(404, 'connection_not_found', 'No QuickBooks connection for this realm');
  if (err instanceof ConnectionUndecryptableError) {
    return answer(409, 'connection_undecryptable', 'This QuickBooks connection can no longer be read: connect it again or disconnect it', { realmId: err.realmId });
  }
  if (err instanceof ReauthorizationRequiredError) {
    return answer(409, 'reauthorization_required', 'QuickBooks no longer accepts this connection: connect it again', { realmId: err.realmId, reason: err.reason, reconnectUrl: err.reconnectUrl });
  }
  if (err instanceof InvalidStateError) return answer(400, 'invalid_state', 'The connect request expired, was already used, or belongs to another session: start again');
  if (err instanceof InvalidCallbackError) return answer(400, 'invalid_callback', err.message);
  if (err instanceof AuthorizationDeniedError) return answer(403, 'authorization_denied', 'QuickBooks access was not granted', { oauthError: err.oauthError });
  if (err instanceof QuickBooksUnavailableError) {
    // Retryable, never the customer's to fix: Intuit failing, another refresh of this connection
    // still running (or a dead replica's lease not yet expired), this replica draining for a deploy
    // (RefreshShutdownError). Always with Retry-After, so callers and load balancers retry.
    return answer(503, 'quickbooks_unavailable', 'QuickBooks is temporarily unavailable; try again shortly', { intuitTid: err.intuitTid }, retryAfter(err.retryAfterMs));
  }
  if (err instanceof IntuitResponseError) return answer(502, 'intuit_error', 'Intuit refused the request', { oauthError: err.oauthError, intuitTid: err.intuitTid });
  if (err instanceof QboApiError) {
    const extra = { upstreamStatus: err.status, intuitTid: err.intuitTid };
    if (err.status === 429) return answer(429, 'quickbooks_rate_limited', 'QuickBooks is throttling this company; try again later', extra, err.retryAfter ? { 'Retry-After': err.retryAfter } : {});
    if (err.status === null || err.status >= 500) {
      return answer(503, 'quickbooks_unavailable', 'The QuickBooks API is temporarily unavailable', extra, err.retryAfter ? { 'Retry-After': err.retryAfter } : retryAfter(null));
    }
    // Only a token refreshed after the first 401 gets here (a retry with the rejected token itself
    // is a QuickBooksUnavailableError, see TenantConnectionsService.companyInfo).
    if (err.status === 401) return answer(502, 'quickbooks_token_rejected', 'The QuickBooks API rejected a freshly refreshed token', extra);
    return answer(502, 'quickbooks_api_error', 'The QuickBooks API refused the request', extra);
  }
  return answer(500, 'internal_error', 'Something went wrong');
}

/** When no better hint exists, retry a 503 after this long. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** `Retry-After` in whole seconds (at least 1), from a hint in ms or the default. */
function retryAfter(ms: number | null): Record<string, string> {
  const seconds = ms !== null && Number.isFinite(ms) && ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : DEFAULT_RETRY_AFTER_SECONDS;
  return { 'Retry-After': String(seconds) };
}

function snake(name: string): string {
  return name.toLowerCase();
}
