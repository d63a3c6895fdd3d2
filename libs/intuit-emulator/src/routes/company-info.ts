import type { Grant } from '../token-store';
import { sendQbo } from '../qbo-response';
import { defineRoute } from './route-spec';

/** The emulated company of a realm, as QBO's CompanyInfo entity. */
export function companyInfoOf(realmId: string, grant: Grant, nowMs: number): Record<string, unknown> {
  return {
    CompanyName: `Emulated Company ${realmId}`,
    LegalName: `Emulated Company ${realmId} LLC`,
    CompanyAddr: {
      Id: '1',
      Line1: '2700 Coast Ave',
      City: 'Mountain View',
      CountrySubDivisionCode: 'CA',
      PostalCode: '94043',
      Country: 'US',
    },
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
export const companyInfoRoute = defineRoute({
  methods: ['GET'],
  path: '/v3/company/:realmId/companyinfo/:id',
  namespaced: true,
  stats: 'companyinfo',
  qbo: true,
  faults: 'companyinfo',
  handle(ctx, { grant, realmId }) {
    const now = ctx.state.serverNow();
    sendQbo(ctx.req, ctx.res, 200, { CompanyInfo: companyInfoOf(realmId, grant, now), time: new Date(now).toISOString() });
  },
});
