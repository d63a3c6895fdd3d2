import type { Grant } from '../token-store';
import { throttledFault, tokenRejectedFault, wrongRealmFault } from '../qbo-faults';
import { sendQboFault } from '../qbo-response';
import type { RouteContext } from './route-context';

const INVALID_TOKEN_HEADER = { 'www-authenticate': 'Bearer realm="Intuit", error="invalid_token"' };

/** The bearer token as presented (for the fault detail Intuit echoes), '' without one. */
function presentedToken(ctx: RouteContext): string {
  return /^Bearer\s+(\S+)/i.exec(ctx.req.headers.authorization ?? '')?.[1] ?? '';
}

/**
 * Holds one of the app's concurrent-request slots for this realm until the response closes.
 * Called first in a QBO route, so injected latency overlaps requests as slow answers would.
 * False when over the limit (answered later by authorizeQboCall, after the token checks).
 */
export function holdConcurrencySlot(ctx: RouteContext, realmId: string): boolean {
  const check = ctx.state.tokens.checkAccessToken(ctx.req.headers.authorization);
  if (!check.ok) return true;
  return ctx.state.concurrency.enter(check.grant.clientId, realmId, ctx.res, ctx.state.config.concurrentRequestsPerRealm);
}

function throttled(ctx: RouteContext, detail: string, retryAfterSeconds: number): null {
  sendQboFault(ctx.req, ctx.res, 429, throttledFault(detail), ctx.state.serverNow(), { 'retry-after': String(retryAfterSeconds) });
  return null;
}

/**
 * A token used in the other environment's namespace (`/sandbox` vs `/production`): that API host
 * never issued it, so Intuit answers as for an unknown token (401, code 3200). False once answered.
 */
function inRequestedEnvironment(ctx: RouteContext, grant: Grant, now: number): boolean {
  if (grant.environment === ctx.environment) return true;
  sendQboFault(ctx.req, ctx.res, 401, tokenRejectedFault('unknown', presentedToken(ctx)), now, INVALID_TOKEN_HEADER);
  return false;
}

/**
 * The checks every QBO API call passes first, answered as Intuit does: a bad token, or one of the
 * other environment, 401 AUTHENTICATION (code 3200), a good one of another realm 401 AuthenticationFault (code 100); over the app's concurrent requests for
 * the realm or the per-realm rate limit 429 ThrottleExceeded. Returns the caller's grant, or null once answered.
 */
export function authorizeQboCall(ctx: RouteContext, realmId: string, withinConcurrency = true): Grant | null {
  const { req, res, state } = ctx;
  const now = state.serverNow();
  const check = state.tokens.checkAccessToken(req.headers.authorization);
  if (!check.ok) {
    sendQboFault(req, res, 401, tokenRejectedFault(check.reason, presentedToken(ctx)), now, INVALID_TOKEN_HEADER);
    return null;
  }
  if (!inRequestedEnvironment(ctx, check.grant, now)) return null;
  if (check.grant.realmId !== realmId) {
    sendQboFault(req, res, 401, wrongRealmFault(), now, INVALID_TOKEN_HEADER);
    return null;
  }
  if (!withinConcurrency) return throttled(ctx, 'Too many concurrent requests for this app and realm (limit 10).', 1);
  if (!state.rateLimiter.take(realmId, state.clock.now(), state.config.rateLimitPerMinute)) {
    return throttled(ctx, 'The request limit was reached.', state.rateLimiter.retryAfterSeconds(state.clock.now()));
  }
  return check.grant;
}
