import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { ConfigurationError } from '../errors/configuration.error';
import { quickBooksOptionsFromEnv } from './quickbooks.config';
import { resolveOptions } from './resolved-options';

const good = () => ({
  QB_CLIENT_ID: 'id',
  QB_CLIENT_SECRET: 'canary-secret-value',
  QB_REDIRECT_URI: 'https://app.example.com/qb/callback',
  QB_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  QB_STATE_SECRET: randomBytes(32).toString('base64url'),
  QB_STORAGE: 'memory',
});

describe('quickBooksOptionsFromEnv', () => {
  it('reads a complete environment', () => {
    const o = quickBooksOptionsFromEnv({ ...good(), QB_REFRESH_LEAD_SECONDS: '900', QB_ENVIRONMENT: 'production' });
    expect(o.refreshLeadSeconds).toBe(900);
    expect(o.environment).toBe('production');
    expect(o.storage).toEqual({ type: 'memory' });
  });

  it('names every missing or bad variable at once, printing no value', () => {
    const env = {
      ...good(),
      QB_CLIENT_ID: '',
      QB_ENVIRONMENT: 'staging',
      QB_REFRESH_LEAD_SECONDS: 'soon',
      QB_ENCRYPTION_KEYS: 'k1:c2hvcnQ=',
      QB_STORAGE: 'typeorm',
    };
    try {
      quickBooksOptionsFromEnv(env);
      throw new Error('should fail');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigurationError);
      const msg = (err as Error).message;
      for (const name of ['QB_CLIENT_ID', 'QB_ENVIRONMENT', 'QB_REFRESH_LEAD_SECONDS', 'DATABASE_URL']) expect(msg).toContain(name);
      expect(msg).not.toContain('canary-secret-value');
      expect(msg).not.toContain('c2hvcnQ=');
    }
  });

  it('QB_STORAGE=typeorm takes a postgres:// or postgresql:// DATABASE_URL; one without a database is refused', () => {
    for (const url of ['postgres://app:pw@db.internal:5432/app', 'postgresql://app@db.internal/app']) {
      const o = quickBooksOptionsFromEnv({ ...good(), QB_STORAGE: 'typeorm', DATABASE_URL: url });
      expect(o.storage).toEqual({ type: 'typeorm', url });
      expect(() => resolveOptions(o)).not.toThrow();
    }
    expect(() =>
      quickBooksOptionsFromEnv({ ...good(), QB_STORAGE: 'typeorm', DATABASE_URL: 'postgres://app:pw@db.internal:5432' }),
    ).toThrow(/storage.url \(DATABASE_URL\) must name a database: postgres:\/\/user:password@host:5432\/<database>/);
    expect(() => quickBooksOptionsFromEnv({ ...good(), QB_STORAGE: 'typeorm', DATABASE_URL: 'mssql://app@db/app' })).toThrow(
      /must be a mysql:\/\/, mariadb:\/\/, postgres:\/\/ or postgresql:\/\/ URL/,
    );
  });

  it('reads the per-tenant metrics list, off when unset', () => {
    expect(quickBooksOptionsFromEnv(good()).metricsTenantLabel).toBeUndefined();
    const o = resolveOptions(quickBooksOptionsFromEnv({ ...good(), QB_METRICS_TENANTS: ' acme, globex ,' }));
    expect(o.metricsTenantLabel!('acme')).toBe('acme');
    expect(o.metricsTenantLabel!('globex')).toBe('globex');
    expect(o.metricsTenantLabel!('initech')).toBe('other');
  });

  it('rejects a short state secret and a bad key by variable name', () => {
    expect(() => quickBooksOptionsFromEnv({ ...good(), QB_STATE_SECRET: 'short' })).toThrow(/QB_STATE_SECRET/);
    expect(() => quickBooksOptionsFromEnv({ ...good(), QB_ENCRYPTION_KEYS: 'k1:abc' })).toThrow(/32 bytes/);
  });
});

