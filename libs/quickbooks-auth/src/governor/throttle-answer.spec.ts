import { QuickBooksApiError } from '../errors/quickbooks-api.error';
import { isThrottled, throttleBackoffMs, throttleRetryAfterMs } from './throttle-answer';

describe('throttle answers', () => {
  it('knows a 429 and a ThrottleExceeded fault, and nothing else', () => {
    expect(isThrottled(new QuickBooksApiError({ operation: 'GET x', status: 429, failure: 'fault' }))).toBe(true);
    expect(isThrottled({ response: { status: 429 } })).toBe(true);
    expect(isThrottled({ getStatus: () => 429 })).toBe(true);
    expect(
      isThrottled(
        new QuickBooksApiError({
          operation: 'GET x',
          status: 400,
          failure: 'fault',
          faults: [{ code: '003001', message: null, detail: null, element: null }],
        }),
      ),
    ).toBe(true);
    expect(isThrottled(new QuickBooksApiError({ operation: 'GET x', status: 401, failure: 'fault' }))).toBe(false);
    expect(isThrottled(new Error('boom'))).toBe(false);
    expect(isThrottled(null)).toBe(false);
  });

  it('reads Retry-After from the library error or an axios-style header', () => {
    expect(throttleRetryAfterMs(new QuickBooksApiError({ operation: 'GET x', status: 429, failure: 'fault', retryAfterMs: 7000 }), 0)).toBe(
      7000,
    );
    expect(throttleRetryAfterMs({ response: { headers: { 'retry-after': '3' } } }, 0)).toBe(3000);
    expect(throttleRetryAfterMs({ response: { headers: { 'retry-after': new Date(10_000).toUTCString() } } }, 4000)).toBe(6000);
    expect(throttleRetryAfterMs({ response: { headers: {} } }, 0)).toBeNull();
  });

  it('honours Retry-After, else jitters an exponential step up to a minute', () => {
    expect(throttleBackoffMs(2500, 1, 1000)).toBe(2500);
    expect(throttleBackoffMs(null, 1, 1000, () => 0)).toBe(500);
    expect(throttleBackoffMs(null, 1, 1000, () => 1)).toBe(1000);
    expect(throttleBackoffMs(null, 3, 1000, () => 1)).toBe(4000);
    expect(throttleBackoffMs(null, 20, 1000, () => 1)).toBe(60_000);
  });
});
