import { QUICKBOOKS_TOKEN_STORAGE } from '../../quickbooks-auth.constants';
import type { ConnectionRef } from '../../domain/connection.interface';
import type { TokenStorage } from '../storage/token-storage.interface';
import { IntuitOAuthClient } from '../../intuit/intuit-oauth.client';
import { RefreshScheduler } from './refresh-scheduler.service';
import { connectTenant, startHarness, type Harness } from '../../../../../test/support/quickbooks-harness';

/**
 * RefreshScheduler's own decisions, one tick at a time (its timer off), on the real module
 * (memory storage) against the emulator over HTTP: it claims and refreshes what is due and only
 * that, leaves a connection another owner has leased, never overlaps two ticks, and claims
 * nothing once the app is shutting down.
 */
describe('RefreshScheduler', () => {
  let h: Harness;
  let scheduler: RefreshScheduler;
  let storage: TokenStorage;
  let seq = 0;
  const connect = async (): Promise<ConnectionRef> => {
    const tenantId = `tenant-s${++seq}`;
    return { tenantId, realmId: await connectTenant(h, tenantId) };
  };
  const accessTokenOf = async (ref: ConnectionRef) => (await storage.get(ref))!.accessToken;

  beforeAll(async () => {
    h = await startHarness({ storage: { type: 'memory' }, options: { scheduler: { enabled: false, concurrency: 2, batchSize: 2 } } });
    scheduler = h.app.get(RefreshScheduler);
    storage = h.app.get<TokenStorage>(QUICKBOOKS_TOKEN_STORAGE);
  });
  afterAll(() => h.close());

  it('refreshes every due connection (in batches smaller than the due set) and nothing else', async () => {
    const due = [await connect(), await connect(), await connect(), await connect(), await connect()];
    const before = await Promise.all(due.map(accessTokenOf));
    h.emulator.state.clock.advance(3600);
    const notDue = await connect();
    const notDueBefore = await accessTokenOf(notDue);
    const claimed = scheduler.counters.claimed;

    await scheduler.tick();

    const after = await Promise.all(due.map(accessTokenOf));
    after.forEach((token, i) => expect(token).not.toBe(before[i]));
    expect(scheduler.counters.claimed - claimed).toBe(due.length);
    expect(await accessTokenOf(notDue)).toBe(notDueBefore);
    for (const ref of due) expect((await storage.get(ref))!).toMatchObject({ status: 'active', leaseOwner: null });
    expect(h.emulator.state.statsSnapshot().concurrentRefreshesMaxPerToken).toBe(1);
  });

  it('leaves a due connection another owner holds the lease on', async () => {
    const ref = await connect();
    h.emulator.state.clock.advance(3600);
    const token = await accessTokenOf(ref);
    await storage.acquireLease(ref, 'other-replica', 10 * 60_000);
    await scheduler.tick();
    expect(await accessTokenOf(ref)).toBe(token);
    expect((await storage.get(ref))!.leaseOwner).toBe('other-replica');
  });

  it('skips a tick while the previous one is still running (no overlap)', async () => {
    await connect();
    h.emulator.state.clock.advance(3600);
    const skipped = scheduler.counters.overlapsSkipped;
    const ticks = scheduler.counters.ticks;
    await Promise.all([scheduler.tick(), scheduler.tick()]);
    expect(scheduler.counters.overlapsSkipped - skipped).toBe(1);
    expect(scheduler.counters.ticks - ticks).toBe(1);
  });
});

describe('RefreshScheduler call slots', () => {
  it('bounds token calls in flight by concurrency, not the writes after them, and the tick waits for those writes', async () => {
    const h = await startHarness({ storage: { type: 'memory' }, options: { scheduler: { enabled: false, concurrency: 2, batchSize: 8 } } });
    try {
      const storage = h.app.get<TokenStorage>(QUICKBOOKS_TOKEN_STORAGE);
      const refs: ConnectionRef[] = [];
      for (let i = 0; i < 6; i++) refs.push({ tenantId: `tenant-slot${i}`, realmId: await connectTenant(h, `tenant-slot${i}`) });
      const before = await Promise.all(refs.map(async (r) => (await storage.get(r))!.accessToken));
      h.emulator.state.clock.advance(3600);
      h.emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs: 50 });

      let calls = 0;
      let writes = 0;
      const peak = { calls: 0, writes: 0, callsDuringWrites: 0 };
      const intuit = h.app.get(IntuitOAuthClient);
      const send = intuit.refresh.bind(intuit);
      jest.spyOn(intuit, 'refresh').mockImplementation(async (...args) => {
        calls++;
        peak.calls = Math.max(peak.calls, calls);
        if (writes > 0) peak.callsDuringWrites++;
        try {
          return await send(...args);
        } finally {
          calls--;
        }
      });
      const swap = storage.compareAndSwapTokens.bind(storage);
      jest.spyOn(storage, 'compareAndSwapTokens').mockImplementation(async (...args) => {
        writes++;
        peak.writes = Math.max(peak.writes, writes);
        try {
          await new Promise((r) => setTimeout(r, 250)); // a slow store: the write outlasts the call
          return await swap(...args);
        } finally {
          writes--;
        }
      });

      await h.app.get(RefreshScheduler).tick();

      const after = await Promise.all(refs.map(async (r) => (await storage.get(r))!.accessToken));
      after.forEach((token, i) => expect(token).not.toBe(before[i])); // every write landed before tick() returned
      expect(writes).toBe(0);
      expect(peak.calls).toBe(2);
      // Later calls went on while earlier answers were stored: more writes at once than call slots,
      // but at most `concurrency` behind the calls plus the calls' own.
      expect(peak.callsDuringWrites).toBeGreaterThan(0);
      expect(peak.writes).toBeGreaterThan(2);
      expect(peak.writes).toBeLessThanOrEqual(2 + 2);
    } finally {
      await h.close();
    }
  });
});

