import { HttpException, HttpStatus } from '@nestjs/common';
import { quickBooksErrorResponse, type QuickBooksErrorResponse } from '@quickbooks-auth/nestjs';
import { CredentialsBlockedError } from '../auth/credentials-blocked.error';
import { requestBodyError } from './request-body-error';

export { DEFAULT_RETRY_AFTER_SECONDS } from '@quickbooks-auth/nestjs';

/** An HTTP error answer: a stable `error` code, a human message, nothing secret. */
export type ErrorResponse = QuickBooksErrorResponse;

/**
 * Maps Nest's HttpExceptions and the library's typed errors (the library's own mapping,
 * docs/http-errors.md) to HTTP; anything else is a bare 500.
 */
export function toErrorResponse(err: unknown): ErrorResponse {
  const answer = (
    status: number,
    error: string,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): ErrorResponse => ({
    status,
    body: { error, message, ...extra },
    headers,
  });
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const r = err.getResponse();
    if (
      typeof r === 'object' &&
      r !== null &&
      typeof (r as { error?: unknown }).error === 'string' &&
      typeof (r as { message?: unknown }).message === 'string'
    ) {
      return { status, body: r as ErrorResponse['body'], headers: {} };
    }
    const message =
      typeof r === 'string'
        ? r
        : Array.isArray((r as { message?: unknown }).message)
          ? (r as { message: string[] }).message.join('; ')
          : err.message;
    return answer(status, snake(HttpStatus[status] ?? 'error'), message);
  }
  // body-parser's failures (too large, charset, encoding, malformed): the caller's fault, never a 500.
  const body = requestBodyError(err);
  if (body) return answer(body.status, body.error, body.message);
  if (err instanceof CredentialsBlockedError) {
    return answer(
      429,
      'too_many_failed_attempts',
      'Too many failed logins or API keys from this client; try again later',
      {},
      { 'Retry-After': String(err.retryAfterSeconds) },
    );
  }
  const library = quickBooksErrorResponse(err);
  if (library) return library;
  return answer(500, 'internal_error', 'Something went wrong');
}

function snake(name: string): string {
  return name.toLowerCase();
}
