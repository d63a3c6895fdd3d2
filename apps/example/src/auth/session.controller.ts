import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { EXAMPLE_RUNTIME, type ExampleRuntime } from '../runtime/example-runtime';
import { CredentialFailureLimiter } from './credential-failure-limiter';
import { SessionCookieService } from './session-cookie.service';

/**
 * The page's tiny login: trade an API key for a signed session cookie. Cross-site POSTs never get
 * here (sameOriginOnly answers 403 first), so another site cannot log a victim into its tenant.
 */
@Controller()
export class SessionController {
  constructor(
    @Inject(EXAMPLE_RUNTIME) private readonly runtime: ExampleRuntime,
    private readonly sessions: SessionCookieService,
    private readonly failures: CredentialFailureLimiter,
  ) {}

  @Post('login')
  @HttpCode(303)
  async login(@Req() req: Request, @Body() body: { apiKey?: unknown } | undefined, @Res() res: Response): Promise<void> {
    this.failures.assertNotBlocked(req);
    const identity = this.runtime.apiKeys.resolve(typeof body?.apiKey === 'string' ? body.apiKey.trim() : null);
    if (!identity) {
      await this.failures.recordFailure(req);
      res.redirect(303, '/?error=invalid_api_key');
      return;
    }
    res.setHeader('Set-Cookie', this.sessions.issue(identity.fingerprint, req.secure).header);
    res.redirect(303, '/');
  }

  /** Revokes the session server-side, so the old cookie stops working even if someone kept it. */
  @Post('logout')
  @HttpCode(303)
  logout(@Req() req: Request, @Body() body: { csrf?: unknown } | undefined, @Res() res: Response): void {
    const session = this.sessions.read(req.headers.cookie);
    // Logging out someone else's browser is harmless but still needs the form's token.
    if (session && this.sessions.verifyCsrf(session.sid, body?.csrf)) {
      this.sessions.revoke(session);
      res.setHeader('Set-Cookie', this.sessions.clearHeader(req.secure));
    }
    res.redirect(303, '/');
  }
}