describe('RefreshScheduler on shutdown', () => {
  it('claims nothing once the app is shutting down', async () => {
    const h = await startHarness({ storage: { type: 'memory' }, options: { scheduler: { enabled: false } } });
    const ref = { tenantId: 'tenant-down', realmId: await connectTenant(h, 'tenant-down') };
    const storage = h.app.get<TokenStorage>(QUICKBOOKS_TOKEN_STORAGE);
    const scheduler = h.app.get(RefreshScheduler);
    h.emulator.state.clock.advance(3600);
    const token = (await storage.get(ref))!.accessToken;
    await scheduler.onModuleDestroy();
    const ticks = scheduler.counters.ticks;
    await scheduler.tick();
    expect(scheduler.counters.ticks).toBe(ticks);
    expect((await storage.get(ref))!.accessToken).toBe(token);
    await h.close();
  });
});

describe('RefreshScheduler tick budget', () => {
  /** `n` connections, all due, and a token endpoint slow enough (40 ms) that one 50 ms tick cannot refresh them all. */
  const dueBacklog = async (h: Harness, prefix: string, n: number) => {
    const storage = h.app.get<TokenStorage>(QUICKBOOKS_TOKEN_STORAGE);
    const refs: ConnectionRef[] = [];
    for (let i = 0; i < n; i++) refs.push({ tenantId: `${prefix}${i}`, realmId: await connectTenant(h, `${prefix}${i}`) });
    const before = await Promise.all(refs.map(async (r) => (await storage.get(r))!.accessToken));
    h.emulator.state.clock.advance(3600);
    h.emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs: 40 });
    return { storage, scheduler: h.app.get(RefreshScheduler), refs, before };
  };
  const refreshedWithin = async (storage: TokenStorage, refs: ConnectionRef[], before: string[], ms: number): Promise<boolean> => {
    const until = Date.now() + ms;
    for (;;) {
      const now = await Promise.all(refs.map(async (r) => (await storage.get(r))!.accessToken));
      if (now.every((token, i) => token !== before[i])) return true;
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('on its own timer, starts the next tick at once when a tick spent its budget with connections still due', async () => {
    // The interval would next fire in an hour: only continuing at once can finish the backlog.
    const h = await startHarness({
      storage: { type: 'memory' },
      options: { scheduler: { enabled: true, tickSeconds: 3600, tickBudgetSeconds: 0.05, concurrency: 1, batchSize: 1 } },
    });
    try {
      const { storage, scheduler, refs, before } = await dueBacklog(h, 'tenant-budget', 6);
      const ticks = scheduler.counters.ticks;

      await scheduler.tick(); // about one refresh fits in a 50 ms budget

      expect(await refreshedWithin(storage, refs, before, 10_000)).toBe(true);
      expect(scheduler.counters.ticks - ticks).toBeGreaterThan(2);
      expect(scheduler.counters.continuedAfterBudget).toBeGreaterThan(1);
      expect(h.emulator.state.statsSnapshot().concurrentRefreshesMaxPerToken).toBe(1);
    } finally {
      await h.close();
    }
  });

  it('driven by hand (no timer of its own), a tick that spent its budget leaves the rest to the next call', async () => {
    const h = await startHarness({
      storage: { type: 'memory' },
      options: { scheduler: { enabled: false, tickBudgetSeconds: 0.05, concurrency: 1, batchSize: 1 } },
    });
    try {
      const { storage, scheduler, refs, before } = await dueBacklog(h, 'tenant-manual', 4);

      await scheduler.tick();
      await new Promise((r) => setTimeout(r, 300));

      const after = await Promise.all(refs.map(async (r) => (await storage.get(r))!.accessToken));
      expect(after.filter((token, i) => token !== before[i]).length).toBeLessThan(refs.length);
      expect(scheduler.counters.continuedAfterBudget).toBe(0);
    } finally {
      await h.close();
    }
  });
});
