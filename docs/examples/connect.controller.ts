// docs/security.md: the connect flow, with the tenant taken from the caller's credentials only.
import { Controller, Get, Injectable, Query, Req, Res, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ConnectService } from '@quickbooks-auth/nestjs';

/** Who is calling, as your authentication established it (never from a query parameter). */
interface Caller {
  tenantId: string;
  sessionId: string;
}
type AuthenticatedRequest = Request & { caller: Caller };

/** Stand-in for your real guard (session cookie, API key, JWT): it sets req.caller or refuses. */
@Injectable()
export class CallerGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    return Boolean(req.caller?.tenantId);
  }
}

@Controller('quickbooks')
@UseGuards(CallerGuard)
export class ConnectController {
  constructor(private readonly connect: ConnectService) {}

  @Get('connect')
  async start(@Req() req: AuthenticatedRequest, @Res() res: Response): Promise<void> {
    const { tenantId, sessionId } = req.caller;
    // The state is signed, single-use, expires in 10 minutes and is bound to this tenant and session.
    const { url } = await this.connect.createAuthorizeUrl({ tenantId, sessionId, returnTo: '/settings/quickbooks' });
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, url);
  }

  @Get('callback')
  async callback(@Req() req: AuthenticatedRequest, @Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const { tenantId, sessionId } = req.caller;
    // Refused (InvalidStateError) when the state was issued to another tenant or session,
    // expired, forged or already used; the code is exchanged at most once.
    const result = await this.connect.handleCallback({ query, sessionId, expectedTenantId: tenantId });
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, result.returnTo ?? '/');
  }
}
