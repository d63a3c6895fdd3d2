import { readBody } from '../http-utils';
import { queryParserFault } from '../qbo-faults';
import { sendQbo, sendQboFault } from '../qbo-response';
import { authorizeQboCall, companyInfoOf, holdConcurrencySlot } from './company-info';
import type { RouteContext } from './route-context';

/** `/v3/company/:realmId/query` on the QBO API host. */
export const QUERY_PATTERN = /^\/v3\/company\/([^/]+)\/query$/;

const SELECT = /^\s*select\s+.+?\s+from\s+([A-Za-z]+)\b/is;

/**
 * QBO's query endpoint, as far as the emulator keeps data: `select … from CompanyInfo` answers the
 * realm's company, any other entity answers an empty `QueryResponse` (as QBO does when nothing
 * matches), and a statement that is not a select answers QBO's QueryParserError (400, code 4000).
 * The statement comes as `?query=` (GET) or as an `application/text` body (POST), as QBO accepts.
 */
export async function handleQuery(ctx: RouteContext, realmId: string): Promise<void> {
  const { req, res, url, state } = ctx;
  state.stats.endpoint('query');
  const withinConcurrency = holdConcurrencySlot(ctx, realmId);
  const statement = req.method === 'POST' ? await readBody(req) : (url.searchParams.get('query') ?? '');
  const grant = authorizeQboCall(ctx, realmId, withinConcurrency);
  if (!grant) return;
  const now = state.serverNow();
  const time = new Date(now).toISOString();
  const select = SELECT.exec(statement);
  if (!select) {
    return sendQboFault(req, res, 400, queryParserFault(), now);
  }
  const entity = select[1];
  if (entity.toLowerCase() === 'companyinfo') {
    return sendQbo(req, res, 200, { QueryResponse: { CompanyInfo: [companyInfoOf(realmId, grant, now)], startPosition: 1, maxResults: 1 }, time });
  }
  sendQbo(req, res, 200, { QueryResponse: {}, time });
}
