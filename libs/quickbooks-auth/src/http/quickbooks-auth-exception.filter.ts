import { Catch, Logger, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { QuickBooksAuthError } from '../errors/quickbooks-auth.error';
import { quickBooksErrorResponse } from './quickbooks-error-response';

/**
 * Opt-in: answers the library's typed errors over HTTP as docs/http-errors.md lists (404, 400,
 * 409 with the reconnect URL, 502, 503 with Retry-After…) instead of Nest's 500. Catches only
 * QuickBooksAuthError, so the host's other filters and errors are untouched. Works on Express and
 * Fastify through the HTTP adapter. Register it globally:
 *
 * ```ts
 * providers: [{ provide: APP_FILTER, useClass: QuickBooksAuthExceptionFilter }]
 * // or: app.useGlobalFilters(new QuickBooksAuthExceptionFilter(app.get(HttpAdapterHost)));
 * ```
 * @publicApi
 */
@Catch(QuickBooksAuthError)
export class QuickBooksAuthExceptionFilter implements ExceptionFilter<QuickBooksAuthError> {
  private readonly logger = new Logger('QuickBooksAuthExceptionFilter');

  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  catch(err: QuickBooksAuthError, host: ArgumentsHost): void {
    // Not an HTTP request (microservice, websocket): leave it to the host's own handling.
    if (host.getType() !== 'http') throw err;
    const answer = quickBooksErrorResponse(err)!;
    // Name and code only: messages of configuration and storage errors may name internals.
    if (answer.status >= 500 && answer.status !== 502 && answer.status !== 503) this.logger.error(`${err.name} (${err.code})`);
    const headers = { ...answer.headers, 'Cache-Control': 'no-store' };
    const res = host.switchToHttp().getResponse<ExpressLikeResponse>();
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter) {
      for (const [name, value] of Object.entries(headers)) adapter.setHeader(res, name, value);
      adapter.reply(res, answer.body, answer.status);
      return;
    }
    // `app.useGlobalFilters(new QuickBooksAuthExceptionFilter())` without the adapter: Express.
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.status(answer.status).json(answer.body);
  }
}

/** What the fallback needs of an Express response (structural: no express types in the public surface). */
interface ExpressLikeResponse {
  setHeader(name: string, value: string): unknown;
  status(code: number): { json(body: unknown): unknown };
}
