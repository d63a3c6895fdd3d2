import { readBody, sendJson } from '../http-utils';
import type { RouteContext } from './route-context';

/** Intuit's retired OAuth 1.0 -> 2.0 token migration endpoint. */
export const MIGRATE_PATH = '/v2/oauth2/tokens/migrate';

/**
 * OAuth 1.0 migration ended in 2019: the call is answered as Intuit's OAuth server answers a
 * request it does not support, an OAuth error body (400 invalid_request), never tokens.
 */
export async function handleMigrate(ctx: RouteContext): Promise<void> {
  await readBody(ctx.req);
  sendJson(ctx.res, 400, { error: 'invalid_request', error_description: 'OAuth 1.0 token migration is no longer supported' });
}
