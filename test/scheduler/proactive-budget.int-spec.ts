import type { RefreshedEvent, SchedulerOptions } from '@quickbooks-auth/nestjs';
import { AuthEventsPublisher } from '@quickbooks-auth/nestjs/events/auth-events.publisher';
import { RefreshScheduler } from '@quickbooks-auth/nestjs/auth/refresh-scheduler/refresh-scheduler.service';
import { findLeaks } from '../support/log-capture';
import { startHarness, type Harness } from '../support/quickbooks-harness';
import { TEST_CLIENT } from '../support/test-keys';
import { seedConnections } from './support/seed-connections';

const HOUR = 3600;
const DAY = 24 * HOUR;
const MIN_VALIDITY_S = 300;
const TENANT = 'tenant-budget';

interface BudgetHarness extends Harness {
  scheduler: RefreshScheduler;
  refs: Array<{ tenantId: string; realmId: string }>;
  refreshed: RefreshedEvent[];
  now(): number;
}

/**
 * The proactive 'recent' policy against the emulator over HTTP (memory storage), ticks driven by
 * the test. The access-token cache is off (accessTokenCacheSeconds 0): its staleness runs on the
 * wall clock, which does not move with the emulator's, and in production every use reaches
 * storage at least once per accessTokenCacheSeconds anyway.
 */
async function startBudget(count: number, scheduler: SchedulerOptions = {}): Promise<BudgetHarness> {
  const h = await startHarness({
    storage: { type: 'memory' },
    options: {
      accessTokenCacheSeconds: 0,
      minValiditySeconds: MIN_VALIDITY_S,
      scheduler: { enabled: true, tickSeconds: 3600, proactive: 'recent', ...scheduler },
    },
  });
  const refreshed: RefreshedEvent[] = [];
  h.app.get(AuthEventsPublisher).subscribe((name, payload) => {
    if (name === 'quickbooks.refreshed') refreshed.push(payload as RefreshedEvent);
  });
  const now = () => h.emulator.state.clock.now();
  const minted = h.emulator.state.mint({ clientId: TEST_CLIENT.clientId, count });
  const refs = await seedConnections(h.storage, minted, { tenantId: TENANT, now: now() });
  return { ...h, scheduler: h.app.get(RefreshScheduler), refs, refreshed, now };
}

