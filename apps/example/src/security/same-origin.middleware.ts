import type { NextFunction, Request, Response } from 'express';
import { crossSiteReason } from './cross-site-request';

/**
 * Refuses cross-site POST/PUT/PATCH/DELETE with 403 before the body is read: login CSRF (an
 * attacker's page logging the victim into the attacker's tenant), and every cookie-authenticated
 * form or DELETE. The page's forms also carry a per-session CSRF token; this check needs no state.
 */
export function sameOriginOnly(appOrigin: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (crossSiteReason(req.method, req.headers, appOrigin) === null) {
      next();
      return;
    }
    // Close instead of draining whatever body the other site sent.
    res.setHeader('Connection', 'close');
    res.status(403).json({ error: 'cross_site_request', message: 'Cross-site requests are refused: use the page of this app' });
  };
}
