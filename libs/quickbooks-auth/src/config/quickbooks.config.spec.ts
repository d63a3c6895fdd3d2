import { randomBytes } from 'node:crypto';
import { ConfigurationError } from '../errors/configuration.error';
import { quickBooksOptionsFromEnv } from './quickbooks.config';
import { resolveOptions } from './resolved-options';

const good = () => ({
  QB_CLIENT_ID: 'id',
  QB_CLIENT_SECRET: 'canary-secret-value',
  QB_REDIRECT_URI: 'https://app.example.com/qb/callback',
  QB_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  QB_STATE_SECRET: 'x'.repeat(40),
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
    const env = { ...good(), QB_CLIENT_ID: '', QB_ENVIRONMENT: 'staging', QB_REFRESH_LEAD_SECONDS: 'soon', QB_ENCRYPTION_KEYS: 'k1:c2hvcnQ=', QB_STORAGE: 'typeorm' };
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

describe('resolveOptions bounds', () => {
  const base = () => quickBooksOptionsFromEnv(good());

  it('refuses settings that could never be met', () => {
    expect(() => resolveOptions({ ...base(), minValiditySeconds: 3600 })).toThrow(/minValiditySeconds must be below 3600/);
    expect(() => resolveOptions({ ...base(), refreshLeadSeconds: 4000 })).toThrow(/refreshLeadSeconds must be below 3600/);
    expect(() => resolveOptions({ ...base(), scheduler: { jitterRatio: 2 } })).toThrow(/jitterRatio/);
    expect(() => resolveOptions({ ...base(), metricsTenantLabel: { tenants: 'acme' as unknown as string[] } })).toThrow(/metricsTenantLabel.tenants/);
    expect(() => resolveOptions({ ...base(), metricsTenantLabel: { tenants: ['acme'], maxValues: 0 } })).toThrow(/metricsTenantLabel.maxValues/);
    expect(() => resolveOptions({ ...base(), metricsTenantLabel: { tenants: [] } })).toThrow(/must not be empty/);
    expect(() => resolveOptions({ ...base(), metricsTenantLabel: { tenants: ['acme', 'other'] } })).toThrow(/not "other"/);
    expect(() => resolveOptions({ ...base(), metricsTenantLabel: { tenants: ['a', 'b', 'c'], maxValues: 2 } })).toThrow(/at least the number of listed tenants/);
    // A long list is its own bound: every listed tenant keeps its series.
    const many = Array.from({ length: 80 }, (_, i) => `tenant-${i}`);
    const label = resolveOptions({ ...base(), metricsTenantLabel: { tenants: many } }).metricsTenantLabel!;
    expect(many.every((t) => label(t) === t)).toBe(true);
  });

  it('substitutes every placeholder of the reconnect URL', () => {
    const o = resolveOptions({ ...base(), reconnectUrl: 'https://app/{tenantId}/{realmId}?again={realmId}' });
    expect(o.reconnectUrl({ tenantId: 't 1', realmId: '42' })).toBe('https://app/t%201/42?again=42');
  });
});
