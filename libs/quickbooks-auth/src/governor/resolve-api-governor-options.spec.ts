import { resolveApiGovernorOptions } from './resolve-api-governor-options';

describe('apiGovernor options', () => {
  it("defaults to Intuit's limits, on, per process, with the Builder tier budget", () => {
    expect(resolveApiGovernorOptions(undefined, [])).toEqual({
      enabled: true,
      maxConcurrentPerRealm: 10,
      maxRequestsPerMinutePerRealm: 500,
      queueTimeoutMs: 30_000,
      maxQueuedPerRealm: 1000,
      throttleRetries: 2,
      throttleBackoffMs: 1000,
      shared: null,
      monthlyCorePlusBudget: 500_000,
    });
  });

  it('names every bad field, never its value', () => {
    const problems: string[] = [];
    resolveApiGovernorOptions(
      {
        enabled: 'yes' as never,
        maxConcurrentPerRealm: 0,
        maxRequestsPerMinutePerRealm: 1.5,
        queueTimeoutMs: -1,
        shared: { type: 'redis', url: 'http://canary-host:6379' },
        meter: { monthlyCorePlusBudget: 0 },
      },
      problems,
    );
    expect([...problems].sort()).toEqual(
      [
        'apiGovernor.maxConcurrentPerRealm must be a whole number >= 1',
        'apiGovernor.maxRequestsPerMinutePerRealm must be a whole number >= 1',
        'apiGovernor.queueTimeoutMs must be a whole number >= 0',
        'apiGovernor.enabled must be a boolean',
        'apiGovernor.shared needs a client or a redis:// (rediss://) url',
        'apiGovernor.meter.monthlyCorePlusBudget must be a whole number >= 1',
      ].sort(),
    );
    expect(problems.join('\n')).not.toContain('canary-host');
  });
});
