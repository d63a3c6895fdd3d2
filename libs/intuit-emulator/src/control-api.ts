import type { EmulatorClient, EmulatorConfig } from './config';
import { assertControlAccess } from './control-guard';
import type { FaultRuleInput } from './faults';
import { HttpError, parseJsonObject, readBody, sendJson } from './http-utils';
import type { RouteContext } from './routes/route-context';

export const CONTROL_PREFIX = '/_emulator';

function bad(message: string): HttpError {
  return new HttpError(400, { error: 'invalid_request', error_description: message });
}

/** Runs a state operation, turning its validation errors into 400s. */
function attempt<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw bad(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Test/ops control surface under /_emulator/: clients, auto-approve, minting, clock, config,
 * faults, stats, reset. JSON in and out; documented in the library README. Only for local
 * callers: Host, Origin, content type and the optional token are checked first (control-guard).
 */
export async function handleControl(ctx: RouteContext): Promise<void> {
  const { req, res, state } = ctx;
  assertControlAccess(req, state.controlAccess);
  const route = ctx.path.slice(CONTROL_PREFIX.length) || '/';
  const method = req.method ?? 'GET';
  const body = method === 'POST' || method === 'PUT' || method === 'DELETE' ? parseJsonObject(await readBody(req)) : {};
  const ok = (payload: unknown): void => sendJson(res, 200, payload);

  switch (`${method} ${route}`) {
    case 'POST /clients':
      attempt(() => state.registerClient(body as unknown as EmulatorClient));
      return ok({ clientId: body.clientId, environment: state.store.clients.get(body.clientId as string)?.environment, registered: true });
    case 'GET /clients':
      return ok({ clients: [...state.store.clients.values()].map((c) => ({ clientId: c.clientId, redirectUris: c.redirectUris, environment: c.environment })) });
    case 'POST /auto-approve':
      attempt(() => state.setAutoApprove(body.enabled as boolean, body.realmId as string | undefined));
      return ok(state.autoApprove);
    case 'POST /connections': {
      const connections = attempt(() =>
        state.mint({
          clientId: body.clientId as string | undefined,
          realmId: body.realmId as string | undefined,
          scope: body.scope as string | string[] | undefined,
          count: body.count as number | undefined,
        }),
      );
      return ok({ connections });
    }
    case 'POST /revoke-realm': {
      if (typeof body.realmId !== 'string') throw bad('realmId is required');
      const disconnectUrl = body.disconnectUrl === undefined ? null : parseDisconnectUrl(body.disconnectUrl);
      const realmId = body.realmId;
      const revokedGrants = state.revokeRealm(realmId);
      // QBO "Disconnect" then sends the customer's browser to the app's Disconnect URL with ?realmId=.
      const disconnectUrlStatus = disconnectUrl ? await visitDisconnectUrl(disconnectUrl, realmId) : undefined;
      return ok({ realmId, revokedGrants, ...(disconnectUrl ? { disconnectUrlStatus } : {}) });
    }
    case 'POST /keys/rotate':
      return ok({ kid: state.idTokens.rotateKey() });
    case 'GET /clock':
      return ok(state.clock.snapshot());
    case 'POST /clock/advance':
      if (typeof body.seconds !== 'number') throw bad('seconds must be a number');
      attempt(() => state.clock.advance(body.seconds as number));
      return ok(state.clock.snapshot());
    case 'POST /clock/set':
      if (typeof body.offsetMs !== 'number') throw bad('offsetMs must be a number');
      attempt(() => state.clock.set(body.offsetMs as number));
      return ok(state.clock.snapshot());
    case 'GET /config':
      return ok(state.config);
    case 'POST /config':
      return ok(attempt(() => state.updateConfig(body as Partial<EmulatorConfig>)));
    case 'GET /faults':
      return ok({ faults: state.faults.list() });
    case 'POST /faults': {
      const rule = attempt(() => state.faults.add(body as unknown as FaultRuleInput));
      return ok({ id: rule.id, fault: rule });
    }
    case 'DELETE /faults':
      state.faults.clear();
      return ok({ cleared: true });
    case 'GET /stats':
      return ok(state.statsSnapshot());
    case 'POST /stats/reset':
      state.stats.reset();
      return ok({ reset: true });
    case 'POST /reset':
      state.reset();
      return ok({ reset: true });
    default:
      break;
  }

  const fault = /^\/faults\/([^/]+)$/.exec(route);
  if (fault && method === 'DELETE') {
    const removed = state.faults.remove(decodeURIComponent(fault[1]));
    return removed ? ok({ removed: fault[1] }) : sendJson(res, 404, { error: 'not_found', error_description: 'No such fault' });
  }
  const realm = /^\/realms\/([^/]+)$/.exec(route);
  if (realm && method === 'GET') {
    const summary = state.realmSummary(decodeURIComponent(realm[1]));
    return summary ? ok(summary) : sendJson(res, 404, { error: 'not_found', error_description: 'No grant for this realm' });
  }
  sendJson(res, 404, { error: 'not_found', error_description: `No control route ${method} ${route}` });
}

function parseDisconnectUrl(value: unknown): URL {
  if (typeof value !== 'string') throw bad('disconnectUrl must be an absolute http(s) URL');
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // fall through
  }
  throw bad('disconnectUrl must be an absolute http(s) URL');
}

/**
 * What the customer's browser does after "Disconnect" in QBO: a plain GET of the app's Disconnect
 * URL with `realmId` added, following no redirect and carrying nothing secret. The HTTP status
 * (or 0 when the app could not be reached) is reported back.
 */
async function visitDisconnectUrl(url: URL, realmId: string): Promise<number> {
  const target = new URL(url);
  target.searchParams.set('realmId', realmId);
  try {
    const res = await fetch(target, { redirect: 'manual', headers: { Accept: 'text/html' }, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  } catch {
    return 0;
  }
}
