import { QuickBooksApiBusyError } from '../errors/quickbooks-api-busy.error';
import type { Clock } from '../utils/clock';
import { realDelayMs } from './governor-clock';
import type { GovernorObserver } from './governor-observer';
import { RollingWindow } from './rolling-window';
import type { SharedPermits } from './shared-permits';
import { throttleBackoffMs } from './throttle-answer';

/** The limits one realm's lane keeps. */
export interface LaneLimits {
  maxConcurrent: number;
  maxPerWindow: number;
  windowMs: number;
  maxQueued: number;
  throttleBackoffMs: number;
}

/** A started call's slot: release it exactly once when the call has ended. */
export interface Permit {
  release(): void;
}

interface Waiter {
  deadline: number;
  enqueuedAt: number;
  resolve: (permit: Permit) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout | null;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * Longest real wait of one timer: a clock moved by hand (tests, the emulator's clock) is noticed
 * within a second; on the system clock it costs one timer a second per waiting realm.
 */
const MAX_TIMER_MS = 1000;

/** How often a lane waiting on the shared limiter asks again at most (clock ms). */
const SHARED_RETRY_FLOOR_MS = 10;

/**
 * One realm's queue: callers start in arrival order while the realm is under its concurrency and
 * rolling-window limits and not backing off after a 429. Each realm has its own lane, so a full
 * one never delays another.
 */
export class RealmLane {
  private readonly waiting: Waiter[] = [];
  private readonly window: RollingWindow;
  private inFlight = 0;
  private pausedUntil = 0;
  private consecutiveThrottles = 0;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  private pumping = false;
  private pumpAgain = false;

  constructor(
    readonly key: string,
    private readonly limits: LaneLimits,
    private readonly clock: Clock,
    private readonly observer: GovernorObserver,
    private readonly shared: SharedPermits | null,
  ) {
    this.window = new RollingWindow(limits.maxPerWindow, limits.windowMs);
  }

  /**
   * A permit to start one call, in arrival order (`front`: ahead of everyone, for a call sent
   * again after a 429). Rejects with QuickBooksApiBusyError at `deadline` (clock ms) or when the
   * queue is full, and with the signal's reason when `signal` aborts first.
   */
  acquire(deadline: number, signal?: AbortSignal, front = false): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const now = this.clock.now();
    if (!front && this.waiting.length === 0 && !this.shared && this.canStartLocally(now)) {
      this.observer.granted(0);
      return Promise.resolve(this.start(now, null));
    }
    if (!front && this.waiting.length >= this.limits.maxQueued) {
      this.observer.rejected('queue_full', 0);
      return Promise.reject(new QuickBooksApiBusyError('queue_full', this.retryHintMs(now)));
    }
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { deadline, enqueuedAt: now, resolve, reject, timer: null, signal };
      if (signal) {
        waiter.onAbort = () => this.leave(waiter, 'aborted', abortReason(signal));
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      if (front) this.waiting.unshift(waiter);
      else this.waiting.push(waiter);
      this.observer.queueDepthChanged(1);
      this.armDeadline(waiter);
      void this.pump();
    });
  }

  /** Intuit answered 429 / ThrottleExceeded: pause the realm (Retry-After, else jittered). Returns when it resumes (clock ms). */
  throttled(retryAfterMs: number | null): number {
    this.consecutiveThrottles += 1;
    const until = this.clock.now() + throttleBackoffMs(retryAfterMs, this.consecutiveThrottles, this.limits.throttleBackoffMs);
    this.pausedUntil = Math.max(this.pausedUntil, until);
    if (this.shared) void this.shared.pause(this.key, this.pausedUntil).catch(() => undefined);
    return this.pausedUntil;
  }

  /** A call went through: the next 429 starts the back-off from its first step again. */
  succeeded(): void {
    this.consecutiveThrottles = 0;
  }