describe('resolveOptions: proactive refresh policy', () => {
  const base = () => resolveOptions(quickBooksOptionsFromEnv(good()));
  it('reads QB_SCHEDULER_PROACTIVE and QB_SCHEDULER_RECENT_WINDOW_SECONDS, naming a bad one', () => {
    expect(
      resolveOptions(quickBooksOptionsFromEnv({ ...good(), QB_SCHEDULER_PROACTIVE: 'all', QB_SCHEDULER_RECENT_WINDOW_SECONDS: '3600' }))
        .scheduler,
    ).toMatchObject({ proactive: 'all', recentWindowSeconds: 3600 });
    expect(() => quickBooksOptionsFromEnv({ ...good(), QB_SCHEDULER_PROACTIVE: 'some' })).toThrow(
      /QB_SCHEDULER_PROACTIVE must be "all" or "recent"/,
    );
  });

  it("defaults to 'recent' with a 2 h window, and keeps 'all' when asked", () => {
    expect(base().scheduler).toMatchObject({ proactive: 'recent', recentWindowSeconds: 7200, keepAliveSeconds: 86_400 });
    expect(resolveOptions({ ...quickBooksOptionsFromEnv(good()), scheduler: { proactive: 'all' } }).scheduler.proactive).toBe('all');
  });
});

describe('resolveOptions bounds', () => {
  const base = () => quickBooksOptionsFromEnv(good());

  it('refuses settings that could never be met', () => {
    expect(() => resolveOptions({ ...base(), minValiditySeconds: 3600 })).toThrow(/minValiditySeconds must be below 3600/);
    expect(() => resolveOptions({ ...base(), refreshLeadSeconds: 4000 })).toThrow(/refreshLeadSeconds must be below 3600/);
    expect(() => resolveOptions({ ...base(), scheduler: { jitterRatio: 2 } })).toThrow(/jitterRatio/);
    expect(() => resolveOptions({ ...base(), scheduler: { proactive: 'some' as never } })).toThrow(
      /scheduler\.proactive must be "all" or "recent"/,
    );
    expect(() => resolveOptions({ ...base(), scheduler: { recentWindowSeconds: 10 } })).toThrow(
      /scheduler\.recentWindowSeconds must be a number >= 60/,
    );
    expect(() => resolveOptions({ ...base(), metricsTenantLabel: { tenants: 'acme' as unknown as string[] } })).toThrow(
      /metricsTenantLabel.tenants/,
    );
    expect(() => resolveOptions({ ...base(), metricsTenantLabel: { tenants: ['acme'], maxValues: 0 } })).toThrow(
      /metricsTenantLabel.maxValues/,
    );
    expect(() => resolveOptions({ ...base(), metricsTenantLabel: { tenants: [] } })).toThrow(/must not be empty/);
    expect(() => resolveOptions({ ...base(), metricsTenantLabel: { tenants: ['acme', 'other'] } })).toThrow(/not "other"/);
    expect(() => resolveOptions({ ...base(), metricsTenantLabel: { tenants: ['a', 'b', 'c'], maxValues: 2 } })).toThrow(
      /at least the number of listed tenants/,
    );
    // A long list is its own bound: every listed tenant keeps its series.
    const many = Array.from({ length: 80 }, (_, i) => `tenant-${i}`);
    const label = resolveOptions({ ...base(), metricsTenantLabel: { tenants: many } }).metricsTenantLabel!;
    expect(many.every((t) => label(t) === t)).toBe(true);
  });

  it('hard-expiry warning horizons: default 90/30/7, sorted farthest first, [] allowed, bad lists refused by name', () => {
    expect(resolveOptions(base()).scheduler.hardExpiryWarningDays).toEqual([90, 30, 7]);
    expect(resolveOptions({ ...base(), scheduler: { hardExpiryWarningDays: [7, 60] } }).scheduler.hardExpiryWarningDays).toEqual([60, 7]);
    expect(resolveOptions({ ...base(), scheduler: { hardExpiryWarningDays: [] } }).scheduler.hardExpiryWarningDays).toEqual([]);
    for (const bad of [[0], [7, 7], [1.5], [4000], 'soon' as unknown as number[]]) {
      expect(() => resolveOptions({ ...base(), scheduler: { hardExpiryWarningDays: bad } })).toThrow(
        /scheduler\.hardExpiryWarningDays must be a list of distinct whole days/,
      );
    }
  });

  it('substitutes every placeholder of the reconnect URL', () => {
    const o = resolveOptions({ ...base(), reconnectUrl: 'https://app/{tenantId}/{realmId}?again={realmId}' });
    expect(o.reconnectUrl({ tenantId: 't 1', realmId: '42' })).toBe('https://app/t%201/42?again=42');
  });
});

