import type { IncomingMessage } from 'node:http';

/** What a redacted value reads as in the logs. */
export const QUICKBOOKS_REDACTED = '[Redacted]';

/**
 * pino `redact` paths for a host running nestjs-pino / pino-http next to QuickBooksAuthModule.
 * The module itself never logs a token; these catch what frameworks log around it: request
 * headers, OAuth callback parameters and axios errors (which carry the token request body and
 * the Basic header with the client secret).
 * @publicApi
 */
export const QUICKBOOKS_PINO_REDACT_PATHS: readonly string[] = [
  // Incoming requests and outgoing responses (pino-http).
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'req.query.code',
  'req.query.state',
  'req.body.code',
  'req.body.state',
  // Token-shaped fields anywhere one level down (payloads logged as objects).
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.client_secret',
  '*.accessToken',
  '*.refreshToken',
  '*.clientSecret',
  '*.stateSecret',
  '*.encryptionKeys',
  // axios errors logged as `err` (or nested under an object key).
  'err.config.headers.Authorization',
  'err.config.headers.authorization',
  'err.config.data',
  'err.config.auth',
  'err.request',
  'err.response.data',
  'err.response.config',
  'err.response.request',
  '*.config.headers.Authorization',
  '*.config.data',
];

/** OAuth callback parameters that must not reach a log line through `req.url`. */
const SECRET_QUERY_PARAMS = ['code', 'state'];

/** `/quickbooks/callback?code=...&state=...&realmId=1` → code and state replaced, the rest kept. */
export function redactUrlQuery(url: string, params: readonly string[] = SECRET_QUERY_PARAMS): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const search = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const name of params) {
    if (search.has(name)) {
      search.set(name, QUICKBOOKS_REDACTED);
      changed = true;
    }
  }
  // Keep the marker readable: URLSearchParams would print it as %5BRedacted%5D.
  return changed ? `${url.slice(0, q)}?${search.toString().replaceAll(encodeURIComponent(QUICKBOOKS_REDACTED), QUICKBOOKS_REDACTED)}` : url;
}

type SerializedReq = { url?: unknown; query?: unknown; [key: string]: unknown };

/** pino's redact censor: a replacement string, or a function of the value and its path. */
export type PinoCensor = string | ((value: unknown, path: string[]) => unknown);

/**
 * The pino-http options quickBooksPinoHttpOptions reads (structural, so these typings need neither
 * pino-http nor nestjs-pino installed); every other pino-http option passes through as given.
 * @publicApi
 */
export interface QuickBooksPinoHttpOverrides {
  level?: string;
  redact?: string[] | { paths: string[]; censor?: PinoCensor; remove?: boolean };
  /** Yours are kept; a `req` serializer runs after ours, on the scrubbed request. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pino's own SerializerFn is (value: any) => any
  serializers?: Record<string, (value: any) => any>;
  autoLogging?:
    | boolean
    | {
        /** Requests not to log (probes, for example). */
        ignore?: (req: IncomingMessage) => boolean;
      };
}

/** What quickBooksPinoHttpOptions returns: the overrides, with redact and serializers merged with ours. @publicApi */
export type QuickBooksPinoHttpOptions<T> = Omit<T, 'redact' | 'serializers'> & {
  redact: { paths: string[]; censor: PinoCensor; remove?: boolean };
  /** Yours, with a `req` serializer that scrubs the callback's query first. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  serializers: Record<string, (value: any) => any>;
};

/**
 * Recommended pino-http options: the redact paths above, plus a request serializer that scrubs
 * `code` and `state` from the logged URL (redact paths cannot reach inside a string).
 *
 * ```ts
 * LoggerModule.forRoot({ pinoHttp: quickBooksPinoHttpOptions({ level: 'info' }) })
 * ```
 * Extra redact paths given in `overrides.redact` are added to ours, not substituted.
 * @publicApi
 */
export function quickBooksPinoHttpOptions<T extends QuickBooksPinoHttpOverrides = QuickBooksPinoHttpOverrides>(
  overrides: T = {} as T,
): QuickBooksPinoHttpOptions<T> {
  const { redact, serializers, ...rest } = overrides;
  const extraPaths = Array.isArray(redact) ? redact : (redact?.paths ?? []);
  const censor = !Array.isArray(redact) && redact?.censor !== undefined ? redact.censor : QUICKBOOKS_REDACTED;
  const customReq = serializers?.req as ((req: SerializedReq) => unknown) | undefined;
  return {
    ...rest,
    redact: { paths: [...QUICKBOOKS_PINO_REDACT_PATHS, ...extraPaths], censor },
    serializers: {
      ...serializers,
      // pino-http hands us pino-std-serializers' output; `query` is the live req.query, so copy it.
      req: (req: SerializedReq) => {
        if (typeof req.url === 'string') req.url = redactUrlQuery(req.url);
        if (req.query && typeof req.query === 'object') {
          const query: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
          for (const name of SECRET_QUERY_PARAMS) if (name in query) query[name] = QUICKBOOKS_REDACTED;
          req.query = query;
        }
        return customReq ? customReq(req) : req;
      },
    },
  };
}
