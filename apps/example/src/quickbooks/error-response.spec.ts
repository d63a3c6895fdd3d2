import {
  ConnectionUndecryptableError,
  IntuitResponseError,
  QuickBooksApiError,
  QuickBooksUnavailableError,
  RefreshShutdownError,
} from '@quickbooks-auth/nestjs';
import { DEFAULT_RETRY_AFTER_SECONDS, toErrorResponse } from './error-response';

describe('toErrorResponse: retryable failures are 503 with Retry-After', () => {
  it('maps RefreshShutdownError (a draining replica) to 503 with its retryAfterMs in seconds', () => {
    const r = toErrorResponse(new RefreshShutdownError());
    expect(r.status).toBe(503);
    expect(r.body.error).toBe('quickbooks_unavailable');
    expect(r.headers['Retry-After']).toBe('1');
  });

  it('maps "timed out waiting for another refresh" to 503, rounding retryAfterMs up to whole seconds', () => {
    const r = toErrorResponse(new QuickBooksUnavailableError('timed out waiting for another refresh of this connection', 12_001));
    expect(r.status).toBe(503);
    expect(r.headers['Retry-After']).toBe('13');
  });

  it('still sends Retry-After when the library has no hint', () => {
    const r = toErrorResponse(new QuickBooksUnavailableError('timed out waiting for the refresh of this connection to be stored'));
    expect(r.status).toBe(503);
    expect(r.headers['Retry-After']).toBe(String(DEFAULT_RETRY_AFTER_SECONDS));
    expect(toErrorResponse(new QuickBooksUnavailableError('x', 1)).headers['Retry-After']).toBe('1');
  });

  it('keeps the upstream Retry-After of a QBO 5xx, and a default without one', () => {
    expect(
      toErrorResponse(new QuickBooksApiError({ operation: 'GET companyinfo', status: 503, failure: 'http_error', retryAfterMs: 7000 }))
        .headers['Retry-After'],
    ).toBe('7');
    const noAnswer = toErrorResponse(new QuickBooksApiError({ operation: 'GET companyinfo', status: null, failure: 'no_response' }));
    expect(noAnswer.status).toBe(503);
    expect(noAnswer.headers['Retry-After']).toBe(String(DEFAULT_RETRY_AFTER_SECONDS));
  });

  it('reserves 502 quickbooks_token_rejected for a 401 that reaches the filter (a refreshed token QBO refused)', () => {
    const r = toErrorResponse(new QuickBooksApiError({ operation: 'GET companyinfo', status: 401, failure: 'fault' }));
    expect(r.status).toBe(502);
    expect(r.body.error).toBe('quickbooks_token_rejected');
    expect(toErrorResponse(new IntuitResponseError('x', 'invalid_request', 400, null)).status).toBe(502);
  });
});

describe('toErrorResponse: a connection whose stored tokens cannot be read', () => {
  it('is 409 connection_undecryptable with the realm, never 500, and names nothing secret', () => {
    const r = toErrorResponse(new ConnectionUndecryptableError('tenant-a', '9130000000001', 'unknown key id'));
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ error: 'connection_undecryptable', realmId: '9130000000001' });
  });
});
