import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { quickBooksPinoHttpOptions, redactUrlQuery } from '@quickbooks-auth/nestjs';

/** Query parameters of this app's own routes that carry credentials, besides OAuth's code and state. */
const APP_SECRET_QUERY_PARAMS = ['code', 'state', 'apikey', 'api_key', 'token', 'access_token', 'refresh_token'];

/** The request URL with secret query values replaced, e.g. `/quickbooks/callback?code=[Redacted]&realmId=123`. */
export function redactUrl(url: string): string {
  return redactUrlQuery(url, APP_SECRET_QUERY_PARAMS);
}

/**
 * nestjs-pino settings: the library's recommended redaction (headers, OAuth code and state,
 * token-shaped fields, axios errors) plus what this app adds: its API keys in query strings and
 * the connect redirect's Location, which carries the OAuth state (I5).
 */
export function pinoParams(level: string, destination?: { write(line: string): unknown }): Params {
  const options = quickBooksPinoHttpOptions({
    level,
    serializers: {
      req: (req: { url?: unknown } & Record<string, unknown>) => (typeof req.url === 'string' ? { ...req, url: redactUrl(req.url) } : req),
      res: (res: { headers?: Record<string, unknown> } & Record<string, unknown>) => {
        const location = res.headers?.location;
        return typeof location === 'string' ? { ...res, headers: { ...res.headers, location: redactUrl(location) } } : res;
      },
    },
    // Health probes and scrapes every few seconds would drown the useful lines.
    autoLogging: { ignore: (req) => req.url === '/metrics' || (req.url ?? '').startsWith('/health') },
  });
  return { pinoHttp: destination ? [options, destination as DestinationStream] : options };
}
