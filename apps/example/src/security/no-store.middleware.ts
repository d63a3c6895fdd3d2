import type { NextFunction, Request, Response } from 'express';

/**
 * `Cache-Control: no-store` on every response: the page, the connection API, callbacks and error
 * answers all carry connection data or session state, and no answer of this app is worth caching.
 */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}
