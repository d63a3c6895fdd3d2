import { TokenCallRateLimiter } from './token-call-rate-limiter';

describe('TokenCallRateLimiter', () => {
  it('lets a burst go at once, then spaces calls at the configured rate', () => {
    let now = 1_000;
    const limiter = new TokenCallRateLimiter(10, 3, () => now);
    expect([limiter.reserve(), limiter.reserve(), limiter.reserve()]).toEqual([0, 0, 0]);
    expect(limiter.reserve()).toBe(100);
    expect(limiter.reserve()).toBe(200);
    now += 1_000; // idle time refills the bucket
    expect([limiter.reserve(), limiter.reserve(), limiter.reserve()]).toEqual([0, 0, 0]);
  });

  it('keeps the long-run rate whatever the arrival pattern', () => {
    let now = 0;
    const limiter = new TokenCallRateLimiter(5, 1, () => now);
    const waits = Array.from({ length: 50 }, () => limiter.reserve());
    // 50 calls at 5/s: the last one goes out 9.8 s after the first.
    expect(waits[49]).toBeCloseTo(9_800, 5);
    now = 20_000;
    expect(limiter.reserve()).toBe(0);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new TokenCallRateLimiter(0)).toThrow(RangeError);
  });
});
