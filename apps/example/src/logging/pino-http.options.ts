import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options } from 'pino-http';

/** Headers that carry credentials: never logged. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/** Query parameters whose values are secrets or one-time credentials (the OAuth callback's). */
const SECRET_QUERY_PARAMS = new Set(['code', 'state', 'apikey', 'api_key', 'token', 'access_token', 'refresh_token']);

/** The request URL with secret query values replaced, e.g. `/quickbooks/callback?code=[Redacted]&realmId=123`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const name of [...params.keys()]) if (SECRET_QUERY_PARAMS.has(name.toLowerCase())) params.set(name, '[Redacted]');
  return `${url.slice(0, q)}?${params.toString().replace(/%5BRedacted%5D/g, '[Redacted]')}`;
}

/** nestjs-pino settings: request logs without credentials, OAuth codes or state (I5). */
export function pinoParams(level: string, destination?: { write(line: string): unknown }): Params {
  const options: Options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    serializers: {
      req: (req: { url?: string; query?: unknown } & Record<string, unknown>) => {
        const out = { ...req, url: typeof req.url === 'string' ? redactUrl(req.url) : req.url };
        delete out.query;
        return out;
      },
      // The connect redirect's Location carries the OAuth state.
      res: (res: { headers?: Record<string, unknown> } & Record<string, unknown>) => {
        const location = res.headers?.location;
        return typeof location === 'string' ? { ...res, headers: { ...res.headers, location: redactUrl(location) } } : res;
      },
    },
    // Health probes and scrapes every few seconds would drown the useful lines.
    autoLogging: { ignore: (req) => req.url === '/metrics' || (req.url ?? '').startsWith('/health') },
  };
  return { pinoHttp: destination ? [options, destination as DestinationStream] : options };
}
