import request from 'supertest';
import { startObservabilityApp, type ObservabilityApp } from './observability-app';
import { checkQuickBooksMetrics } from './promtool';

/**
 * The opt-in per-tenant metric in a real host: only the chosen tenant gets its own series, the
 * rest are "other", and the exposition still passes promtool.
 */
describe('per-tenant metrics (metricsTenantLabel)', () => {
  let o: ObservabilityApp;

  beforeAll(async () => {
    o = await startObservabilityApp({ metricsTenantLabel: { tenants: ['tenant-key-account'] } });
  });

  afterAll(() => o?.close());

  const connect = async (tenantId: string) => {
    const { url } = await o.connect.createAuthorizeUrl({ tenantId });
    o.emulator.state.setAutoApprove(true);
    const res = await fetch(url, { redirect: 'manual' });
    const query = Object.fromEntries(new URL(res.headers.get('location')!).searchParams);
    await o.connect.handleCallback({ query, expectedTenantId: tenantId });
  };

  it('labels the chosen tenant by id and everyone else "other"', async () => {
    await connect('tenant-key-account');
    await connect('tenant-small-1');
    await connect('tenant-small-2');
    const res = await request(o.app.getHttpServer()).get('/metrics').expect(200);
    expect(res.text).toMatch(/quickbooks_tenant_events_total\{tenant="tenant-key-account",event="connected"\} 1/);
    expect(res.text).toMatch(/quickbooks_tenant_events_total\{tenant="other",event="connected"\} 2/);
    expect(res.text).not.toContain('tenant-small');
    const check = checkQuickBooksMetrics(res.text);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  });
});
