import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorOptions } from './config';
import { EmulatorState } from './emulator-state';
import { applyCommonHeaders, HttpError, sendJson } from './http-utils';
import { serveRequest, type IncomingContext } from './routes/request-pipeline';

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
    const ctx: IncomingContext = { req, res, url, path, state, environment: state.environment };
    serveRequest(ctx)
      .catch((err: unknown) => {
        if (err instanceof HttpError) return sendJson(res, err.status, err.body);
        if (!quiet) process.stderr.write(`[intuit-emulator] ${tid} ${(err as Error)?.stack ?? String(err)}\n`);
        sendJson(res, 500, { error: 'server_error', error_description: 'Emulator internal error' });
      })
      .finally(() => {
        // Only the path: query strings on authorize/callbacks can carry codes.
        if (!quiet)
          process.stdout.write(
            `[intuit-emulator] ${req.method} ${path} -> ${res.destroyed && !res.writableFinished ? 'dropped' : res.statusCode} ${Date.now() - started}ms ${tid}\n`,
          );
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
