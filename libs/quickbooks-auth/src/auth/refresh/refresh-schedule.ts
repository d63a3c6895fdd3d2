/**
 * When a connection should next be refreshed: `lead` seconds before the access token expires,
 * minus a random part of `jitterRatio × lead` so a fleet connected at once does not refresh at
 * once, and no later than `keepAlive` from now so an idle rolling refresh token never lapses.
 * `idle` (the proactive 'recent' policy, not used lately): only the keep-alive, with the same
 * jitter, whatever the access token's expiry; its next use refreshes on demand.
 */
export function computeNextRefreshAt(params: {
  now: number;
  accessTokenExpiresAt: Date;
  refreshLeadSeconds: number;
  jitterRatio: number;
  keepAliveSeconds: number;
  idle?: boolean;
  random?: () => number;
}): Date {
  const random = params.random ?? Math.random;
  const leadMs = params.refreshLeadSeconds * 1000;
  const jitterMs = random() * params.jitterRatio * leadMs;
  const keepAlive = params.now + params.keepAliveSeconds * 1000;
  if (params.idle) return new Date(Math.max(params.now, keepAlive - jitterMs));
  const ahead = params.accessTokenExpiresAt.getTime() - leadMs - jitterMs;
  return new Date(Math.max(params.now, Math.min(ahead, keepAlive)));
}

/**
 * The proactive 'recent' policy's test: was the connection used within `windowSeconds` of `now`?
 * Null (never recorded: older rows, imports) is not recent.
 */
export function usedWithin(lastUsedAt: Date | null, now: number, windowSeconds: number): boolean {
  return lastUsedAt !== null && now - lastUsedAt.getTime() < windowSeconds * 1000;
}

/**
 * Exponential backoff with full jitter for a persisted failure count (AWS architecture blog,
 * "Exponential Backoff And Jitter"). Stateless on purpose: the count lives in storage so every
 * replica backs off together; cockatiel's backoff iterators are per process.
 */
export function fullJitterBackoffMs(failureCount: number, baseMs = 5_000, capMs = 15 * 60_000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, failureCount - 1));
  return Math.round(random() * ceiling);
}
