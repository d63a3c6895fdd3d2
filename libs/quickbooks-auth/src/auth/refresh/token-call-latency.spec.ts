import { TokenCallLatency } from './token-call-latency';

describe('TokenCallLatency', () => {
  it('knows nothing before the first observation', () => {
    expect(new TokenCallLatency().typicalMs()).toBeUndefined();
  });

  it('is the median of what it saw, so one slow answer does not move it', () => {
    const latency = new TokenCallLatency();
    for (const ms of [100, 104, 102, 5_000, 101]) latency.observe(ms);
    expect(latency.typicalMs()).toBe(102);
  });

  it('keeps only the recent window: a latency that changed is followed', () => {
    const latency = new TokenCallLatency(4);
    for (const ms of [100, 100, 100, 100]) latency.observe(ms);
    for (const ms of [300, 300, 300]) latency.observe(ms);
    expect(latency.typicalMs()).toBe(300);
  });

  it('ignores figures that are not durations', () => {
    const latency = new TokenCallLatency();
    latency.observe(Number.NaN);
    latency.observe(-5);
    latency.observe(Number.POSITIVE_INFINITY);
    expect(latency.typicalMs()).toBeUndefined();
  });
});
