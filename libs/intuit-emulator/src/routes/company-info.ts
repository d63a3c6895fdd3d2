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

/** GET companyinfo: the one QBO call a client needs to exercise 401 -> refresh -> retry and 429. */
export async function handleCompanyInfo(ctx: RouteContext, realmId: string): Promise<void> {
  const { req, res, state } = ctx;
  state.stats.endpoint('companyinfo');
  if ((await faultGate(ctx, 'companyinfo')).handled) return;
  const now = state.serverNow();
  const check = state.tokens.checkAccessToken(req.headers.authorization);
  if (!check.ok) {
    const presented = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    return sendJson(
      res,
      401,
      qboFault('message=AuthenticationFailed; errorCode=003200; statusCode=401', `Token expired: ${presented.slice(0, 10)}`, '3200', 'AUTHENTICATION', now),
      INVALID_TOKEN_HEADER,
    );
  }
  if (check.grant.realmId !== realmId) {
    return sendJson(res, 403, qboFault('message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403', 'Token is not authorized for this realm', '3100', 'AUTHORIZATION', now));
  }
  if (!state.rateLimiter.take(realmId, state.clock.now(), state.config.rateLimitPerMinute)) {
    return sendJson(res, 429, qboFault('message=ThrottleExceeded; errorCode=003001; statusCode=429', 'The request limit was reached.', '3001', 'SERVICE', now), {
      'retry-after': String(state.rateLimiter.retryAfterSeconds(state.clock.now())),
    });
  }
  const iso = new Date(now).toISOString();
  sendJson(res, 200, {
    CompanyInfo: {
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
      MetaData: { CreateTime: new Date(check.grant.createdAt).toISOString(), LastUpdatedTime: iso },
    },
    time: iso,
  });
}
