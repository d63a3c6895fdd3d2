/** Intuit's fault code for ThrottleExceeded (sent as `003001`, sometimes as `3001`). */
const THROTTLE_CODES = new Set(['003001', '3001']);

/**
 * Whether a failed call was Intuit throttling the realm: HTTP 429 (QuickBooksApiError, axios,
 * fetch wrappers, Nest HttpException) or a fault entry with code 003001 ThrottleExceeded.
 */
export function isThrottled(err: unknown): boolean {
  const e = err as {
    status?: unknown;
    statusCode?: unknown;
    response?: { status?: unknown };
    getStatus?: () => number;
    faults?: unknown;
  } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.status === 429 || e.statusCode === 429 || e.response?.status === 429) return true;
  if (typeof e.getStatus === 'function' && e.getStatus() === 429) return true;
  return (
    Array.isArray(e.faults) &&
    e.faults.some(
      (f: { code?: unknown; message?: unknown }) =>
        THROTTLE_CODES.has(String(f?.code)) || /ThrottleExceeded/.test(String(f?.message ?? '')),
    )
  );
}

/** Retry-After of a throttled answer in ms, when it carried one (QuickBooksApiError.retryAfterMs, or an axios-style response header). */
export function throttleRetryAfterMs(err: unknown, now: number): number | null {
  const e = err as { retryAfterMs?: unknown; response?: { headers?: Record<string, unknown> } } | null;
  if (typeof e?.retryAfterMs === 'number' && Number.isFinite(e.retryAfterMs) && e.retryAfterMs >= 0) return e.retryAfterMs;
  const raw = e?.response?.headers?.['retry-after'];
  if (typeof raw !== 'string' || !raw.trim()) return null;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Back-off ceiling after repeated 429s without Retry-After (Intuit: "wait 60 seconds"). */
export const MAX_THROTTLE_BACKOFF_MS = 60_000;

/**
 * How long a realm pauses after its `consecutive`-th 429 in a row: Retry-After when Intuit gave
 * one, else full jitter over an exponential step (so replicas and realms do not retry in lockstep).
 */
export function throttleBackoffMs(
  retryAfterMs: number | null,
  consecutive: number,
  baseMs: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, MAX_THROTTLE_BACKOFF_MS * 5);
  const ceiling = Math.min(MAX_THROTTLE_BACKOFF_MS, baseMs * 2 ** Math.max(0, consecutive - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
