import { Inject, Injectable } from '@nestjs/common';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { EXAMPLE_RUNTIME, type ExampleRuntime } from '../runtime/example-runtime';
import { SessionRevocations } from './session-revocations';

export const SESSION_COOKIE = 'qbx_session';
const SESSION_TTL_SECONDS = 8 * 3600;

/** What the signed cookie carries: a random session id and which API key logged in, never the key. */
export interface SessionPayload {
  sid: string;
  /** Fingerprint of the API key used at login: removing the key ends the session. */
  kid: string;
  /** Expiry, unix seconds. */
  exp: number;
}

/**
 * HMAC-signed, HttpOnly, SameSite=Lax session cookie for the server-rendered page; `Secure` when
 * the app is served over https. Logout revokes the session id server-side (SessionRevocations).
 */
@Injectable()
export class SessionCookieService {
  constructor(
    @Inject(EXAMPLE_RUNTIME) private readonly runtime: ExampleRuntime,
    private readonly revocations: SessionRevocations,
  ) {}

  /** `overHttps`: the request came in over https (directly, or per a trusted proxy's X-Forwarded-Proto). */
  issue(keyFingerprint: string, overHttps = false): { value: string; header: string } {
    const payload: SessionPayload = {
      sid: randomBytes(16).toString('base64url'),
      kid: keyFingerprint,
      exp: Math.floor(Date.now() / 1000) + SESSION_TTL_SECONDS,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const value = `${body}.${this.sign(body)}`;
    return { value, header: this.cookie(value, SESSION_TTL_SECONDS, overHttps) };
  }

  clearHeader(overHttps = false): string {
    return this.cookie('', 0, overHttps);
  }

  /** Ends the session for good: its cookie, even kept by someone, is refused from now on. */
  revoke(session: SessionPayload): void {
    this.revocations.revoke(session.sid, session.exp);
  }

  /** The payload of a well-signed, unexpired, not logged-out cookie in a Cookie header; null otherwise. */
  read(cookieHeader: string | undefined): SessionPayload | null {
    const raw = readCookie(cookieHeader, SESSION_COOKIE);
    if (!raw) return null;
    const [body, mac, extra] = raw.split('.');
    if (!body || !mac || extra !== undefined || !safeEqual(mac, this.sign(body))) return null;
    try {
      const p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<SessionPayload>;
      if (typeof p.sid !== 'string' || typeof p.kid !== 'string' || typeof p.exp !== 'number') return null;
      if (p.exp * 1000 <= Date.now() || this.revocations.isRevoked(p.sid)) return null;
      return { sid: p.sid, kid: p.kid, exp: p.exp };
    } catch {
      return null;
    }
  }

  /** Per-session anti-CSRF token for the page's POST forms. */
  csrfToken(sid: string): string {
    return this.sign(`csrf:${sid}`);
  }

  verifyCsrf(sid: string, token: unknown): boolean {
    return typeof token === 'string' && safeEqual(token, this.csrfToken(sid));
  }

  private sign(data: string): string {
    return createHmac('sha256', this.runtime.cookieSecret).update(data).digest('base64url');
  }

  private cookie(value: string, maxAge: number, overHttps: boolean): string {
    const attrs = [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAge}`];
    if (this.runtime.secureCookies || overHttps) attrs.push('Secure');
    return attrs.join('; ');
  }
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
