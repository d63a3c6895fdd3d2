import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { EXAMPLE_RUNTIME, type ExampleRuntime } from '../runtime/example-runtime';
import { SessionCookieService } from './session-cookie.service';

/** The page's tiny login: trade an API key for a signed session cookie. */
@Controller()
export class SessionController {
  constructor(
    @Inject(EXAMPLE_RUNTIME) private readonly runtime: ExampleRuntime,
    private readonly sessions: SessionCookieService,
  ) {}

  @Post('login')
  @HttpCode(303)
  login(@Body() body: { apiKey?: unknown } | undefined, @Res() res: Response): void {
    const identity = this.runtime.apiKeys.resolve(typeof body?.apiKey === 'string' ? body.apiKey.trim() : null);
    if (!identity) {
      res.redirect(303, '/?error=invalid_api_key');
      return;
    }
    res.setHeader('Set-Cookie', this.sessions.issue(identity.fingerprint).header);
    res.redirect(303, '/');
  }

  @Post('logout')
  @HttpCode(303)
  logout(@Req() req: Request, @Body() body: { csrf?: unknown } | undefined, @Res() res: Response): void {
    const session = this.sessions.read(req.headers.cookie);
    // Logging out someone else's browser is harmless but still needs the form's token.
    if (session && this.sessions.verifyCsrf(session.sid, body?.csrf)) res.setHeader('Set-Cookie', this.sessions.clearHeader());
    res.redirect(303, '/');
  }
}
