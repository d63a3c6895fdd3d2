import {
  QuickBooksUnavailableError,
  type ExpiringEvent,
  type QuickBooksAuthModuleOptions,
  type SchedulerOptions,
} from '@quickbooks-auth/nestjs';
import { AuthEventsPublisher } from '@quickbooks-auth/nestjs/events/auth-events.publisher';
import { IntuitCircuitBreaker } from '@quickbooks-auth/nestjs/intuit/intuit-circuit-breaker.service';
import { RefreshScheduler } from '@quickbooks-auth/nestjs/auth/refresh-scheduler/refresh-scheduler.service';
import { RefreshStatus } from '@quickbooks-auth/nestjs/auth/refresh/refresh-status.service';
import { findLeaks } from '../support/log-capture';
import { startHarness, type Harness } from '../support/quickbooks-harness';
import { TEST_CLIENT } from '../support/test-keys';
import { seedConnections } from './support/seed-connections';

const HOUR = 3600;
const TENANT = 'tenant-sched';

interface SchedulerHarness extends Harness {
  scheduler: RefreshScheduler;
  breaker: IntuitCircuitBreaker;
  status: RefreshStatus;
  expiring: ExpiringEvent[];
  refs: Array<{ tenantId: string; realmId: string }>;
  now(): number;
  tokenCalls(): number;
  /** Advance both clocks by `seconds` in `step`-second steps, ticking after each; asserts nothing ever expired. */
  walk(seconds: number, step: number): Promise<void>;
}

/**
 * The scheduler in-process against the emulator over HTTP (memory storage). Ticks are driven
 * by the test (tickSeconds is huge) so clock jumps and ticks interleave deterministically.
 */
async function startScheduler(params: {
  count: number;
  due?: boolean;
  scheduler?: SchedulerOptions;
  options?: Partial<QuickBooksAuthModuleOptions>;
}): Promise<SchedulerHarness> {
  const h = await startHarness({
    storage: { type: 'memory' },
    // 'all': these cases hold every connection fresh, used or not (proactive-budget.int-spec covers 'recent').
    options: { ...params.options, scheduler: { enabled: true, tickSeconds: 3600, proactive: 'all', ...params.scheduler } },
  });
  const scheduler = h.app.get(RefreshScheduler);
  const expiring: ExpiringEvent[] = [];
  h.app.get(AuthEventsPublisher).subscribe((name, payload) => {
    if (name === 'quickbooks.expiring') expiring.push(payload as ExpiringEvent);
  });
  const now = () => h.emulator.state.clock.now();
  const minted = h.emulator.state.mint({ clientId: TEST_CLIENT.clientId, count: params.count });
  const refs = await seedConnections(h.storage, minted, { tenantId: TENANT, now: now(), due: params.due });
  const walk = async (seconds: number, step: number) => {
    for (let t = 0; t < seconds; t += step) {
      h.emulator.state.clock.advance(step);
      await scheduler.tick();
      for (const ref of refs) {
        const c = (await h.storage.get(ref))!;
        if (c.status !== 'active') continue;
        // Never expired, and never inside getAccessToken's minimum validity window at a tick.
        expect(c.accessTokenExpiresAt.getTime() - now()).toBeGreaterThan(300_000);
      }
    }
  };
  return {
    ...h,
    scheduler,
    breaker: h.app.get(IntuitCircuitBreaker),
    status: h.app.get(RefreshStatus),
    expiring,
    refs,
    now,
    tokenCalls: () => h.emulator.state.statsSnapshot().calls.byGrant.refresh_token ?? 0,
    walk,
  };
}

