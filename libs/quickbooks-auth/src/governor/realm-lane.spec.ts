import { QuickBooksApiBusyError } from '../errors/quickbooks-api-busy.error';
import type { GovernorObserver } from './governor-observer';
import { RealmLane, type LaneLimits, type Permit } from './realm-lane';

/** A clock the test moves by hand; its huge speed makes the lane's timers fire at once (real ms). */
class HandClock {
  t = 1_000_000;
  readonly speed = 1e9;
  now = (): number => this.t;
}

const LIMITS: LaneLimits = { maxConcurrent: 2, maxPerWindow: 3, windowMs: 1000, maxQueued: 3, throttleBackoffMs: 100 };

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
}

describe('RealmLane', () => {
  let clock: HandClock;
  let observed: { depth: number; rejected: string[]; waits: number[] };
  let lane: RealmLane;

  beforeEach(() => {
    clock = new HandClock();
    observed = { depth: 0, rejected: [], waits: [] };
    const observer: GovernorObserver = {
      queueDepthChanged: (d) => void (observed.depth += d),
      granted: (ms) => void observed.waits.push(ms),
      rejected: (reason) => void observed.rejected.push(reason),
      throttled: () => undefined,
    };
    lane = new RealmLane('realm-1', LIMITS, clock, observer, null);
  });
  afterEach(() => lane.close(new Error('test over')));

  it('lets maxConcurrent run, then starts the queue in arrival order as permits are released', async () => {
    const started: number[] = [];
    const permits: Permit[] = [];
    const calls = [0, 1, 2].map((i) => lane.acquire(clock.t + 10_000).then((p) => (started.push(i), permits.push(p))));
    await until(() => started.length === 2);
    expect(started).toEqual([0, 1]);
    expect(observed.depth).toBe(1);
    permits[1].release();
    permits[1].release(); // twice is once
    await until(() => started.length === 3);
    expect(started).toEqual([0, 1, 2]);
    await Promise.all(calls);
    expect(observed.depth).toBe(0);
  });

  it('holds the call past the window limit until the oldest start leaves the rolling window', async () => {
    for (let i = 0; i < 3; i++) (await lane.acquire(clock.t + 10_000)).release();
    let fourth = false;
    const p = lane.acquire(clock.t + 10_000).then((permit) => ((fourth = true), permit));
    await new Promise((r) => setTimeout(r, 20));
    expect(fourth).toBe(false);
    clock.t += 1000;
    await until(() => fourth);
    (await p).release();
    expect(observed.waits.at(-1)).toBe(1000);
  });

  it('fails a waiter with QuickBooksApiBusyError(queue_timeout) at its deadline, and refuses past maxQueued', async () => {
    await lane.acquire(clock.t + 10_000);
    await lane.acquire(clock.t + 10_000);
    const late = lane.acquire(clock.t + 500).catch((e: unknown) => e);
    const others = [lane.acquire(clock.t + 10_000), lane.acquire(clock.t + 10_000)];
    others.forEach((o) => o.catch(() => undefined));
    const full = await lane.acquire(clock.t + 10_000).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(QuickBooksApiBusyError);
    expect((full as QuickBooksApiBusyError).reason).toBe('queue_full');
    clock.t += 500;
    const err = (await late) as QuickBooksApiBusyError;
    expect(err).toBeInstanceOf(QuickBooksApiBusyError);
    expect(err.reason).toBe('queue_timeout');
    expect(err.retryable).toBe(true);
    expect(observed.rejected).toEqual(['queue_full', 'queue_timeout']);
    expect(observed.depth).toBe(2);
  });

  it('an aborted waiter leaves the queue with the signal reason and the next one takes its place', async () => {
    const a = await lane.acquire(clock.t + 10_000);
    await lane.acquire(clock.t + 10_000);
    const controller = new AbortController();
    const aborted = lane.acquire(clock.t + 10_000, controller.signal).catch((e: unknown) => e);
    const next = lane.acquire(clock.t + 10_000);
    controller.abort(new Error('caller went away'));
    expect(((await aborted) as Error).message).toBe('caller went away');
    a.release();
    await next;
    expect(observed.rejected).toEqual(['aborted']);
    await expect(lane.acquire(clock.t + 10_000, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('pauses after a 429 for Retry-After, then resumes; a resend goes ahead of the queue', async () => {
    const first = await lane.acquire(clock.t + 60_000);
    const resumeAt = lane.throttled(5000);
    expect(resumeAt).toBe(clock.t + 5000);
    first.release();
    const order: string[] = [];
    const queued = lane.acquire(clock.t + 60_000).then((p) => (order.push('queued'), p));
    const resend = lane.acquire(clock.t + 60_000, undefined, true).then((p) => (order.push('resend'), p));
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual([]);
    clock.t += 5000;
    await until(() => order.length === 2);
    expect(order).toEqual(['resend', 'queued']);
    (await queued).release();
    (await resend).release();
    expect(lane.isIdle(clock.t + 1000)).toBe(true);
  });
});
