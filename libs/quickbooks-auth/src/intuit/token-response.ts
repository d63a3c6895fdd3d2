import type { TokenSet } from '../domain/connection.interface';
import { IntuitResponseError } from '../errors/intuit-response.error';

/** A parsed, validated token-endpoint response (I8: a malformed body is a typed error, never stored). */
export interface IntuitTokenResponse extends TokenSet {
  /** Seconds the access token lives, as Intuit said. */
  expiresIn: number;
  refreshExpiresIn: number;
  hardExpiresIn: number | null;
  idToken: string | null;
}

const MAX_SECONDS = 20 * 365 * 86_400;

/**
 * Validates a 200 body from the token endpoint. Expiries count from `sentAt` (when the request
 * left), not from receipt: the token may have been minted anywhere in between.
 */
export function parseTokenResponse(body: unknown, sentAt: number, meta: { status: number; intuitTid: string | null }): IntuitTokenResponse {
  const bad = (what: string) =>
    new IntuitResponseError(`Intuit token response is unusable: ${what}`, 'bad_response', meta.status, meta.intuitTid);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('body is not a JSON object');
  const b = body as Record<string, unknown>;
  const str = (k: string) => {
    const v = b[k];
    if (typeof v !== 'string' || v.length === 0 || v.length > 8192) throw bad(`${k} is missing or malformed`);
    return v;
  };
  const secs = (k: string, required: boolean): number | null => {
    const v = b[k];
    if (v === undefined || v === null) {
      if (required) throw bad(`${k} is missing`);
      return null;
    }
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > MAX_SECONDS) throw bad(`${k} is not a positive number of seconds`);
    return n;
  };
  if (typeof b.token_type === 'string' && b.token_type.toLowerCase() !== 'bearer') throw bad('token_type is not bearer');
  const accessToken = str('access_token');
  const refreshToken = str('refresh_token');
  const expiresIn = secs('expires_in', true)!;
  const refreshExpiresIn = secs('x_refresh_token_expires_in', true)!;
  const hardExpiresIn = secs('x_refresh_token_hard_expires_in', false);
  return {
    accessToken,
    refreshToken,
    expiresIn,
    refreshExpiresIn,
    hardExpiresIn,
    idToken: typeof b.id_token === 'string' ? b.id_token : null,
    accessTokenExpiresAt: new Date(sentAt + expiresIn * 1000),
    refreshTokenExpiresAt: new Date(sentAt + refreshExpiresIn * 1000),
    refreshTokenHardExpiresAt: hardExpiresIn === null ? null : new Date(sentAt + hardExpiresIn * 1000),
  };
}
