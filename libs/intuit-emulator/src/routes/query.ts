import { readBody, sendJson } from '../http-utils';
import { authorizeQboCall, companyInfoOf } from './company-info';
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
  const statement = req.method === 'POST' ? await readBody(req) : (url.searchParams.get('query') ?? '');
  const grant = authorizeQboCall(ctx, realmId);
  if (!grant) return;
  const now = state.serverNow();
  const time = new Date(now).toISOString();
  const select = SELECT.exec(statement);
  if (!select) {
    return sendJson(res, 400, {
      Fault: { Error: [{ Message: 'Error parsing query', Detail: 'QueryParserError: Encountered an unexpected token', code: '4000' }], type: 'ValidationFault' },
      time,
    });
  }
  const entity = select[1];
  if (entity.toLowerCase() === 'companyinfo') {
    return sendJson(res, 200, { QueryResponse: { CompanyInfo: [companyInfoOf(realmId, grant, now)], startPosition: 1, maxResults: 1 }, time });
  }
  sendJson(res, 200, { QueryResponse: {}, time });
}
