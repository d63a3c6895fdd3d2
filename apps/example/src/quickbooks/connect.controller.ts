import { Controller, Get, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ConnectService } from '@quickbooks-auth/nestjs';
import { callerSuppliedCodeError } from './caller-supplied-code';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/caller.decorator';
import { CallerGuard } from '../auth/caller.guard';
import { safeReturnTo, withQueryParam } from './return-to';
import { toConnectionView } from './connection.view';
import { RealmIdPipe } from './realm-id.pipe';

/** Connect flow: send the caller to Intuit, then take Intuit's redirect back. */
@Controller('quickbooks')
@UseGuards(CallerGuard)
export class ConnectController {
  constructor(private readonly connect: ConnectService) {}

  /** 302 to Intuit's consent page; the state is bound to this caller's session and tenant. */
  @Get('connect')
  async start(@CurrentCaller() caller: Caller, @Query('returnTo') returnTo: unknown, @Res() res: Response): Promise<void> {
    const { url } = await this.connect.createAuthorizeUrl({
      tenantId: caller.tenantId,
      sessionId: caller.sessionId,
      returnTo: safeReturnTo(returnTo),
    });
    res.redirect(302, url);
  }

  /**
   * The app's Reconnect URL (developer.intuit.com app settings, mandatory from 2026; also the
   * library's `reconnectUrl`): 302 to Intuit for this caller's existing connection to `realmId`.
   * The callback then accepts only that company (409 reconnect_realm_mismatch otherwise) and
   * replaces the tokens with a new grant, with a new 5-year deadline. 404 for a company this
   * tenant has not connected.
   */
  @Get('reconnect')
  async reconnect(
    @CurrentCaller() caller: Caller,
    @Query('realmId', RealmIdPipe) realmId: string,
    @Query('returnTo') returnTo: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const { url } = await this.connect.createReconnectUrl({
      tenantId: caller.tenantId,
      realmId,
      sessionId: caller.sessionId,
      returnTo: safeReturnTo(returnTo),
    });
    res.redirect(302, url);
  }

  /**
   * Intuit's redirect. The tenant is the authenticated caller's, and the library refuses a state
   * issued to another tenant or session. Browsers go back to the page; API callers get JSON.
   */
  @Get('callback')
  async callback(@CurrentCaller() caller: Caller, @Req() req: Request, @Res() res: Response): Promise<void> {
    const result = await this.connect
      .handleCallback({ query: req.query, sessionId: caller.sessionId, expectedTenantId: caller.tenantId })
      .catch((err: unknown) => {
        throw callerSuppliedCodeError(err) ?? err;
      });
    if (caller.via === 'session') {
      res.redirect(303, withQueryParam(safeReturnTo(result.returnTo), 'connected', result.connection.realmId));
      return;
    }
    res.status(200).json({ connection: toConnectionView(result.connection), reconnected: result.reconnected });
  }
}
