import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { EmulatorOptions } from './config';
import { HttpError } from './http-utils';

/** Who may use the control API: the Host names it answers to, and the bearer token when one is set. */
export interface ControlAccessPolicy {
  hosts: ReadonlySet<string>;
  token: string | null;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Loopback names, the host the emulator was told to listen on (unless it is a wildcard), and
 * `controlHosts` (e.g. a container's service name). Throws on an unusable token.
 */
export function controlAccessPolicy(options: Pick<EmulatorOptions, 'host' | 'controlHosts' | 'controlToken'>): ControlAccessPolicy {
  const hosts = new Set(LOOPBACK_NAMES);
  const configured = normalizeHost(options.host ?? '');
  if (!WILDCARD_HOSTS.has(configured)) hosts.add(configured);
  for (const name of options.controlHosts ?? []) {
    if (typeof name !== 'string' || !name.trim()) throw new Error('controlHosts must be host names');
    hosts.add(normalizeHost(name));
  }
  const token = options.controlToken ?? null;
  if (token !== null && (typeof token !== 'string' || !/^[\x21-\x7e]{16,512}$/.test(token))) {
    throw new Error('controlToken must be 16 to 512 printable characters without spaces');
  }
  return { hosts, token };
}

/**
 * Refuses what a web page could send to a loopback port: a foreign Host (DNS rebinding), a
 * cross-site Origin or Sec-Fetch-Site (CSRF), a non-empty body that is not `application/json`
 * (HTML forms and no-cors fetches cannot send that type without a preflight), and, with a token,
 * any request without it. Runs before the body is read.
 */
export function assertControlAccess(req: IncomingMessage, policy: ControlAccessPolicy): void {
  const hostHeader = typeof req.headers.host === 'string' ? req.headers.host : '';
  const host = hostnameOf(hostHeader);
  if (!host || !(policy.hosts.has(host) || isLoopbackV4(host))) {
    throw new HttpError(403, {
      error: 'forbidden',
      error_description: 'Control API: Host is not a loopback name or a configured control host',
    });
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${hostHeader.toLowerCase()}`) {
    throw new HttpError(403, { error: 'forbidden', error_description: 'Control API: cross-origin requests are refused' });
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, { error: 'forbidden', error_description: 'Control API: cross-site requests are refused' });
  }
  if (policy.token !== null && !bearerMatches(req.headers.authorization, policy.token)) {
    throw new HttpError(401, { error: 'unauthorized', error_description: 'Control API: bearer token required' });
  }
  // An empty body carries nothing to act on, whatever its declared type (axios labels one as a form).
  if (BODY_METHODS.has(req.method ?? '') && hasBody(req) && !isJson(req.headers['content-type'])) {
    throw new HttpError(415, { error: 'unsupported_media_type', error_description: 'Control API: send bodies as application/json' });
  }
}

function normalizeHost(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
}

/** `host[:port]` or `[v6]:port` to the bare, lower-case host name. */
function hostnameOf(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end > 0 ? value.slice(1, end) : '';
  }
  const colon = value.indexOf(':');
  return colon >= 0 ? value.slice(0, colon) : value;
}

function isLoopbackV4(host: string): boolean {
  return /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(host);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function hasBody(req: IncomingMessage): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return length > 0 || req.headers['transfer-encoding'] !== undefined;
}

function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === 'application/json';
}
