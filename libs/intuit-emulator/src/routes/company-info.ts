import type { Grant } from '../token-store';
import { sendJson } from '../http-utils';
import { faultGate } from './fault-gate';
import type { RouteContext } from './route-context';

/** `/v3/company/:realmId/companyinfo/:id` on the QBO API host. */
export const COMPANY_INFO_PATTERN = /^\/v3\/company\/([^/]+)\/companyinfo\/([^/]+)$/;

/** Intuit's QBO fault envelope (lower-case keys on auth failures, as Intuit sends them). */
export function qboFault(message: string, detail: string, code: string, type: string, nowMs: number): Record<string, unknown> {
  return { warnings: null, intuitObject: null, fault: { error: [{ message, detail, code, element: null }], type }, time: nowMs };
}

const INVALID_TOKEN_HEADER = { 'www-authenticate': 'Bearer realm="Intuit", error="invalid_token"' };

/**
 * The checks every QBO API call passes first, answered as Intuit does: a bad token 401, a token of
 * another realm 403, over the per-realm rate limit 429. Returns the caller's grant, or null once answered.
 */
export function authorizeQboCall(ctx: RouteContext, realmId: string): Grant | null {
  const { req, res, state } = ctx;
  const now = state.serverNow();
  const check = state.tokens.checkAccessToken(req.headers.authorization);
  if (!check.ok) {
    const presented = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    sendJson(
      res,
      401,
      qboFault('message=AuthenticationFailed; errorCode=003200; statusCode=401', `Token expired: ${presented.slice(0, 10)}`, '3200', 'AUTHENTICATION', now),
      INVALID_TOKEN_HEADER,
    );
    return null;
  }
  if (check.grant.realmId !== realmId) {
    sendJson(res, 403, qboFault('message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403', 'Token is not authorized for this realm', '3100', 'AUTHORIZATION', now));
    return null;
  }
  if (!state.rateLimiter.take(realmId, state.clock.now(), state.config.rateLimitPerMinute)) {
    sendJson(res, 429, qboFault('message=ThrottleExceeded; errorCode=003001; statusCode=429', 'The request limit was reached.', '3001', 'SERVICE', now), {
      'retry-after': String(state.rateLimiter.retryAfterSeconds(state.clock.now())),
    });
    return null;
  }
  return check.grant;
}

/** The emulated company of a realm, as QBO's CompanyInfo entity. */
export function companyInfoOf(realmId: string, grant: Grant, nowMs: number): Record<string, unknown> {
  return {
    CompanyName: `Emulated Company ${realmId}`,
    LegalName: `Emulated Company ${realmId} LLC`,
    CompanyAddr: { Id: '1', Line1: '2700 Coast Ave', City: 'Mountain View', CountrySubDivisionCode: 'CA', PostalCode: '94043', Country: 'US' },
    Country: 'US',
    Email: { Address: `owner-${realmId}@example.com` },
    FiscalYearStartMonth: 'January',
    SupportedLanguages: 'en',
    domain: 'QBO',
    sparse: false,
    Id: '1',
    SyncToken: '0',
    MetaData: { CreateTime: new Date(grant.createdAt).toISOString(), LastUpdatedTime: new Date(nowMs).toISOString() },
  };
}

/** GET companyinfo: the one QBO call a client needs to exercise 401 -> refresh -> retry and 429. */
export async function handleCompanyInfo(ctx: RouteContext, realmId: string): Promise<void> {
  const { res, state } = ctx;
  state.stats.endpoint('companyinfo');
  if ((await faultGate(ctx, 'companyinfo')).handled) return;
  const grant = authorizeQboCall(ctx, realmId);
  if (!grant) return;
  const now = state.serverNow();
  sendJson(res, 200, { CompanyInfo: companyInfoOf(realmId, grant, now), time: new Date(now).toISOString() });
}
