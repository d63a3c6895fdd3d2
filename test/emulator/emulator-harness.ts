import axios, { type AxiosResponse } from 'axios';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';

export const CLIENT_ID = 'emu-client';
export const CLIENT_SECRET = 'emu-secret';
export const REDIRECT_URI = 'http://localhost:3000/quickbooks/callback';
export const ACCOUNTING = 'com.intuit.quickbooks.accounting';

/** Real HTTP, never throws on status, never follows redirects: tests assert on raw responses. */
export const http = axios.create({ validateStatus: () => true, maxRedirects: 0, timeout: 30_000 });

export function basic(id = CLIENT_ID, secret = CLIENT_SECRET): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

export function start(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] }], ...options });
}

export class Harness {
  constructor(readonly emu: RunningEmulator) {}

  get url(): string {
    return this.emu.url;
  }

  token(params: Record<string, string>, headers: Record<string, string> = {}): Promise<AxiosResponse> {
    return http.post(`${this.url}/oauth2/v1/tokens/bearer`, new URLSearchParams(params).toString(), {
      headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    });
  }

  refresh(refreshToken: string, headers: Record<string, string> = {}): Promise<AxiosResponse> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken }, headers);
  }

  control(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<AxiosResponse> {
    return http.request({
      method,
      url: `${this.url}/_emulator${path}`,
      data: body,
      headers: body ? { 'content-type': 'application/json' } : {},
    });
  }

  async mint(body: Record<string, unknown> = {}): Promise<{
    realmId: string;
    access_token: string;
    refresh_token: string;
    x_refresh_token_expires_in: number;
    x_refresh_token_hard_expires_in: number;
  }> {
    const res = await this.control('POST', '/connections', { clientId: CLIENT_ID, ...body });
    expect(res.status).toBe(200);
    return res.data.connections[0];
  }

  advance(seconds: number): Promise<AxiosResponse> {
    return this.control('POST', '/clock/advance', { seconds });
  }

  authorizeUrl(params: Record<string, string> = {}): string {
    const q = new URLSearchParams({
      client_id: CLIENT_ID,
      response_type: 'code',
      scope: ACCOUNTING,
      redirect_uri: REDIRECT_URI,
      state: 'st-123',
      ...params,
    });
    return `${this.url}/connect/oauth2?${q.toString()}`;
  }

  /** Consent page round trip: GET authorize, POST the form's decision; returns the redirect. */
  async consent(decision: 'approve' | 'deny', params: Record<string, string> = {}, realmId?: string): Promise<URL> {
    const page = await http.get(this.authorizeUrl(params));
    expect(page.status).toBe(200);
    const fields: Record<string, string> = { decision };
    for (const m of String(page.data).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
      fields[m[1]] = m[2].replace(/&amp;/g, '&');
    if (realmId) fields.realmId = realmId;
    const res = await http.post(`${this.url}/connect/oauth2/decision`, new URLSearchParams(fields).toString(), {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(302);
    return new URL(res.headers.location as string);
  }

  /** Full consent + code exchange; returns the token response and realm. */
  async connect(scope = ACCOUNTING, headers: Record<string, string> = {}): Promise<{ realmId: string; body: Record<string, any> }> {
    const cb = await this.consent('approve', { scope });
    const res = await this.token(
      { grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: REDIRECT_URI },
      headers,
    );
    expect(res.status).toBe(200);
    return { realmId: cb.searchParams.get('realmId')!, body: res.data };
  }
}
