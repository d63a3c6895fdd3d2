import helmet from 'helmet';
import type { RequestHandler } from 'express';
import { PAGE_STYLE_SOURCE } from '../page/page-style-hash';

/**
 * helmet's headers on every response, with a CSP for the server-rendered page: no scripts at all,
 * only the page's own stylesheet (by hash), forms posting to this origin only, never framed.
 * HSTS and upgrade-insecure-requests only when the app is served over https (demo: http://localhost).
 */
export function securityHeaders(https: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: [PAGE_STYLE_SOURCE],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    // The callback URL carries the OAuth code: never send it to another site as a Referer. Not
    // no-referrer: Chromium then sends `Origin: null` on the page's own form posts.
    referrerPolicy: { policy: 'same-origin' },
  });
}
