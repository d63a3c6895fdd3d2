import { request } from 'node:http';
import type { Server } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request with exactly these headers and body bytes, as an attacker (or a browser) sends
 * them: no client library adding or fixing Content-Type, Content-Length or encodings.
 */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | string,
): Promise<RawResponse> {
  const bytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: { ...headers, ...(bytes ? { 'content-length': String(bytes.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    // The server may answer (403) and close before reading what we send: the answer is what counts.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    req.end(bytes);
  });
}

export interface RecordedResponse {
  method: string;
  url: string;
  status: number;
  /** Sent while the test had injected an upstream fault (an emulator failure): a 5xx is then expected. */
  injectedFault: boolean;
}

/**
 * Every response the app's HTTP server sends, whoever sent the request (supertest, fetch, raw
 * sockets), so a suite can assert that no attack produced a 5xx.
 */
export class ResponseRecorder {
  readonly responses: RecordedResponse[] = [];
  private faultDepth = 0;

  attach(server: Server): void {
    server.on('request', (req, res) => {
      res.on('finish', () => {
        this.responses.push({
          method: req.method ?? '',
          url: (req.url ?? '').slice(0, 120),
          status: res.statusCode,
          injectedFault: this.faultDepth > 0,
        });
      });
    });
  }

  /** Runs `fn` with an upstream fault injected: 5xx answers meanwhile are expected. */
  async duringInjectedFault<T>(fn: () => Promise<T>): Promise<T> {
    this.faultDepth += 1;
    try {
      return await fn();
    } finally {
      // Responses finish asynchronously: let the last one be recorded under the flag.
      await new Promise((r) => setImmediate(r));
      this.faultDepth -= 1;
    }
  }

  unexpectedServerErrors(): RecordedResponse[] {
    return this.responses.filter((r) => r.status >= 500 && !r.injectedFault);
  }
}