/** Lets fire-and-forget bookkeeping (recordUse on the memory store) land before the next step. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

function count(events: RefreshedEvent[], realmId: string, trigger?: RefreshedEvent['trigger']): number {
  return events.filter((e) => e.realmId === realmId && (!trigger || e.trigger === trigger)).length;
}

describe("proactive refresh policy 'recent' (emulator over HTTP, simulated days)", () => {
  let h: BudgetHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('keeps used connections refreshed ahead and idle ones alive with about one call a day; nothing served under the minimum validity', async () => {
    h = await startBudget(20);
    const used = h.refs.slice(0, 2); // 10 %
    const idle = h.refs.slice(2);
    const before = await Promise.all(h.refs.map((r) => h!.storage.get(r)));
    const days = 3;
    const step = 300;
    for (let t = 0; t < days * DAY; t += step) {
      h.emulator.state.clock.advance(step);
      await h.scheduler.tick();
      for (const ref of used) {
        const token = await h.tokens.getAccessTokenDetails(ref);
        expect(token.expiresAt.getTime() - h.now()).toBeGreaterThan(MIN_VALIDITY_S * 1000);
      }
      await settle();
    }
    for (const ref of used) {
      // Refreshed ahead every ~30 min the whole time: never made to wait for a token call.
      expect(count(h.refreshed, ref.realmId, 'on_demand')).toBe(0);
      expect(count(h.refreshed, ref.realmId, 'scheduled')).toBeGreaterThan(40 * days);
    }
    for (const ref of idle) {
      const scheduled = count(h.refreshed, ref.realmId, 'scheduled');
      // The first refresh as connected (ahead of expiry), then one keep-alive a day.
      expect(scheduled).toBeGreaterThanOrEqual(days);
      expect(scheduled).toBeLessThanOrEqual(Math.ceil(1.1 * days) + 1);
      const c = (await h.storage.get(ref))!;
      expect(c.status).toBe('active');
      expect(c.refreshTokenExpiresAt.getTime() - h.now()).toBeGreaterThan(90 * DAY * 1000);
    }
    const stats = h.emulator.state.statsSnapshot();
    expect(stats.supersededRefreshTokenUses).toBe(0);
    // Idle connections hold expired access tokens by design: health and the expired-token alert do not count them.
    const idleExpired = (await Promise.all(idle.map((r) => h!.storage.get(r)))).filter(
      (c) => c!.accessTokenExpiresAt.getTime() < h!.now(),
    ).length;
    expect(idleExpired).toBeGreaterThan(0);
    const storeStats = await h.storage.stats(new Date(h.now()), 5 * 60_000);
    expect(storeStats.accessExpired).toBe(0);
    expect(storeStats.accessExpiringSoon).toBe(0);
    const secrets = Object.fromEntries(
      before.flatMap((c, i) => [
        [`access${i}`, c!.accessToken],
        [`refresh${i}`, c!.refreshToken],
      ]),
    );
    expect(findLeaks(h.logs.lines.join('\n'), secrets)).toEqual([]);
  });

  it('an idle connection is refreshed on demand at its next use, then refreshed ahead while it stays in use', async () => {
    h = await startBudget(1);
    const [ref] = h.refs;
    h.emulator.state.clock.advance(45 * 60);
    await h.scheduler.tick(); // its first refresh, ahead as connected; never used: keep-alive next
    const kept = (await h.storage.get(ref))!;
    expect(kept.nextRefreshAt.getTime() - h.now()).toBeGreaterThan(23 * HOUR * 1000);
    h.emulator.state.clock.advance(5 * HOUR); // the access token has long expired
    const token = await h.tokens.getAccessTokenDetails(ref);
    expect(token.expiresAt.getTime() - h.now()).toBeGreaterThan(MIN_VALIDITY_S * 1000);
    expect(count(h.refreshed, ref.realmId, 'on_demand')).toBe(1);
    await settle();
    const afterUse = (await h.storage.get(ref))!;
    expect(h.now() - afterUse.lastUsedAt!.getTime()).toBeLessThan(5_000); // the emulator clock runs on in real time
    // Refreshed on demand = in use: the next refresh is ahead of expiry again.
    expect(afterUse.nextRefreshAt.getTime()).toBeLessThanOrEqual(afterUse.accessTokenExpiresAt.getTime() - 1800 * 1000);
    h.emulator.state.clock.advance(40 * 60);
    await h.scheduler.tick();
    expect(count(h.refreshed, ref.realmId, 'scheduled')).toBe(2);
    // Still within the 2 h window since its last use: ahead again.
    const ahead = (await h.storage.get(ref))!;
    expect(ahead.nextRefreshAt.getTime()).toBeLessThanOrEqual(ahead.accessTokenExpiresAt.getTime() - 1800 * 1000);
  });

  it('a use while on keep-alive with a still valid token brings the next refresh forward (no on-demand wait later)', async () => {
    h = await startBudget(1);
    const [ref] = h.refs;
    h.emulator.state.clock.advance(45 * 60);
    await h.scheduler.tick(); // keep-alive only from here
    h.emulator.state.clock.advance(5 * 60); // its token still has ~55 min
    const kept = (await h.storage.get(ref))!;
    expect(kept.nextRefreshAt.getTime()).toBeGreaterThan(kept.accessTokenExpiresAt.getTime());
    await h.tokens.getAccessToken(ref);
    await settle();
    const pulled = (await h.storage.get(ref))!;
    expect(pulled.nextRefreshAt.getTime()).toBeLessThanOrEqual(pulled.accessTokenExpiresAt.getTime() - 1800 * 1000);
    expect(pulled.nextRefreshAt.getTime()).toBeGreaterThan(h.now());
    expect(pulled.version).toBe(kept.version); // bookkeeping, not a versioned write
    // Used every 5 minutes for two hours: every token served ahead, none refreshed on demand.
    for (let t = 0; t < 2 * HOUR; t += 300) {
      h.emulator.state.clock.advance(300);
      await h.scheduler.tick();
      const token = await h.tokens.getAccessTokenDetails(ref);
      expect(token.expiresAt.getTime() - h.now()).toBeGreaterThan(MIN_VALIDITY_S * 1000);
      await settle();
    }
    expect(count(h.refreshed, ref.realmId, 'on_demand')).toBe(0);
    expect(count(h.refreshed, ref.realmId, 'scheduled')).toBeGreaterThanOrEqual(4);
  });

  it("records use coarsely: at most one write per quarter window per connection, none with 'all'", async () => {
    h = await startBudget(1, { recentWindowSeconds: 2 * HOUR });
    const [ref] = h.refs;
    let writes = 0;
    const recordUse = h.storage.recordUse!.bind(h.storage);
    h.storage.recordUse = async (r, use) => {
      writes++;
      return recordUse(r, use);
    };
    // 120 uses a minute apart: 2 hours, so at most 4-5 writes (every 30 min), not 120.
    for (let i = 0; i < 120; i++) {
      h.emulator.state.clock.advance(60);
      await h.tokens.getAccessToken(ref);
      await settle();
    }
    expect(writes).toBeGreaterThanOrEqual(4);
    expect(writes).toBeLessThanOrEqual(5);
    await h.close();

    h = await startBudget(1, { proactive: 'all' });
    let allWrites = 0;
    const recordAll = h.storage.recordUse!.bind(h.storage);
    h.storage.recordUse = async (r, use) => {
      allWrites++;
      return recordAll(r, use);
    };
    for (let i = 0; i < 10; i++) {
      h.emulator.state.clock.advance(60);
      await h.tokens.getAccessToken(h.refs[0]);
      await settle();
    }
    expect(allWrites).toBe(0);
  });
});
