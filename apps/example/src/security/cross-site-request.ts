import type { IncomingHttpHeaders } from 'node:http';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Why a state-changing browser request must be refused as cross-site, or null. Browsers send
 * `Origin` on every POST and DELETE and `Sec-Fetch-Site` on every request; a page elsewhere cannot
 * remove or forge either. A request with neither comes from a non-browser client, which a
 * cross-site page cannot drive. API-key callers are exempt: a cross-site form cannot set
 * `x-api-key` or `Authorization` (that needs CORS, which this app never grants).
 */
export function crossSiteReason(method: string, headers: IncomingHttpHeaders, appOrigin: string): string | null {
  if (!UNSAFE_METHODS.has(method.toUpperCase())) return null;
  if (headers['x-api-key'] !== undefined || headers.authorization !== undefined) return null;
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site: ${String(site).slice(0, 16)}`;
  const origin = headers.origin;
  if (origin !== undefined && origin !== appOrigin) return 'Origin is not this app';
  return null;
}
