/**
 * The monthly call meter across a month boundary on the emulator clock (the module shares it):
 * calls are counted by Intuit's metering category, and the month gauges start from zero when the
 * UTC month ends, with no call needed to roll them; the budget gauge carries the setting. With
 * the shared Redis, two apps' calls add up in one app-wide count, which also rolls with the month.
 */
import { QuickBooksApiClient, QuickBooksApiError, QuickBooksMetric, type ConnectionRef } from '@quickbooks-auth/nestjs';
import { connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { eventually, metricValue, settle } from './governor-support';

describe('monthly call meter', () => {
  let h: Harness;
  let api: QuickBooksApiClient;
  let ref: ConnectionRef;

  const month = async () => ({
    coreplus: await metricValue(QuickBooksMetric.ApiMonthCalls, { category: 'coreplus' }),
    core: await metricValue(QuickBooksMetric.ApiMonthCalls, { category: 'core' }),
  });

  beforeAll(async () => {
    h = await startHarness({ storage: { type: 'memory' }, options: { apiGovernor: { meter: { monthlyCorePlusBudget: 1000 } } } });
    api = h.app.get(QuickBooksApiClient);
    // Two minutes before the end of January 2027, UTC, on both sides.
    h.emulator.state.clock.set(Date.UTC(2027, 0, 31, 23, 58, 0) - Date.now());
    ref = { tenantId: 'tenant-meter', realmId: await connectTenant(h, 'tenant-meter') };
  });
  afterAll(() => h.close());

  it('counts CorePlus reads and Core writes in the month, and starts again in the next one', async () => {
    expect(await metricValue(QuickBooksMetric.ApiMonthBudget, { category: 'coreplus' })).toBe(1000);
    const before = await month();
    await api.getCompanyInfo(ref);
    await api.query(ref, 'select * from CompanyInfo');
    // A write reaches Intuit (the emulator has no invoice route and answers 404): Intuit meters it as Core.
    const write = await settle(api.request(ref, { method: 'POST', path: 'invoice', body: { Line: [] } }));
    expect((write as { error: unknown }).error).toBeInstanceOf(QuickBooksApiError);
    expect(await month()).toEqual({ coreplus: before.coreplus + 2, core: before.core + 1 });
    const totalBefore = await metricValue(QuickBooksMetric.ApiCalls, { category: 'coreplus' });

    h.emulator.state.clock.advance(180); // February 2027
    expect(await month()).toEqual({ coreplus: 0, core: 0 });
    await api.getCompanyInfo(ref);
    expect(await month()).toEqual({ coreplus: 1, core: 0 });
    // The counter behind rates and dashboards never resets.
    expect(await metricValue(QuickBooksMetric.ApiCalls, { category: 'coreplus' })).toBe(totalBefore + 1);
  });
});

describe('monthly call meter, app-wide in the shared Redis', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const keyPrefix = `qbmeter:${randomBytes(4).toString('hex')}:`;
  let a: Harness;
  let b: Harness;

  beforeAll(async () => {
    const apiGovernor = { shared: { type: 'redis' as const, url, keyPrefix } };
    a = await startHarness({ storage: { type: 'memory' }, options: { apiGovernor } });
    b = await startHarness({ storage: { type: 'memory' }, emulator: a.emulator, options: { apiGovernor } });
    a.emulator.state.clock.set(Date.UTC(2027, 1, 28, 23, 58, 0) - Date.now());
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    const redis = new Redis(url);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  const appWide = () => metricValue(QuickBooksMetric.ApiMonthCallsApp, { category: 'coreplus' });

  it("adds both apps' calls up in one count, and starts again in March", async () => {
    const refA = { tenantId: 'tenant-meter-a', realmId: await connectTenant(a, 'tenant-meter-a') };
    const refB = { tenantId: 'tenant-meter-b', realmId: await connectTenant(b, 'tenant-meter-b') };
    const apiA = a.app.get(QuickBooksApiClient);
    const apiB = b.app.get(QuickBooksApiClient);
    for (let i = 0; i < 3; i++) await apiA.getCompanyInfo(refA);
    for (let i = 0; i < 2; i++) await apiB.getCompanyInfo(refB);
    await eventually(async () => (await appWide()) === 5);
    a.emulator.state.clock.advance(180); // March 2027
    expect(await appWide()).toBe(0);
    await apiB.getCompanyInfo(refB);
    await eventually(async () => (await appWide()) === 1);
  });
});
