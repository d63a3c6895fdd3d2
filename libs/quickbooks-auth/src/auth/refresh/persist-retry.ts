import { ExponentialBackoff, handleWhen, noJitterGenerator, retry, type IBackoffFactory, type RetryPolicy } from 'cockatiel';
import { QuickBooksAuthError } from '../../errors/quickbooks-auth.error';

/**
 * How long a rotated token's write is retried through a store outage: these tokens exist nowhere
 * else. Longer than the lease on purpose. The swap is fenced on the refresh token the call was
 * made with, so a late write lands only while the row still holds that token (no rotation stored
 * since); at worst it replaces an access token another replica got with the same refresh token,
 * and both stay valid at Intuit. On shutdown the budget shrinks to one lease.
 */
export const PERSIST_RETRY_WINDOW_MS = 10 * 60_000;

/** Delay before the first retry; doubled each time up to PERSIST_RETRY_MAX_DELAY_MS, no jitter (one write, one process). */
const PERSIST_RETRY_FIRST_DELAY_MS = 100;
const PERSIST_RETRY_MAX_DELAY_MS = 5_000;

/** Store errors worth retrying a write for; anything else (corrupt row, bad key) will not heal. */
const RETRYABLE_STORAGE_CODES: ReadonlySet<string> = new Set(['storage_unavailable', 'storage_lock_timeout']);

export function isRetryableStorageError(err: unknown): boolean {
  // Our own errors say what they are; anything else (a custom store's driver) may be transient.
  return !(err instanceof QuickBooksAuthError) || RETRYABLE_STORAGE_CODES.has(err.code);
}

/** The delay before retry number `retry` (1-based): 100, 200, 400 … 5 000 ms. */
export function persistRetryDelayMs(retry: number): number {
  return Math.min(PERSIST_RETRY_MAX_DELAY_MS, PERSIST_RETRY_FIRST_DELAY_MS * 2 ** (retry - 1));
}

/** The same sequence as cockatiel's backoff (the spec holds them equal). */
export function persistRetryBackoff(): IBackoffFactory<unknown> {
  return new ExponentialBackoff({
    generator: noJitterGenerator,
    initialDelay: PERSIST_RETRY_FIRST_DELAY_MS,
    maxDelay: PERSIST_RETRY_MAX_DELAY_MS,
  });
}

/**
 * Wall ms after which no retry may start: the window from `startedAt` (never shorter than one
 * lease); once shutdown began, no later than the drain bound (call budget plus one lease).
 */
export function persistRetryStopAt(p: {
  startedAt: number;
  shutdownAt: number | null;
  leaseTtlMs: number;
  tokenCallBudgetMs: number;
}): number {
  const deadline = p.startedAt + Math.max(p.leaseTtlMs, PERSIST_RETRY_WINDOW_MS);
  return p.shutdownAt === null ? deadline : Math.min(deadline, p.shutdownAt + p.tokenCallBudgetMs + p.leaseTtlMs);
}

/**
 * One write's retry policy: a failure is retried when the store may heal and the next delay ends
 * before `stopAt()` (read at each failure: shutdown can begin meanwhile). Built per write, since
 * the predicate counts that write's failures to know the next delay.
 */
export function persistRetryPolicy(stopAt: () => number, now: () => number = Date.now): RetryPolicy {
  let failures = 0;
  return retry(
    handleWhen((err) => isRetryableStorageError(err) && now() + persistRetryDelayMs(++failures) <= stopAt()),
    { maxAttempts: Infinity, backoff: persistRetryBackoff() },
  );
}
