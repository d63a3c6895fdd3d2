import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

/** What the Intuit client reads of an answer, whichever HTTP client carried it. */
export interface IntuitHttpResponse {
  status: number;
  headers: IncomingHttpHeaders | Record<string, unknown>;
  /** The body as text: the client parses it and turns garbage into a typed error. */
  data: unknown;
}

/** Where a form goes, parsed once per endpoint: Node would turn a URL into these options on every request. */
export interface FormTarget {
  secure: boolean;
  hostname: string;
  port: number | undefined;
  path: string;
  /** The Host header: the URL's host (port only when not the default, IPv6 bracketed). */
  host: string;
}

export function formTarget(url: URL): FormTarget {
  return {
    secure: url.protocol === 'https:',
    // An IPv6 literal is bracketed in a URL, never in a hostname option.
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    host: url.host,
  };
}

/** An answer larger than this is no token response; reading on would only spend memory. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * POSTs a form on the module's keep-alive agents with Node's own client, without axios: a token
 * call is the refresh's hot path, and axios's per-request config merging and header handling cost
 * about 0.2 ms of CPU per call (docs/benchmarks.md). No request timeout, on purpose: only the
 * agents' connect and socket-idle timeouts apply, so a sent token call is never cut short.
 * Network errors keep Node's `code` (ECONNREFUSED …), which the client classifies.
 */
export function postForm(
  target: FormTarget,
  body: string,
  headers: Record<string, string>,
  agents: { httpAgent: http.Agent; httpsAgent: https.Agent },
): Promise<IntuitHttpResponse> {
  const send = target.secure ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        method: 'POST',
        agent: target.secure ? agents.httpsAgent : agents.httpAgent,
        headers: rawHeaders(target, headers, body),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            reject(Object.assign(new Error(`response body over ${MAX_BODY_BYTES} bytes`), { code: 'ERESPONSETOOLARGE' }));
            res.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        // An answer cut off mid-body is in doubt (`aborted`), never a short success.
        res.on('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
        res.on('end', () => {
          if (!res.complete) return reject(Object.assign(new Error('response incomplete'), { code: 'ECONNRESET' }));
          resolve({ status: res.statusCode ?? 0, headers: res.headers, data: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The headers as a flat name/value list, Host and Content-Length included: Node then writes them
 * as given (still validating each name and value) instead of a setHeader per header, about 8 us
 * less CPU per call (docs/benchmarks.md).
 */
function rawHeaders(target: FormTarget, headers: Record<string, string>, body: string): string[] {
  const raw = ['Host', target.host];
  for (const name of Object.keys(headers)) raw.push(name, headers[name]);
  raw.push('Content-Length', String(Buffer.byteLength(body)));
  return raw;
}
