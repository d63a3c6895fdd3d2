import { randomBytes } from 'node:crypto';
import { quickBooksOptionsFromEnv } from '../config/quickbooks.config';
import { resolveOptions } from '../config/resolved-options';
import { ConfigurationError } from '../errors/configuration.error';
import { resolveApiGovernorOptions } from './resolve-api-governor-options';

const env = () => ({
  QB_CLIENT_ID: 'id',
  QB_CLIENT_SECRET: 'canary-secret-value',
  QB_REDIRECT_URI: 'https://app.example.com/qb/callback',
  QB_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  QB_STATE_SECRET: randomBytes(32).toString('base64url'),
  QB_STORAGE: 'memory',
});

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigurationError) return err.problems;
    throw err;
  }
  return [];
}

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
      { enabled: 'yes' as never, maxConcurrentPerRealm: 0, maxRequestsPerMinutePerRealm: 1.5, queueTimeoutMs: -1, shared: { type: 'redis', url: 'http://canary-host:6379' }, meter: { monthlyCorePlusBudget: 0 } },
      problems,
    );
    expect([...problems].sort()).toEqual([
      'apiGovernor.maxConcurrentPerRealm must be a whole number >= 1',
      'apiGovernor.maxRequestsPerMinutePerRealm must be a whole number >= 1',
      'apiGovernor.queueTimeoutMs must be a whole number >= 0',
      'apiGovernor.enabled must be a boolean',
      'apiGovernor.shared needs a client or a redis:// (rediss://) url',
      'apiGovernor.meter.monthlyCorePlusBudget must be a whole number >= 1',
    ].sort());
    expect(problems.join('\n')).not.toContain('canary-host');
  });

  it('is read from the environment per deployment, and bad variables are named as variables', () => {
    const o = quickBooksOptionsFromEnv({
      ...env(),
      QB_API_MAX_CONCURRENT_PER_REALM: '4',
      QB_API_MAX_REQUESTS_PER_MINUTE_PER_REALM: '200',
      QB_API_QUEUE_TIMEOUT_MS: '5000',
      QB_API_SHARED_REDIS_URL: 'redis://127.0.0.1:6379',
      QB_API_COREPLUS_MONTHLY_BUDGET: '1000000',
    });
    expect(resolveOptions(o).apiGovernor).toMatchObject({ enabled: true, maxConcurrentPerRealm: 4, maxRequestsPerMinutePerRealm: 200, queueTimeoutMs: 5000, shared: { type: 'redis', url: 'redis://127.0.0.1:6379' }, monthlyCorePlusBudget: 1_000_000 });
    expect(resolveOptions(quickBooksOptionsFromEnv({ ...env(), QB_API_GOVERNOR_ENABLED: 'false' })).apiGovernor.enabled).toBe(false);
    const problems = problemsOf(() => quickBooksOptionsFromEnv({ ...env(), QB_API_MAX_CONCURRENT_PER_REALM: '0', QB_API_SHARED_REDIS_URL: 'http://canary-host' }));
    expect(problems).toEqual(['QB_API_MAX_CONCURRENT_PER_REALM must be a whole number >= 1', 'QB_API_SHARED_REDIS_URL needs a client or a redis:// (rediss://) url']);
  });
});
