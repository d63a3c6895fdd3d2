import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { toErrorResponse } from './error-response';

/**
 * One filter for every error: JSON for API callers; for browsers a redirect back to the page
 * with an error code it knows how to explain (or a bare page if the page itself failed).
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(err: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const answer = toErrorResponse(err);
    if (answer.status >= 500) {
      // Name and code only: messages of unknown errors may carry driver details.
      const e = err as { name?: string; code?: unknown } | null;
      this.logger.error(`${req.method} ${req.path} failed: ${e?.name ?? 'Error'}${typeof e?.code === 'string' ? ` (${e.code})` : ''}`);
    }
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    res.setHeader('Cache-Control', 'no-store');
    if (req.accepts(['json', 'html']) === 'html') {
      if (req.path !== '/') {
        res.redirect(303, `/?error=${encodeURIComponent(answer.status === 401 ? 'login_required' : answer.body.error)}`);
        return;
      }
      res.status(answer.status).type('text/plain').send(`${answer.status} ${answer.body.message}`);
      return;
    }
    res.status(answer.status).json(answer.body);
  }
}
