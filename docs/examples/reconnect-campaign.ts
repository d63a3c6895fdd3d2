// docs/reconnect-campaign.md: the Reconnect URL, the Disconnect URL, warnings and a campaign.
import { Controller, Get, Header, Injectable, Query, Req, Res, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { Request, Response } from 'express';
import { ConnectService, QuickBooksAuthEvent, QuickBooksAuthModule, TokenService, type ExpiringEvent, type ReconnectCampaignPage, type ReconnectCandidate } from '@quickbooks-auth/nestjs';

type AuthenticatedRequest = Request & { caller: { tenantId: string; sessionId: string } };

/** Stand-in for your real guard (session cookie, API key, JWT): it sets req.caller or refuses. */
@Injectable()
export class CallerGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return Boolean(context.switchToHttp().getRequest<AuthenticatedRequest>().caller?.tenantId);
  }
}

export const lifecycleModule = QuickBooksAuthModule.forRoot({
  clientId: process.env.QB_CLIENT_ID!,
  clientSecret: process.env.QB_CLIENT_SECRET!,
  redirectUri: 'https://app.example.com/quickbooks/callback',
  encryptionKeys: process.env.QB_ENCRYPTION_KEYS!,
  stateSecret: process.env.QB_STATE_SECRET!,
  storage: { type: 'typeorm', url: process.env.DATABASE_URL },
  reconnectUrl: 'https://app.example.com/quickbooks/reconnect?realmId={realmId}', // or QB_RECONNECT_URL
  scheduler: { hardExpiryWarningDays: [90, 30, 7] }, // the default
});

/** The Reconnect URL: a signed-in customer goes back to Intuit for the same company. */
@Controller('quickbooks')
@UseGuards(CallerGuard) // the tenant comes from the signed-in customer, never from the query
export class ReconnectController {
  constructor(private readonly connect: ConnectService) {}

  @Get('reconnect')
  async reconnect(@Req() req: AuthenticatedRequest, @Query('realmId') realmId: string, @Res() res: Response): Promise<void> {
    const { url } = await this.connect.createReconnectUrl({ tenantId: req.caller.tenantId, realmId, sessionId: req.caller.sessionId });
    res.redirect(302, url);
  }
}

const SAME_PAGE_FOR_EVERYONE = '<!doctype html><title>QuickBooks disconnected</title><p>If you disconnected this app in QuickBooks, it no longer has access.</p>';

/** The Disconnect URL: public, the same answer for every request, the check with Intuit in the background. */
@Controller('quickbooks')
export class DisconnectLandingController {
  constructor(private readonly connect: ConnectService) {}

  @Get('disconnected') // public: no guard
  @Header('Content-Type', 'text/html; charset=utf-8')
  landing(@Query('realmId') realmId: unknown): string {
    void this.connect.handleDisconnectLanding({ realmId }).catch(() => undefined); // not awaited
    return SAME_PAGE_FOR_EVERYONE;
  }
}

interface Mailer {
  send(tenantId: string, template: string, data: Record<string, unknown>): Promise<void>;
}

@Injectable()
export class ReconnectReminders {
  constructor(
    private readonly mail: Mailer,
    private readonly tokens: TokenService,
  ) {}

  @OnEvent(QuickBooksAuthEvent.Expiring)
  async onExpiring(e: ExpiringEvent): Promise<void> {
    if (e.kind !== 'refresh_hard') return;
    await this.mail.send(e.tenantId, 'reconnect-quickbooks', { deadline: e.expiresAt, daysLeft: e.horizonDays, link: e.reconnectUrl });
  }

  /** Everyone whose 5-year deadline falls within 90 days, across tenants, soonest first. */
  async campaign(enqueue: (c: ReconnectCandidate) => Promise<void>): Promise<void> {
    let cursor: string | null = null;
    do {
      const page: ReconnectCampaignPage = await this.tokens.listConnections({ needsReconnectWithinDays: 90, cursor, limit: 500 });
      for (const c of page.connections) {
        // c.tenantId, c.realmId, c.status, c.reconnectBy (the hard expiry), c.reconnectUrl, c.warnedDays
        await enqueue(c);
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
}