describe('weak secrets are refused by name, never printed (issue 14, item 9)', () => {
  const weakSecrets: Array<[string, string]> = [
    ['a 32-character run of one character', 'a'.repeat(32)],
    ['a long run of one character', 'x'.repeat(40)],
    ['two characters alternating', 'ab'.repeat(20)],
    ['very few distinct characters', 'aabbccddaabbccddaabbccddaabbccdd1'],
    ['a repeated word', 'changeme-'.repeat(4)],
    ['a repeated number', '1234567890'.repeat(4)],
    ['an alphabet run', 'abcdefghijklmnopqrstuvwxyz012345'],
    ['half of it one run', `prefix-of-some-kind!${'z'.repeat(20)}`],
  ];

  it.each(weakSecrets)('refuses %s as QB_STATE_SECRET / stateSecret', (_label, secret) => {
    for (const run of [
      () => quickBooksOptionsFromEnv({ ...good(), QB_STATE_SECRET: secret }),
      () => resolveOptions({ ...quickBooksOptionsFromEnv(good()), stateSecret: secret }),
    ]) {
      let err: unknown;
      try {
        run();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigurationError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/(QB_STATE_SECRET|stateSecret) is too weak/);
      expect(msg).not.toContain(secret);
    }
  });

  it('names QB_STATE_SECRET even when other variables are missing too', () => {
    expect(() => quickBooksOptionsFromEnv({ ...good(), QB_CLIENT_ID: '', QB_STATE_SECRET: 'a'.repeat(32) })).toThrow(
      /QB_STATE_SECRET is too weak/,
    );
  });

  it('refuses a weak encrypting key as QB_ENCRYPTION_KEYS', () => {
    const zero = Buffer.alloc(32).toString('base64');
    const err = (() => {
      try {
        quickBooksOptionsFromEnv({ ...good(), QB_ENCRYPTION_KEYS: `k1:${zero}` });
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err!.message).toMatch(/QB_ENCRYPTION_KEYS: key "k1" is too weak/);
    expect(err!.message).not.toContain(zero);
  });

  it("accepts random secrets in every usual encoding, and the demo mode's generated ones", () => {
    for (let i = 0; i < 500; i++) {
      for (const secret of [
        randomBytes(32).toString('base64url'),
        randomBytes(24).toString('base64'),
        randomBytes(16).toString('hex'),
        randomBytes(32).toString('hex'),
      ]) {
        expect(() =>
          resolveOptions({
            ...quickBooksOptionsFromEnv(good()),
            stateSecret: secret,
            encryptionKeys: `k1:${randomBytes(32).toString('base64')}`,
          }),
        ).not.toThrow();
      }
    }
    // The test fixtures' shape (test/support/test-keys.ts).
    expect(() =>
      resolveOptions({ ...quickBooksOptionsFromEnv(good()), stateSecret: `canary-state-secret-${randomBytes(24).toString('hex')}` }),
    ).not.toThrow();
  });
});

describe('production refuses plain http to Intuit except on loopback (issue 14, item 6)', () => {
  const production = () => ({ ...quickBooksOptionsFromEnv(good()), environment: 'production' as const });

  it.each([
    ['sandbox', 'openid_sandbox_configuration'],
    ['production', 'openid_configuration'],
  ] as const)("intuitBaseUrl in %s reads that environment's discovery document", (environment, document) => {
    const emulator = 'http://127.0.0.1:4100';
    const resolved = resolveOptions({ ...quickBooksOptionsFromEnv(good()), environment, intuitBaseUrl: emulator });
    expect(resolved.discoveryUrl).toBe(`${emulator}/.well-known/${document}`);
    expect(resolved.apiBaseUrl).toBe(emulator);
  });

  it.each(['intuitBaseUrl', 'discoveryUrl', 'apiBaseUrl'] as const)('refuses an http:// %s to another host', (option) => {
    for (const url of [
      'http://intuit.example.com',
      'http://10.0.0.5:8080/',
      'http://[2001:db8::1]/',
      'http://localhost.evil.example/',
      'http://127.0.0.1.nip.io/',
    ]) {
      expect(() => resolveOptions({ ...production(), [option]: url })).toThrow(
        new RegExp(`${option} must use https when environment is "production"`),
      );
    }
  });

  it('allows https anywhere, and http to localhost, 127.0.0.0/8 and ::1', () => {
    for (const url of [
      'https://oauth.platform.intuit.com',
      'http://localhost:4010',
      'http://LOCALHOST',
      'http://127.0.0.1:4010',
      'http://127.8.9.10/',
      'http://[::1]:4010/',
    ]) {
      expect(() => resolveOptions({ ...production(), intuitBaseUrl: url, discoveryUrl: url, apiBaseUrl: url })).not.toThrow();
    }
  });

  it('keeps accepting http in sandbox (emulators on another host)', () => {
    expect(() => resolveOptions({ ...quickBooksOptionsFromEnv(good()), intuitBaseUrl: 'http://emulator:4010' })).not.toThrow();
  });

  it('names the variable from the environment', () => {
    expect(() =>
      quickBooksOptionsFromEnv({ ...good(), QB_ENVIRONMENT: 'production', QB_INTUIT_BASE_URL: 'http://intuit.example.com' }),
    ).toThrow(/QB_INTUIT_BASE_URL must use https when QB_ENVIRONMENT is "production"/);
  });

  it('API governor (issue 17): read from the environment per deployment, and bad variables are named as variables', () => {
    const o = quickBooksOptionsFromEnv({
      ...good(),
      QB_API_MAX_CONCURRENT_PER_REALM: '4',
      QB_API_MAX_REQUESTS_PER_MINUTE_PER_REALM: '200',
      QB_API_QUEUE_TIMEOUT_MS: '5000',
      QB_API_SHARED_REDIS_URL: 'redis://127.0.0.1:6379',
      QB_API_COREPLUS_MONTHLY_BUDGET: '1000000',
    });
    expect(resolveOptions(o).apiGovernor).toMatchObject({
      enabled: true,
      maxConcurrentPerRealm: 4,
      maxRequestsPerMinutePerRealm: 200,
      queueTimeoutMs: 5000,
      shared: { type: 'redis', url: 'redis://127.0.0.1:6379' },
      monthlyCorePlusBudget: 1_000_000,
    });
    expect(resolveOptions(quickBooksOptionsFromEnv({ ...good(), QB_API_GOVERNOR_ENABLED: 'false' })).apiGovernor.enabled).toBe(false);
    let problems: string[] = [];
    try {
      quickBooksOptionsFromEnv({ ...good(), QB_API_MAX_CONCURRENT_PER_REALM: '0', QB_API_SHARED_REDIS_URL: 'http://canary-host' });
    } catch (err) {
      problems = (err as ConfigurationError).problems;
    }
    expect(problems).toEqual([
      'QB_API_MAX_CONCURRENT_PER_REALM must be a whole number >= 1',
      'QB_API_SHARED_REDIS_URL needs a client or a redis:// (rediss://) url',
    ]);
  });
});

describe('one options schema (issue 19)', () => {
  const base = () => quickBooksOptionsFromEnv(good());
  const problemsOf = (run: () => unknown): string[] => {
    try {
      run();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigurationError);
      return (err as ConfigurationError).problems;
    }
    throw new Error('should fail');
  };

  it('checks across options still run when other options are bad, so every problem is listed at once', () => {
    const problems = problemsOf(() =>
      resolveOptions({
        ...base(),
        clientId: '',
        tenantOverrides: 3 as never,
        leaseTtlMs: 5000,
        http: { connectTimeoutMs: 6000 },
        scheduler: { enabled: 'yes' as never, hardExpiryWarningDays: [0] },
        storage: { type: 'custom' } as never,
      }),
    );
    expect(problems).toEqual([
      'clientId is required',
      'storage.storage is required for custom storage',
      'scheduler.enabled must be a boolean',
      'scheduler.hardExpiryWarningDays must be a list of distinct whole days between 1 and 1825 (e.g. [90, 30, 7]; [] turns the warnings off)',
      'tenantOverrides must be a function',
      'leaseTtlMs must be longer than http.connectTimeoutMs',
    ]);
  });

  it('names a variable refused for itself once, not again through its option', () => {
    expect(problemsOf(() => quickBooksOptionsFromEnv({ ...good(), QB_STORAGE: 'cloud' }))).toEqual([
      'QB_STORAGE must be one of typeorm, redis, file, memory',
    ]);
  });

  it('reads every storage variant from its variables; QB_SQLITE_PATH wins over DATABASE_URL', () => {
    expect(
      quickBooksOptionsFromEnv({ ...good(), QB_STORAGE: '', QB_SQLITE_PATH: 'qb.sqlite', DATABASE_URL: 'mysql://a@db/app' }).storage,
    ).toEqual({ type: 'typeorm', sqlitePath: resolve('qb.sqlite') });
    expect(
      quickBooksOptionsFromEnv({ ...good(), QB_STORAGE: 'redis', REDIS_URL: 'redis://127.0.0.1:6379', QB_REDIS_KEY_PREFIX: 'app:' })
        .storage,
    ).toEqual({ type: 'redis', url: 'redis://127.0.0.1:6379', keyPrefix: 'app:' });
    expect(quickBooksOptionsFromEnv({ ...good(), QB_STORAGE: 'file', QB_FILE_STORAGE_DIR: 'conns' }).storage).toEqual({
      type: 'file',
      directory: resolve('conns'),
    });
    expect(problemsOf(() => quickBooksOptionsFromEnv({ ...good(), QB_STORAGE: 'redis' }))).toEqual([
      'REDIS_URL is required when QB_STORAGE=redis',
    ]);
    expect(problemsOf(() => quickBooksOptionsFromEnv({ ...good(), QB_STORAGE: 'file' }))).toEqual([
      'QB_FILE_STORAGE_DIR is required for file storage',
    ]);
  });

  it('reads the scheduler, URLs and reconnect link; an empty variable is unset', () => {
    const o = quickBooksOptionsFromEnv({
      ...good(),
      QB_SCHEDULER_ENABLED: 'false',
      QB_SCHEDULER_TICK_SECONDS: '5',
      QB_SCHEDULER_CONCURRENCY: '4',
      QB_MIN_VALIDITY_SECONDS: '',
      QB_INTUIT_BASE_URL: 'http://127.0.0.1:4100',
      QB_RECONNECT_URL: 'https://app.example.com/reconnect/{realmId}',
    });
    expect(o.scheduler).toEqual({ enabled: false, tickSeconds: 5, concurrency: 4 });
    expect(o.minValiditySeconds).toBeUndefined();
    expect(o.intuitBaseUrl).toBe('http://127.0.0.1:4100');
    expect(resolveOptions(o).reconnectUrl({ tenantId: 't', realmId: '9' })).toBe('https://app.example.com/reconnect/9');
    expect(
      problemsOf(() => quickBooksOptionsFromEnv({ ...good(), QB_SCHEDULER_TICK_SECONDS: 'often', QB_API_QUEUE_TIMEOUT_MS: '1.5' })),
    ).toEqual(['QB_SCHEDULER_TICK_SECONDS must be a number >= 0.05', 'QB_API_QUEUE_TIMEOUT_MS must be a whole number >= 0']);
  });

  it('fills every default from the schema', () => {
    const o = resolveOptions({ ...base(), storage: { type: 'memory' } });
    expect(o).toMatchObject({
      environment: 'sandbox',
      stateTtlSeconds: 600,
      refreshLeadSeconds: 1800,
      minValiditySeconds: 300,
      leaseTtlMs: 90_000,
      leaseWaitTimeoutMs: 30_000,
      reauthPendingMs: 600_000,
      revokeReplacedGrants: false,
      accessTokenCacheSeconds: 30,
      accessTokenCacheMaxEntries: 10_000,
      hashRealmIdsInLogs: false,
      http: { connectTimeoutMs: 10_000, socketTimeoutMs: 60_000, requestTimeoutMs: 15_000 },
      tokenCallBudgetMs: 54_000,
      metricsTenantLabel: null,
      scheduler: {
        enabled: true,
        tickSeconds: 30,
        concurrency: 16,
        batchSize: 200,
        keepAliveSeconds: 86_400,
        jitterRatio: 0.2,
        proactive: 'recent',
        recentWindowSeconds: 7200,
        refreshExpiryWarningSeconds: 30 * 86_400,
        hardExpiryWarningDays: [90, 30, 7],
        maxTokenCallsPerSecond: null,
        tickBudgetSeconds: 60,
        breakerConsecutiveFailures: 5,
        breakerHalfOpenSeconds: 30,
      },
    });
    expect(o.storage).toEqual({ type: 'memory' });
  });
});
