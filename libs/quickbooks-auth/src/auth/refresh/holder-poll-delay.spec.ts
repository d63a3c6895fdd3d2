import { holderPollDelayMs } from './holder-poll-delay';

describe('holderPollDelayMs', () => {
  const regularMs = 15;

  it('keeps the regular cadence with no estimate or no call begun', () => {
    expect(holderPollDelayMs({ regularMs, sinceCallStartMs: 10, typicalCallMs: undefined })).toBe(regularMs);
    expect(holderPollDelayMs({ regularMs, sinceCallStartMs: undefined, typicalCallMs: 100 })).toBe(regularMs);
  });

  it('early in the call, sleeps the regular cadence at most', () => {
    expect(holderPollDelayMs({ regularMs, sinceCallStartMs: 5, typicalCallMs: 100 })).toBe(regularMs);
  });

  it('wakes at the start of the window around the expected answer, not a poll later', () => {
    // 0.9 of a 100 ms call is 90 ms: 8 ms from 82.
    expect(holderPollDelayMs({ regularMs, sinceCallStartMs: 82, typicalCallMs: 100 })).toBeCloseTo(8);
  });

  it('inside the window, reads every 1/50 of a call (2 ms at least)', () => {
    expect(holderPollDelayMs({ regularMs, sinceCallStartMs: 95, typicalCallMs: 100 })).toBe(2);
    expect(holderPollDelayMs({ regularMs, sinceCallStartMs: 300, typicalCallMs: 300 })).toBe(6);
    expect(holderPollDelayMs({ regularMs, sinceCallStartMs: 20, typicalCallMs: 20 })).toBe(2);
  });

  it('past the window (a slow answer, or a skewed store clock), back to the regular cadence', () => {
    expect(holderPollDelayMs({ regularMs, sinceCallStartMs: 126, typicalCallMs: 100 })).toBe(regularMs);
    expect(holderPollDelayMs({ regularMs: 500, sinceCallStartMs: 60_000, typicalCallMs: 100 })).toBe(500);
  });

  it('is never longer than the regular cadence', () => {
    for (const since of [-1_000, 0, 50, 89, 90, 110, 125, 10_000])
      for (const typical of [1, 20, 100, 1_000, 30_000])
        expect(holderPollDelayMs({ regularMs, sinceCallStartMs: since, typicalCallMs: typical })).toBeLessThanOrEqual(regularMs);
  });
});
