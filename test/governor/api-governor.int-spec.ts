/**
 * The per-realm API governor in front of withAccessToken and QuickBooksApiClient, against the
 * emulator's QBO slice over HTTP with Intuit's limits on (10 in flight, 500 per minute per realm,
 * answered 429 ThrottleExceeded 003001). Waits are conditions, not timings; minutes pass on the
 * emulator clock, which the module shares.
 */
import {
  ApiGovernor,
  QuickBooksApiBusyError,
  QuickBooksApiClient,
  QuickBooksApiError,
  QuickBooksMetric,
  type ConnectionRef,
} from '@quickbooks-auth/nestjs';
import { connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';
import { eventually, metricValue, settle } from './governor-support';

async function connected(h: Harness, prefix: string): Promise<ConnectionRef> {
  const tenantId = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  return { tenantId, realmId: await connectTenant(h, tenantId) };
}

const companyInfoCalls = (h: Harness): number => h.emulator.state.statsSnapshot().calls.byEndpoint.companyinfo ?? 0;

describe('API governor', () => {
  let h: Harness;
  let api: QuickBooksApiClient;
  let governor: ApiGovernor;

  beforeAll(async () => {
    // No resend of a 429 here unless a test asks: a 429 the governor let happen surfaces as an error.
    h = await startHarness({ storage: { type: 'memory' }, options: { apiGovernor: { throttleRetries: 0, throttleBackoffMs: 50 } } });
    api = h.app.get(QuickBooksApiClient);
    governor = h.app.get(ApiGovernor);
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.emulator.state.faults.clear();
    h.emulator.state.updateConfig({ rateLimitPerMinute: 500, concurrentRequestsPerRealm: 10 });
  });

  /** All 10 of the realm's slots held by calls the emulator answers in 3 s; resolves once they are all at the emulator. */
  async function occupyRealm(ref: ConnectionRef) {
    await api.getCompanyInfo(ref);
    const slow = h.emulator.state.faults.add({ endpoint: 'companyinfo', type: 'latency', latencyMs: 3000, count: 10 });
    const busy = Array.from({ length: 10 }, () => settle(api.getCompanyInfo(ref)));
    await eventually(() => slow.applied === 10);
    return busy;
  }

  it('keeps 40 concurrent callers of one slow realm within 10 in flight (no 429) while another realm goes ahead', async () => {
    const slow = await connected(h, 'gov-slow');
    const other = await connected(h, 'gov-other');
    await api.getCompanyInfo(other); // its token is cached: the call below only waits for the governor
    const latency = h.emulator.state.faults.add({ endpoint: 'companyinfo', type: 'latency', latencyMs: 1000, count: 40 });
    const finished: string[] = [];
    const slowCalls = Array.from({ length: 40 }, () => settle(api.getCompanyInfo(slow).then((v) => (finished.push('slow'), v))));
    await eventually(() => governor.queued === 30 && latency.applied === 10);
    h.emulator.state.faults.clear();
    await api.getCompanyInfo(other);
    finished.push('other');
    const results = await Promise.all(slowCalls);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    // The other realm was not queued behind the slow one's 30 waiters.
    expect(finished.indexOf('other')).toBeLessThan(30);
  });

  it('holds calls past the per-minute limit until the rolling minute has room, in arrival order, with no 429', async () => {
    h.emulator.state.updateConfig({ rateLimitPerMinute: 5 });
    const local = await startHarness({
      storage: { type: 'memory' },
      emulator: h.emulator,
      options: { apiGovernor: { maxRequestsPerMinutePerRealm: 5, throttleRetries: 0, queueTimeoutMs: 120_000 } },
    });
    try {
      const ref = await connected(local, 'gov-rate');
      const localApi = local.app.get(QuickBooksApiClient);
      const localGovernor = local.app.get(ApiGovernor);
      const order: number[] = [];
      const calls = Array.from({ length: 8 }, (_, i) => settle(localApi.getCompanyInfo(ref).then(() => order.push(i))));
      await eventually(() => order.length === 5 && localGovernor.queued === 3);
      h.emulator.state.clock.advance(61);
      const results = await Promise.all(calls);
      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    } finally {
      await local.close();
    }
  });

  it('a call whose turn does not come in time fails with QuickBooksApiBusyError(queue_timeout); nothing is sent', async () => {
    const ref = await connected(h, 'gov-deadline');
    const busy = await occupyRealm(ref);
    const sentBefore = companyInfoCalls(h);
    const timeoutsBefore = await metricValue(QuickBooksMetric.ApiRejections, { reason: 'queue_timeout' });
    const late = await settle(api.request(ref, { path: `companyinfo/${ref.realmId}`, queueTimeoutMs: 200 }));
    expect(late.ok).toBe(false);
    const err = (late as { error: unknown }).error as QuickBooksApiBusyError;
    expect(err).toBeInstanceOf(QuickBooksApiBusyError);
    expect(err).toMatchObject({ reason: 'queue_timeout', retryable: true, code: 'quickbooks_api_busy' });
    expect(companyInfoCalls(h)).toBe(sentBefore);
    expect(await metricValue(QuickBooksMetric.ApiRejections, { reason: 'queue_timeout' })).toBe(timeoutsBefore + 1);
    expect((await Promise.all(busy)).every((r) => r.ok)).toBe(true);
  });

  it('an AbortSignal takes a waiting call out of the queue with its reason; nothing is sent', async () => {
    const ref = await connected(h, 'gov-abort');
    const busy = await occupyRealm(ref);
    const sentBefore = companyInfoCalls(h);
    const controller = new AbortController();
    const waiting = settle(api.request(ref, { path: `companyinfo/${ref.realmId}`, signal: controller.signal }));
    await eventually(() => governor.queued === 1);
    controller.abort(new Error('the user closed the page'));
    const outcome = await waiting;
    expect(outcome.ok).toBe(false);
    expect(((outcome as { error: unknown }).error as Error).message).toBe('the user closed the page');
    expect(governor.queued).toBe(0);
    expect(companyInfoCalls(h)).toBe(sentBefore);
    await Promise.all(busy);
  });
});

describe('API governor and 429 ThrottleExceeded', () => {
  let h: Harness;
  let api: QuickBooksApiClient;

  beforeAll(async () => {
    h = await startHarness({ storage: { type: 'memory' }, options: { apiGovernor: { throttleRetries: 2, throttleBackoffMs: 50 } } });
    api = h.app.get(QuickBooksApiClient);
  });
  afterAll(() => h.close());
  beforeEach(() => h.emulator.state.faults.clear());

  const refreshCalls = (ref: ConnectionRef) => h.emulator.state.stats.realmCalls(ref.realmId).refresh_token;

  it('429 with Retry-After: that realm waits that long, then the call is resent and succeeds; no refresh; other realms go on', async () => {
    const ref = await connected(h, 'thr-ra');
    const other = await connected(h, 'thr-ra-other');
    await api.getCompanyInfo(ref);
    await api.getCompanyInfo(other);
    const refreshesBefore = refreshCalls(ref);
    const retriedBefore = await metricValue(QuickBooksMetric.ApiThrottled, { outcome: 'retried' });
    const rule = h.emulator.state.faults.add({ endpoint: 'companyinfo', type: 'rate_limit', retryAfter: 2, count: 1 });
    const startedAt = h.emulator.state.clock.now();
    let done = false;
    const throttled = api.getCompanyInfo(ref).finally(() => (done = true));
    await eventually(() => rule.applied === 1);
    // The throttled realm is paused for 2 s; the other realm's call is not held behind it.
    await expect(api.getCompanyInfo(other)).resolves.toMatchObject({ Id: '1' });
    expect(done).toBe(false);
    const info = await throttled;
    expect(info.CompanyName).toBe(`Emulated Company ${ref.realmId}`);
    // Retry-After was honoured on the module clock (the emulator's).
    expect(h.emulator.state.clock.now() - startedAt).toBeGreaterThanOrEqual(2000);
    expect(await metricValue(QuickBooksMetric.ApiThrottled, { outcome: 'retried' })).toBe(retriedBefore + 1);
    // Never a token failure: no refresh, the connection stays active.
    expect(refreshCalls(ref)).toBe(refreshesBefore);
    expect((await h.tokens.getConnection(ref)).status).toBe('active');
  });

  it('429 without Retry-After: a jittered back-off, resent until it passes; no refresh', async () => {
    const ref = await connected(h, 'thr-jit');
    await api.getCompanyInfo(ref);
    const refreshesBefore = refreshCalls(ref);
    const rule = h.emulator.state.faults.add({ endpoint: 'companyinfo', type: 'status', status: 429, body: 'json', count: 2 });
    await expect(api.getCompanyInfo(ref)).resolves.toMatchObject({ Id: '1' });
    expect(rule.applied).toBe(2);
    expect(refreshCalls(ref)).toBe(refreshesBefore);
  });

  it('a realm still throttled after throttleRetries resends: the 429 QuickBooksApiError reaches the caller, retryable', async () => {
    const ref = await connected(h, 'thr-out');
    await api.getCompanyInfo(ref);
    const returnedBefore = await metricValue(QuickBooksMetric.ApiThrottled, { outcome: 'returned' });
    const rule = h.emulator.state.faults.add({ endpoint: 'companyinfo', type: 'status', status: 429, body: 'json', count: 3 });
    const outcome = await settle(api.getCompanyInfo(ref));
    const err = (outcome as { error: unknown }).error as QuickBooksApiError;
    expect(err).toBeInstanceOf(QuickBooksApiError);
    expect(err).toMatchObject({ status: 429, retryable: true });
    expect(rule.applied).toBe(3);
    expect(await metricValue(QuickBooksMetric.ApiThrottled, { outcome: 'returned' })).toBe(returnedBefore + 1);
    expect((await h.tokens.getConnection(ref)).status).toBe('active');
  });

  it('a 401 still refreshes once and is retried through the governor', async () => {
    const ref = await connected(h, 'thr-401');
    const before = await h.tokens.getAccessToken(ref);
    h.emulator.state.store.accessTokens.delete(before);
    const refreshesBefore = refreshCalls(ref);
    await expect(api.getCompanyInfo(ref)).resolves.toMatchObject({ Id: '1' });
    expect(refreshCalls(ref)).toBe(refreshesBefore + 1);
    expect(await h.tokens.getAccessToken(ref)).not.toBe(before);
  });
});
