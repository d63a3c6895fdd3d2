import { AuthorizationDeniedError } from '../errors/authorization-denied.error';
import { ConnectionNotFoundError } from '../errors/connection-not-found.error';
import { ConnectionUndecryptableError } from '../errors/connection-undecryptable.error';
import { IntuitResponseError } from '../errors/intuit-response.error';
import { InvalidCallbackError } from '../errors/invalid-callback.error';
import { InvalidArgumentError } from '../errors/invalid-argument.error';
import { ReconnectRealmMismatchError } from '../errors/reconnect-realm-mismatch.error';
import { InvalidStateError } from '../errors/invalid-state.error';
import { QuickBooksApiError } from '../errors/quickbooks-api.error';
import { QuickBooksApiBusyError } from '../errors/quickbooks-api-busy.error';
import { QuickBooksAuthError } from '../errors/quickbooks-auth.error';
import { QuickBooksUnavailableError } from '../errors/quickbooks-unavailable.error';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error';

/** An HTTP answer for a library error: status, a JSON body with a stable `error` code, headers. @publicApi */
export interface QuickBooksErrorResponse {
  status: number;
  body: { error: string; message: string } & Record<string, unknown>;
  headers: Record<string, string>;
}

/** `Retry-After` on a 503 when neither Intuit nor the library gave a better hint (seconds). @publicApi */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * The HTTP answer for one of the library's typed errors (docs/http-errors.md), or null for any
 * other error so the host's own handling applies. Messages are written here, never copied from
 * Intuit's bodies or driver errors, so nothing secret reaches a client (I5).
 * @publicApi
 */
export function quickBooksErrorResponse(err: unknown): QuickBooksErrorResponse | null {
  if (!(err instanceof QuickBooksAuthError)) return null;
  if (err instanceof ConnectionNotFoundError) return answer(404, 'connection_not_found', 'No QuickBooks connection for this realm');
  if (err instanceof ConnectionUndecryptableError) {
    return answer(409, 'connection_undecryptable', 'This QuickBooks connection can no longer be read: connect it again or disconnect it', {
      realmId: err.realmId,
    });
  }
  if (err instanceof ReauthorizationRequiredError) {
    return answer(409, 'reauthorization_required', 'QuickBooks no longer accepts this connection: connect it again', {
      realmId: err.realmId,
      reason: err.reason,
      reconnectUrl: err.reconnectUrl,
    });
  }
  if (err instanceof InvalidStateError)
    return answer(400, 'invalid_state', 'The connect request expired, was already used, or belongs to another session: start again');
  // Library-written reasons (which parameter, which check): no value from the request is in them.
  if (err instanceof InvalidCallbackError) return answer(400, 'invalid_callback', err.message);
  if (err instanceof InvalidArgumentError) return answer(400, 'invalid_argument', err.message);
  if (err instanceof ReconnectRealmMismatchError) {
    return answer(
      409,
      'reconnect_realm_mismatch',
      'You authorized a different QuickBooks company than the one being reconnected: start the reconnect again and pick that company',
      { realmId: err.expectedRealmId },
    );
  }
  if (err instanceof AuthorizationDeniedError)
    return answer(403, 'authorization_denied', 'QuickBooks access was not granted', { oauthError: err.oauthError });
  if (err instanceof QuickBooksUnavailableError) {
    // Retryable, never the customer's to fix: Intuit failing, another replica's refresh still
    // running, this replica draining for a deploy. Always with Retry-After.
    return answer(
      503,
      'quickbooks_unavailable',
      'QuickBooks is temporarily unavailable; try again shortly',
      { intuitTid: err.intuitTid },
      retryAfter(err.retryAfterMs),
    );
  }
  if (err instanceof IntuitResponseError)
    return answer(502, 'intuit_error', 'Intuit refused the request', { oauthError: err.oauthError, intuitTid: err.intuitTid });
  if (err instanceof QuickBooksApiError) return apiErrorResponse(err);
  // The API governor held the call back (nothing was sent): too many calls for this company now.
  if (err instanceof QuickBooksApiBusyError)
    return answer(
      429,
      'quickbooks_api_busy',
      'Too many QuickBooks calls for this company right now; try again shortly',
      { reason: err.reason },
      retryAfter(err.retryAfterMs),
    );
  // Configuration, storage, decryption: the operator's to fix; the message may name internals.
  return answer(500, 'internal_error', 'Something went wrong');
}

function apiErrorResponse(err: QuickBooksApiError): QuickBooksErrorResponse {
  const extra = { upstreamStatus: err.status, faultCode: err.faultCode, intuitTid: err.intuitTid };
  if (err.status === 429)
    return answer(
      429,
      'quickbooks_rate_limited',
      'QuickBooks is throttling this company; try again later',
      extra,
      retryAfter(err.retryAfterMs),
    );
  if (err.retryable)
    return answer(503, 'quickbooks_unavailable', 'The QuickBooks API is temporarily unavailable', extra, retryAfter(err.retryAfterMs));
  // Only a token refreshed after a first 401 gets here (withAccessToken retried once).
  if (err.status === 401) return answer(502, 'quickbooks_token_rejected', 'The QuickBooks API rejected a freshly refreshed token', extra);
  return answer(502, 'quickbooks_api_error', 'The QuickBooks API refused the request', extra);
}

function answer(
  status: number,
  error: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): QuickBooksErrorResponse {
  return { status, body: { error, message, ...extra }, headers };
}

/** `Retry-After` in whole seconds (at least 1), from a hint in ms or the default. */
function retryAfter(ms: number | null): Record<string, string> {
  const seconds = ms !== null && Number.isFinite(ms) && ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : DEFAULT_RETRY_AFTER_SECONDS;
  return { 'Retry-After': String(seconds) };
}