describe('refresh scheduler (in-process, emulator over HTTP)', () => {
  let h: SchedulerHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('refreshes every connection before expiry across two simulated days, rotating refresh tokens', async () => {
    h = await startScheduler({ count: 40 });
    const start = h.now();
    const before = await Promise.all(h.refs.map((r) => h!.storage.get(r)));
    await h.walk(50 * HOUR, 300);
    const stats = h.emulator.state.statsSnapshot();
    expect(stats.supersededRefreshTokenUses).toBe(0);
    expect(stats.concurrentRefreshesMaxPerToken).toBeLessThanOrEqual(1);
    for (const [i, ref] of h.refs.entries()) {
      const c = (await h.storage.get(ref))!;
      expect(c.status).toBe('active');
      // Rotated at least once (>24 h) and the rolling expiry moved forward with it.
      expect(c.refreshToken).not.toBe(before[i]!.refreshToken);
      expect(c.refreshTokenExpiresAt.getTime()).toBeGreaterThan(before[i]!.refreshTokenExpiresAt.getTime() + 24 * HOUR * 1000);
      expect(c.lastRefreshedAt!.getTime()).toBeGreaterThan(start);
    }
    // Each connection about every 30-36 min: ~85-100 refreshes each over 50 h, not more.
    const perConnection = h.scheduler.counters.refreshed / h.refs.length;
    expect(perConnection).toBeGreaterThan(80);
    expect(perConnection).toBeLessThan(110);
    expect(h.status.lastTickAt).not.toBeNull();
    expect(h.status.lastTickLagMs).toBeLessThan(300_000 + 1000); // at most one step late
    expect(h.status.schedulerEnabled).toBe(true);
    const secrets = Object.fromEntries(
      before.flatMap((c, i) => [
        [`access${i}`, c!.accessToken],
        [`refresh${i}`, c!.refreshToken],
      ]),
    );
    expect(findLeaks(h.logs.lines.join('\n'), secrets)).toEqual([]);
  });

  it('spreads refreshes of connections created together (jitter)', async () => {
    h = await startScheduler({ count: 60, due: true });
    await h.scheduler.tick();
    const next = await Promise.all(h.refs.map(async (r) => (await h!.storage.get(r))!.nextRefreshAt.getTime()));
    const spreadS = (Math.max(...next) - Math.min(...next)) / 1000;
    // jitterRatio 0.2 x lead 1800 s = up to 360 s of spread.
    expect(spreadS).toBeGreaterThan(200);
    expect(spreadS).toBeLessThanOrEqual(361);
    expect(new Set(next).size).toBeGreaterThan(55);
  });

  it('never runs two ticks at once: a tick that finds one running is skipped', async () => {
    h = await startScheduler({ count: 6, due: true, scheduler: { concurrency: 2 } });
    h.emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs: 150 });
    await Promise.all([h.scheduler.tick(), h.scheduler.tick(), h.scheduler.tick()]);
    expect(h.scheduler.counters.overlapsSkipped).toBe(2);
    expect(h.scheduler.counters.ticks).toBe(1);
    expect(h.tokenCalls()).toBe(6);
    expect(h.emulator.state.statsSnapshot().concurrentRefreshesMaxPerToken).toBe(1);
  });

  it('an on-demand caller joins a scheduled refresh in flight in the same process (one token call, no polling)', async () => {
    h = await startScheduler({ count: 1, due: true, options: { leaseWaitTimeoutMs: 30_000 } });
    const ref = h.refs[0];
    // Expired, so the caller cannot be served the old token; the scheduled call is slow.
    h.emulator.state.clock.advance(2 * HOUR);
    h.emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs: 800, count: 1 });
    const tick = h.scheduler.tick();
    await new Promise((r) => setTimeout(r, 200)); // the scheduled refresh holds the lease now
    // Count the caller's lease attempts: joining takes 1 (refused, then it awaits the scheduled
    // refresh and re-reads a fresh token); polling while the slow call runs would take one per poll.
    let leaseAttempts = 0;
    const acquire = h.storage.acquireLease.bind(h.storage);
    h.storage.acquireLease = (...args) => {
      leaseAttempts++;
      return acquire(...args);
    };
    const token = await h.tokens.getAccessTokenDetails(ref);
    await tick;
    expect(token.expiresAt.getTime()).toBeGreaterThan(h.now() + 3000_000);
    expect(h.tokenCalls()).toBe(1);
    expect(leaseAttempts).toBe(1);
  });

  it('keeps idle connections alive: never more than keepAliveSeconds between refreshes', async () => {
    h = await startScheduler({ count: 5, due: true, scheduler: { keepAliveSeconds: 600 }, options: { refreshLeadSeconds: 60 } });
    await h.scheduler.tick();
    for (const ref of h.refs) {
      const c = (await h.storage.get(ref))!;
      expect(c.nextRefreshAt.getTime() - h.now()).toBeLessThanOrEqual(600_000);
    }
    const calls = h.tokenCalls();
    h.emulator.state.clock.advance(601);
    await h.scheduler.tick();
    expect(h.tokenCalls() - calls).toBe(5);
  });

  it('opens the breaker on a 503 storm, pauses claiming, serves valid tokens, then probes and closes', async () => {
    h = await startScheduler({
      count: 12,
      due: true,
      // The open period is wall-clock (cockatiel): long enough that a slow, loaded machine still
      // finishes both ticks inside it (0.4 s was not: a probe slipped in as a 4th call).
      scheduler: { concurrency: 1, breakerConsecutiveFailures: 3, breakerHalfOpenSeconds: 2.5 },
    });
    h.emulator.state.faults.add({ endpoint: 'token', type: 'status', status: 503 });
    // Near expiry so the failed refreshes raise access-token alerts.
    h.emulator.state.clock.advance(HOUR - 600);
    await h.scheduler.tick();
    expect(h.breaker.state).toBe('open');
    expect(h.status.breakerState).toBe('open');
    expect(h.tokenCalls()).toBe(3); // the rest of the batch was refused without a call
    await h.scheduler.tick();
    expect(h.scheduler.counters.pausedByBreaker).toBeGreaterThanOrEqual(1);
    expect(h.tokenCalls()).toBe(3);
    // A still-valid token is served; an on-demand refresh is refused fast, typed, not needs_reauth.
    await expect(h.tokens.getAccessToken(h.refs[0])).resolves.toEqual(expect.any(String));
    h.emulator.state.clock.advance(700); // now expired
    await expect(h.tokens.getAccessToken(h.refs[1])).rejects.toBeInstanceOf(QuickBooksUnavailableError);
    expect(h.tokenCalls()).toBe(3);
    expect(h.expiring.filter((e) => e.kind === 'access').length).toBeGreaterThanOrEqual(3);
    // Storm over: after the open period one probe closes the breaker, then everything refreshes.
    h.emulator.state.faults.clear();
    await new Promise((r) => setTimeout(r, 2600));
    h.emulator.state.clock.advance(70);
    await h.scheduler.tick();
    expect(h.breaker.state).toBe('closed');
    expect(h.breaker.transitions.map((t) => t.state)).toEqual(['open', 'half_open', 'closed']);
    for (const ref of h.refs) {
      const c = (await h.storage.get(ref))!;
      expect(c.status).toBe('active');
      expect(c.failureCount).toBe(0);
      expect(c.accessTokenExpiresAt.getTime()).toBeGreaterThan(h.now() + 3000_000);
    }
  });

  it('a 429 storm honours Retry-After and marks nothing needs_reauth', async () => {
    // Breaker out of the way: this is about per-connection pacing.
    h = await startScheduler({ count: 10, due: true, scheduler: { breakerConsecutiveFailures: 10_000 } });
    h.emulator.state.faults.add({ endpoint: 'token', type: 'rate_limit', retryAfter: 120 });
    await h.scheduler.tick();
    expect(h.tokenCalls()).toBe(10);
    for (const ref of h.refs) {
      const c = (await h.storage.get(ref))!;
      const waitS = (c.nextAttemptAt!.getTime() - h.now()) / 1000;
      expect(waitS).toBeGreaterThan(115);
      expect(waitS).toBeLessThan(135);
      expect(c.failureCount).toBe(0); // 429 is pacing, not a failure
    }
    h.emulator.state.clock.advance(100);
    await h.scheduler.tick();
    expect(h.tokenCalls()).toBe(10); // nobody retried inside Retry-After
    h.emulator.state.clock.advance(40);
    await h.scheduler.tick();
    expect(h.tokenCalls()).toBe(20); // one call per connection per Retry-After period
    h.emulator.state.faults.clear();
    h.emulator.state.clock.advance(140);
    await h.scheduler.tick();
    for (const ref of h.refs) {
      const c = (await h.storage.get(ref))!;
      expect(c.status).toBe('active');
      expect(c.lastErrorCode).toBeNull();
    }
    expect(h.scheduler.counters.reauthRequired).toBe(0);
  });

  it.each([300, -300])('survives a %i s clock skew between app and Intuit', async (skew) => {
    h = await startScheduler({ count: 10 });
    h.emulator.state.updateConfig({ clockSkewSeconds: skew });
    await h.walk(26 * HOUR, 600);
    for (const ref of h.refs) expect((await h.storage.get(ref))!.status).toBe('active');
    expect(h.emulator.state.statsSnapshot().supersededRefreshTokenUses).toBe(0);
  });

  it('invalid_grant marks exactly the affected connection needs_reauth and does not trip the breaker', async () => {
    h = await startScheduler({ count: 8, due: true, scheduler: { breakerConsecutiveFailures: 1 } });
    const dead = h.refs[3];
    h.emulator.state.revokeRealm(dead.realmId);
    await h.scheduler.tick();
    const statuses = await Promise.all(h.refs.map(async (r) => (await h!.storage.get(r))!.status));
    expect(statuses.filter((s) => s === 'needs_reauth')).toHaveLength(1);
    expect(statuses[3]).toBe('needs_reauth');
    expect(h.breaker.state).toBe('closed');
    expect(h.scheduler.counters.reauthRequired).toBe(1);
    expect(h.scheduler.counters.refreshed).toBe(7);
  });

  it('warns about a hard expiry once per horizon, not once a day', async () => {
    h = await startScheduler({ count: 3, due: true, scheduler: { refreshExpiryWarningSeconds: 30 * 86_400 } });
    // Grants created now with a 20-day hard cap: inside the 30-day horizon from the start.
    h.emulator.state.updateConfig({ hardExpirySeconds: 20 * 86_400 });
    const extra = h.emulator.state.mint({ clientId: TEST_CLIENT.clientId, count: 2 });
    const refs = await seedConnections(h.storage, extra, { tenantId: 'tenant-hard', now: h.now(), due: true });
    await h.walk(30 * HOUR, 900);
    const hard = h.expiring.filter((e) => e.kind === 'refresh_hard');
    // Refreshed many times over 30 hours: one warning each (horizon 30), nothing on day 2.
    expect(hard.map((e) => e.realmId).sort()).toEqual(refs.map((r) => r.realmId).sort());
    expect(hard.every((e) => e.horizonDays === 30)).toBe(true);
    expect(JSON.stringify(hard)).not.toMatch(/access_token|refresh_token/);
  });
});
