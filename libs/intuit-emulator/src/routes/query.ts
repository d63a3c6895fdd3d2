import { queryParserFault } from '../qbo-faults';
import { sendQbo, sendQboFault } from '../qbo-response';
import { postTextBody } from './body-readers';
import { companyInfoOf } from './company-info';
import { defineRoute } from './route-spec';

const SELECT = /^\s*select\s+.+?\s+from\s+([A-Za-z]+)\b/is;

/**
 * QBO's query endpoint, as far as the emulator keeps data: `select … from CompanyInfo` answers the
 * realm's company, any other entity answers an empty `QueryResponse` (as QBO does when nothing
 * matches), and a statement that is not a select answers QBO's QueryParserError (400, code 4000).
 * The statement comes as `?query=` (GET) or as an `application/text` body (POST), as QBO accepts.
 */
export const queryRoute = defineRoute({
  methods: ['GET', 'POST'],
  path: '/v3/company/:realmId/query',
  namespaced: true,
  stats: 'query',
  qbo: true,
  body: postTextBody,
  handle(ctx, { body, grant, realmId }) {
    const { req, res, url, state } = ctx;
    const statement = body ?? url.searchParams.get('query') ?? '';
    const now = state.serverNow();
    const time = new Date(now).toISOString();
    const select = SELECT.exec(statement);
    if (!select) {
      return sendQboFault(req, res, 400, queryParserFault(), now);
    }
    const entity = select[1];
    if (entity.toLowerCase() === 'companyinfo') {
      return sendQbo(req, res, 200, {
        QueryResponse: { CompanyInfo: [companyInfoOf(realmId, grant, now)], startPosition: 1, maxResults: 1 },
        time,
      });
    }
    sendQbo(req, res, 200, { QueryResponse: {}, time });
  },
});
