import type { IncomingMessage, ServerResponse } from 'node:http';
import { newIntuitTid, newSpanId } from './ids';

export const JSON_CONTENT_TYPE = 'application/json;charset=UTF-8';
export const HTML_CONTENT_TYPE = 'text/html;charset=UTF-8';
const MAX_BODY_BYTES = 1024 * 1024;

/** Error whose status/body the router sends as-is (bad JSON, oversize body, bad control input). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.error_description ?? body.error ?? status));
  }
}

/**
 * Headers Intuit puts on every response. `Date` follows the emulator clock (+ configured skew)
 * so clients that estimate skew from it see what they would against a drifting server.
 */
export function applyCommonHeaders(res: ServerResponse, serverNowMs: number): string {
  const tid = newIntuitTid();
  res.setHeader('intuit_tid', tid);
  res.setHeader('x-amzn-trace-id', `Root=${tid}`);
  res.setHeader('x-spanid', newSpanId());
  res.setHeader('strict-transport-security', 'max-age=15552000');
  res.setHeader('cache-control', 'no-cache, no-store');
  res.setHeader('pragma', 'no-cache');
  res.setHeader('content-type', JSON_CONTENT_TYPE);
  res.setHeader('date', new Date(serverNowMs).toUTCString());
  return tid;
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, { error: 'invalid_request', error_description: 'Request body too large' }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Form or JSON body as a flat string map (Intuit's token endpoint takes form; revoke takes either). */
export function parseParams(req: IncomingMessage, raw: string): Record<string, string> {
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  const trimmed = raw.trim();
  if (type.includes('application/json') || (!type.includes('urlencoded') && trimmed.startsWith('{'))) {
    if (!trimmed) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new HttpError(400, { error: 'invalid_request', error_description: 'Malformed JSON body' });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new HttpError(400, { error: 'invalid_request', error_description: 'Body must be a JSON object' });
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed)) if (v !== null && v !== undefined) out[k] = String(v);
    return out;
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

/** Parses a control-API JSON body (objects only). */
export function parseJsonObject(raw: string): Record<string, unknown> {
  if (!raw.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HttpError(400, { error: 'invalid_request', error_description: 'Malformed JSON body' });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HttpError(400, { error: 'invalid_request', error_description: 'Body must be a JSON object' });
  }
  return parsed as Record<string, unknown>;
}

/** Client credentials from HTTP Basic, falling back to client_id/client_secret in the body. */
export function clientCredentials(req: IncomingMessage, params: Record<string, string>): { clientId?: string; clientSecret?: string } {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
    if (!match) return {};
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return {};
    return { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
  }
  return { clientId: params.client_id, clientSecret: params.client_secret };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('content-type', JSON_CONTENT_TYPE);
  res.setHeader('content-length', Buffer.byteLength(payload));
  res.statusCode = status;
  res.end(payload);
}

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('content-type', HTML_CONTENT_TYPE);
  res.setHeader('content-length', Buffer.byteLength(html));
  res.statusCode = status;
  res.end(html);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  if (res.headersSent || res.destroyed) return;
  res.setHeader('content-length', 0);
  res.statusCode = status;
  res.end();
}

export function redirect(res: ServerResponse, location: string): void {
  if (res.headersSent || res.destroyed) return;
  res.setHeader('location', location);
  res.setHeader('content-type', HTML_CONTENT_TYPE);
  res.setHeader('content-length', 0);
  res.statusCode = 302;
  res.end();
}

/** Kills the TCP connection without an HTTP response: the client sees ECONNRESET / socket hang up. */
export function destroySocket(req: IncomingMessage, res: ServerResponse): void {
  const socket = res.socket ?? req.socket;
  socket?.resetAndDestroy?.();
  if (socket && !socket.destroyed) socket.destroy();
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
