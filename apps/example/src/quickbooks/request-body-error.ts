/** What a body-parser failure means for the caller: a stable code and a message of our own. */
const BY_TYPE: Record<string, { status: number; error: string; message: string }> = {
  'entity.too.large': { status: 413, error: 'payload_too_large', message: 'The request body is too large' },
  'parameters.too.many': { status: 413, error: 'payload_too_large', message: 'The form has too many fields' },
  'charset.unsupported': { status: 415, error: 'unsupported_media_type', message: 'Unsupported charset: send UTF-8' },
  'encoding.unsupported': { status: 415, error: 'unsupported_media_type', message: 'Unsupported Content-Encoding' },
  'entity.parse.failed': { status: 400, error: 'malformed_body', message: 'The request body could not be parsed' },
  'entity.too.deep': { status: 400, error: 'malformed_body', message: 'The JSON body is nested too deeply' },
  'entity.verify.failed': { status: 400, error: 'malformed_body', message: 'The request body was refused' },
  'request.aborted': { status: 400, error: 'malformed_body', message: 'The request body was cut short' },
  'request.size.invalid': { status: 400, error: 'malformed_body', message: 'The request body does not match its Content-Length' },
};

/**
 * The answer to an error body-parser raised (http-errors with a `type` and a 4xx `status`), or
 * null for anything else. A 4xx of a type not listed (a corrupt gzip or brotli stream is a plain
 * 400) keeps its status with a generic message: body-parser's own messages are not shown.
 */
export function requestBodyError(err: unknown): { status: number; error: string; message: string } | null {
  const e = err as { type?: unknown; status?: unknown; expose?: unknown } | null;
  if (!e || typeof e !== 'object' || typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return null;
  if (typeof e.type === 'string' && BY_TYPE[e.type]) return BY_TYPE[e.type];
  if (e.expose === true) return { status: e.status, error: 'malformed_body', message: 'The request body could not be read' };
  return null;
}