  /** Nothing queued, running, counted or paused: the lane can be dropped. */
  isIdle(now: number): boolean {
    return this.waiting.length === 0 && this.inFlight === 0 && now >= this.pausedUntil && this.window.count(now) === 0;
  }

  /** Callers waiting in this lane. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Rejects every waiter and stops the lane's timer (a test's clean-up). */
  close(reason: Error): void {
    for (const w of [...this.waiting]) this.leave(w, 'queue_timeout', reason, false);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
  }

  private canStartLocally(now: number): boolean {
    return now >= this.pausedUntil && this.inFlight < this.limits.maxConcurrent && this.window.hasRoom(now);
  }

  private start(now: number, sharedRelease: (() => void) | null): Permit {
    this.inFlight += 1;
    this.window.record(now);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.inFlight -= 1;
        sharedRelease?.();
        void this.pump();
      },
    };
  }

  /** Hands out permits from the head of the queue while the limits allow; else sleeps until they may. */
  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (this.waiting.length) {
          const now = this.clock.now();
          if (now < this.pausedUntil) return this.wakeAtClock(this.pausedUntil);
          if (this.inFlight >= this.limits.maxConcurrent) return; // a release pumps again
          if (!this.window.hasRoom(now)) return this.wakeAtClock(this.window.nextOpening(now));
          let sharedRelease: (() => void) | null = null;
          if (this.shared) {
            const answer = await this.shared.tryStart(this.key, now).catch(() => ({ granted: false as const, retryAt: now + 250 }));
            if (!answer.granted) {
              this.wakeAtClock(Math.max(answer.retryAt, now + SHARED_RETRY_FLOOR_MS));
              break;
            }
            sharedRelease = answer.release;
          }
          const head = this.waiting.shift();
          if (!head) {
            sharedRelease?.();
            break;
          }
          this.observer.queueDepthChanged(-1);
          this.detach(head);
          const startedAt = this.clock.now();
          this.observer.granted(Math.max(0, startedAt - head.enqueuedAt));
          head.resolve(this.start(startedAt, sharedRelease));
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private wakeAtClock(at: number): void {
    if (this.wakeTimer && this.wakeAt <= at) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = null;
        this.wakeAt = Infinity;
        void this.pump();
      },
      Math.min(MAX_TIMER_MS, realDelayMs(this.clock, at - this.clock.now()) + 1),
    );
  }

  private armDeadline(w: Waiter): void {
    const left = w.deadline - this.clock.now();
    if (left <= 0) {
      // Already past: leave on the next turn, once the caller holds the promise.
      queueMicrotask(() => this.leave(w, 'queue_timeout', new QuickBooksApiBusyError('queue_timeout', this.retryHintMs(this.clock.now()))));
      return;
    }
    w.timer = setTimeout(
      () => {
        w.timer = null;
        if (this.clock.now() < w.deadline) return this.armDeadline(w);
        this.leave(w, 'queue_timeout', new QuickBooksApiBusyError('queue_timeout', this.retryHintMs(this.clock.now())));
      },
      Math.min(MAX_TIMER_MS, realDelayMs(this.clock, left) + 1),
    );
  }

  /** Takes a waiter out of the queue (if still in it) and rejects it. */
  private leave(w: Waiter, reason: 'queue_timeout' | 'aborted', err: unknown, observe = true): void {
    const at = this.waiting.indexOf(w);
    if (at < 0) return;
    this.waiting.splice(at, 1);
    this.observer.queueDepthChanged(-1);
    this.detach(w);
    if (observe) this.observer.rejected(reason, Math.max(0, this.clock.now() - w.enqueuedAt));
    w.reject(err);
  }

  private detach(w: Waiter): void {
    if (w.timer) clearTimeout(w.timer);
    w.timer = null;
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
  }

  /** When room is likely again: the back-off's end or the window's next opening, at least a second. */
  private retryHintMs(now: number): number {
    return Math.max(1000, this.pausedUntil - now, this.window.hasRoom(now) ? 0 : this.window.nextOpening(now) - now);
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}
