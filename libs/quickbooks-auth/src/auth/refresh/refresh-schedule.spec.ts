import { computeNextRefreshAt, fullJitterBackoffMs, usedWithin } from './refresh-schedule';

describe('computeNextRefreshAt', () => {
  const now = Date.UTC(2026, 0, 1);
  const expires = new Date(now + 3600_000);

  it('refreshes lead seconds before expiry, minus up to jitterRatio × lead', () => {
    const early = computeNextRefreshAt({
      now,
      accessTokenExpiresAt: expires,
      refreshLeadSeconds: 1800,
      jitterRatio: 0.2,
      keepAliveSeconds: 86400,
      random: () => 1,
    });
    const late = computeNextRefreshAt({
      now,
      accessTokenExpiresAt: expires,
      refreshLeadSeconds: 1800,
      jitterRatio: 0.2,
      keepAliveSeconds: 86400,
      random: () => 0,
    });
    expect(late.getTime()).toBe(now + 1800_000);
    expect(early.getTime()).toBe(now + 1800_000 - 360_000);
  });

  it('never later than the keep-alive, never in the past', () => {
    const far = new Date(now + 10 * 86400_000);
    expect(
      computeNextRefreshAt({ now, accessTokenExpiresAt: far, refreshLeadSeconds: 1800, jitterRatio: 0, keepAliveSeconds: 86400 }).getTime(),
    ).toBe(now + 86400_000);
    const past = new Date(now - 1000);
    expect(
      computeNextRefreshAt({
        now,
        accessTokenExpiresAt: past,
        refreshLeadSeconds: 1800,
        jitterRatio: 0,
        keepAliveSeconds: 86400,
      }).getTime(),
    ).toBe(now);
  });
});

describe('computeNextRefreshAt, idle (proactive recent)', () => {
  const now = Date.UTC(2026, 0, 1);
  it('keeps an idle connection alive only: keep-alive from now, minus up to jitterRatio × lead, whatever the expiry', () => {
    const expires = new Date(now + 3600_000);
    const late = computeNextRefreshAt({
      now,
      accessTokenExpiresAt: expires,
      refreshLeadSeconds: 1800,
      jitterRatio: 0.2,
      keepAliveSeconds: 86400,
      idle: true,
      random: () => 0,
    });
    const early = computeNextRefreshAt({
      now,
      accessTokenExpiresAt: expires,
      refreshLeadSeconds: 1800,
      jitterRatio: 0.2,
      keepAliveSeconds: 86400,
      idle: true,
      random: () => 1,
    });
    expect(late.getTime()).toBe(now + 86400_000);
    expect(early.getTime()).toBe(now + 86400_000 - 360_000);
  });
});

describe('usedWithin', () => {
  const now = Date.UTC(2026, 0, 1);
  it('is true only for a use recorded inside the window; never recorded is not recent', () => {
    expect(usedWithin(new Date(now - 7199_000), now, 7200)).toBe(true);
    expect(usedWithin(new Date(now - 7200_000), now, 7200)).toBe(false);
    expect(usedWithin(null, now, 7200)).toBe(false);
  });
});

describe('fullJitterBackoffMs', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    expect(fullJitterBackoffMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(fullJitterBackoffMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(fullJitterBackoffMs(30, 1000, 60_000, () => 1)).toBe(60_000);
    expect(fullJitterBackoffMs(4, 1000, 60_000, () => 0)).toBe(0);
  });
});
