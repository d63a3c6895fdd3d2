import { Body, Controller, Delete, ForbiddenException, Get, HttpCode, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/caller.decorator';
import { CallerGuard } from '../auth/caller.guard';
import { SessionCookieService } from '../auth/session-cookie.service';
import { toConnectionView, type ConnectionView } from './connection.view';
import { RealmIdPipe } from './realm-id.pipe';
import { TenantConnectionsService } from './tenant-connections.service';

/** The caller's QuickBooks connections: list, inspect, disconnect, call the QBO API. */
@Controller('quickbooks/connections')
@UseGuards(CallerGuard)
export class ConnectionsController {
  constructor(
    private readonly connections: TenantConnectionsService,
    private readonly sessions: SessionCookieService,
  ) {}

  @Get()
  async list(@CurrentCaller() caller: Caller): Promise<{ connections: ConnectionView[] }> {
    return { connections: (await this.connections.list(caller)).map(toConnectionView) };
  }

  @Get(':realmId')
  async get(@CurrentCaller() caller: Caller, @Param('realmId', RealmIdPipe) realmId: string): Promise<ConnectionView> {
    return toConnectionView(await this.connections.get(caller, realmId));
  }

  /**
   * Revokes the grant at Intuit, then marks the connection revoked. `revokePending`: Intuit refused
   * the revoke; the connection is disconnected for callers and the revoke is retried.
   */
  @Delete(':realmId')
  async disconnect(
    @CurrentCaller() caller: Caller,
    @Param('realmId', RealmIdPipe) realmId: string,
  ): Promise<{ realmId: string; disconnected: true; revokedAtIntuit: boolean; revokePending: boolean }> {
    const { revokedAtIntuit, revokePending } = await this.connections.disconnect(caller, realmId);
    return { realmId, disconnected: true, revokedAtIntuit, revokePending: revokePending === true };
  }

  /** The page's form variant of DELETE (HTML forms cannot send DELETE); CSRF-checked for cookie sessions. */
  @Post(':realmId/disconnect')
  @HttpCode(303)
  async disconnectForm(
    @CurrentCaller() caller: Caller,
    @Param('realmId', RealmIdPipe) realmId: string,
    @Body() body: { csrf?: unknown } | undefined,
    @Res() res: Response,
  ): Promise<void> {
    if (caller.via === 'session' && !this.sessions.verifyCsrf(caller.sessionId.replace(/^session:/, ''), body?.csrf)) {
      throw new ForbiddenException({ error: 'invalid_csrf_token', message: 'Reload the page and try again' });
    }
    await this.connections.disconnect(caller, realmId);
    res.redirect(303, `/?disconnected=${realmId}`);
  }

  @Get(':realmId/company-info')
  async companyInfo(
    @CurrentCaller() caller: Caller,
    @Param('realmId', RealmIdPipe) realmId: string,
  ): Promise<{ realmId: string; companyInfo: Record<string, unknown> }> {
    return { realmId, companyInfo: await this.connections.companyInfo(caller, realmId) };
  }
}
