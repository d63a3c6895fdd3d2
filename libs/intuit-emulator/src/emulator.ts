import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorEnvironment, EmulatorOptions } from './config';
import { CONTROL_PREFIX, handleControl } from './control-api';
import { EmulatorState } from './emulator-state';
import { applyCommonHeaders, HttpError, sendJson } from './http-utils';
import { AUTHORIZE_PATH, DECISION_PATH, handleAuthorize, handleDecision } from './routes/authorize';
import { COMPANY_INFO_PATTERN, handleCompanyInfo } from './routes/company-info';
import { DISCOVERY_PATHS, handleDiscovery, handleJwks } from './routes/discovery';
import { handleMigrate, MIGRATE_PATH } from './routes/migrate';
import { handleQuery, QUERY_PATTERN } from './routes/query';
import { handleRevoke, REVOKE_PATH } from './routes/revoke';
import type { RouteContext } from './routes/route-context';
import { handleToken, TOKEN_PATH } from './routes/token';
import { handleUserInfo, USERINFO_PATH } from './routes/userinfo';

export interface RunningEmulator {
  /** Base URL, e.g. http://127.0.0.1:4100 (no trailing slash). */
  url: string;
  port: number;
  /** Discovery document URL; point a client's single base-URL setting here. */
  discoveryUrl: string;
  /** In-process handle: clock, config, faults, stats, mint, reset... (same as the control API). */
  state: EmulatorState;
  /** Stops listening and destroys open (keep-alive) sockets so test runners exit. */
  close(): Promise<void>;
}

/** `/sandbox/…` or `/production/…`: an explicit environment in front of the QBO API and userinfo paths. */
const NAMESPACE_PREFIX = /^\/(sandbox|production)(\/.*)$/;

/** The routes served per environment (userinfo and the QBO API); null when the path is none of them. */
function routeNamespaced(ctx: RouteContext): Promise<void> | null {
  const { path, req } = ctx;
  if (path === USERINFO_PATH) return handleUserInfo(ctx);
  const company = COMPANY_INFO_PATTERN.exec(path);
  if (company && req.method === 'GET') return handleCompanyInfo(ctx, decodeURIComponent(company[1]));
  const query = QUERY_PATTERN.exec(path);
  if (query && (req.method === 'GET' || req.method === 'POST')) return handleQuery(ctx, decodeURIComponent(query[1]));
  return null;
}

function notFound(ctx: RouteContext, path: string): void {
  sendJson(ctx.res, 404, { error: 'not_found', error_description: `No route for ${ctx.req.method} ${path}` });
}

async function route(ctx: RouteContext): Promise<void> {
  const { path, req } = ctx;
  const namespace = NAMESPACE_PREFIX.exec(path);
  if (namespace) {
    const handled = routeNamespaced({ ...ctx, path: namespace[2], environment: namespace[1] as EmulatorEnvironment });
    return handled ?? notFound(ctx, path);
  }
  if (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`)) return handleControl(ctx);
  if (DISCOVERY_PATHS.includes(path)) return handleDiscovery(ctx);
  if (path === '/op/v1/jwks') return handleJwks(ctx);
  if (path === AUTHORIZE_PATH && req.method === 'GET') return handleAuthorize(ctx);
  if (path === DECISION_PATH && req.method === 'POST') return handleDecision(ctx);
  if (path === TOKEN_PATH) return handleToken(ctx);
  if (path === REVOKE_PATH) return handleRevoke(ctx);
  if (path === MIGRATE_PATH) return handleMigrate(ctx);
  return routeNamespaced(ctx) ?? notFound(ctx, path);
}

/** Starts an emulator on its own plain `http` server (no framework: it starts in milliseconds). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const state = new EmulatorState(options);
  const quiet = options.quiet ?? true;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    const tid = applyCommonHeaders(res, state.serverNow());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://emulator.local');
    } catch {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'Bad request URL' });
    }
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const ctx: RouteContext = { req, res, url, path, state, environment: state.environment };
    route(ctx)
      .catch((err: unknown) => {
        if (err instanceof HttpError) return sendJson(res, err.status, err.body);
        if (!quiet) process.stderr.write(`[intuit-emulator] ${tid} ${(err as Error)?.stack ?? String(err)}\n`);
        sendJson(res, 500, { error: 'server_error', error_description: 'Emulator internal error' });
      })
      .finally(() => {
        // Only the path: query strings on authorize/callbacks can carry codes.
        if (!quiet) process.stdout.write(`[intuit-emulator] ${req.method} ${path} -> ${res.destroyed && !res.writableFinished ? 'dropped' : res.statusCode} ${Date.now() - started}ms ${tid}\n`);
      });
  });
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep backlog: chaos and bench suites open thousands of connections at once.
    server.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1', backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
  state.baseUrl = url;

  let closing: Promise<void> | null = null;
  return {
    url,
    port: address.port,
    discoveryUrl: `${url}/.well-known/openid_configuration`,
    state,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
