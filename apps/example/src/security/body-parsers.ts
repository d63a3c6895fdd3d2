import type { NestExpressApplication } from '@nestjs/platform-express';
import { jsonNestingExceeds } from './json-depth';

/** The app's bodies are an API key or a CSRF token: anything near this size is abuse. */
export const BODY_LIMIT = '16kb';

/**
 * Body parsers with explicit limits, registered by hand (the app is created with
 * `bodyParser: false`) so they run after the same-origin check. Failures are body-parser's
 * http-errors (413 too large, 415 charset or encoding, 400 malformed, deflated or too deep),
 * which requestBodyError maps to answers: never a 500.
 */
export function registerBodyParsers(app: NestExpressApplication): void {
  app.useBodyParser('json', {
    limit: BODY_LIMIT,
    verify: (_req: unknown, _res: unknown, buf: Buffer) => {
      if (jsonNestingExceeds(buf)) throw Object.assign(new Error('JSON nested too deeply'), { status: 400, type: 'entity.too.deep' });
    },
  });
  // Flat forms only (querystring, no nested `a[b][c]` objects), few fields.
  app.useBodyParser('urlencoded', { limit: BODY_LIMIT, extended: false, parameterLimit: 20 });
}
