import type { QuickBooksFault } from '../errors/quickbooks-api.error';

const REDACTED = '[Redacted]';
const MAX_FAULTS = 10;
const MAX_FIELD_CHARS = 500;
/** Shortest run of the token we treat as an echo of it (Intuit echoes the first 10 characters). */
const MIN_ECHO_CHARS = 4;

/** Intuit's fault envelope after parsing: its type and entries. */
export interface ParsedFault {
  type: string | null;
  errors: QuickBooksFault[];
}

/**
 * Reads Intuit's QBO fault envelope from a parsed JSON body. Intuit spells it `Fault.Error[]` with
 * `Message`/`Detail` on most errors and `fault.error[]` with `message`/`detail` on authentication
 * failures, so keys are matched case-insensitively. Null when the body holds no fault.
 * Every string is scrubbed of the presented access token's prefixes (I5).
 */
export function parseQboFault(body: unknown, accessToken: string): ParsedFault | null {
  const fault = field(body, 'fault');
  if (!fault || typeof fault !== 'object') return null;
  const entries = field(fault, 'error');
  const errors = (Array.isArray(entries) ? entries : []).slice(0, MAX_FAULTS).map((e) => ({
    code: text(field(e, 'code'), accessToken),
    message: text(field(e, 'message'), accessToken),
    detail: text(field(e, 'detail'), accessToken),
    element: text(field(e, 'element'), accessToken),
  }));
  return { type: text(field(fault, 'type'), accessToken), errors };
}

/** Removes every run of `token`'s leading characters (at least MIN_ECHO_CHARS long) from `value`. */
export function scrubTokenEcho(value: string, token: string): string {
  if (token.length < MIN_ECHO_CHARS) return value;
  const head = token.slice(0, MIN_ECHO_CHARS);
  let out = '';
  let from = 0;
  for (let at = value.indexOf(head); at >= 0; at = value.indexOf(head, from)) {
    let n = MIN_ECHO_CHARS;
    while (n < token.length && value[at + n] === token[n]) n++;
    out += value.slice(from, at) + REDACTED;
    from = at + n;
  }
  return out + value.slice(from);
}

function field(obj: unknown, name: string): unknown {
  if (!obj || typeof obj !== 'object') return undefined;
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : (obj as Record<string, unknown>)[key];
}

function text(value: unknown, token: string): string | null {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value === '') return null;
  return scrubTokenEcho(value, token).slice(0, MAX_FIELD_CHARS);
}
