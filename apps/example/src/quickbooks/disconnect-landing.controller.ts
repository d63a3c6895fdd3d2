import { Controller, Get, Header, Logger, Query } from '@nestjs/common';
import { ConnectService } from '@quickbooks-auth/nestjs';
import { renderDisconnectLanding } from '../page/page.renderer';

/**
 * Intuit's Disconnect URL (app settings at developer.intuit.com → `<public URL>/quickbooks/disconnected`):
 * after a customer disconnects the app inside QuickBooks, Intuit sends their browser here with
 * `?realmId=`. Public, so it trusts nothing: the library verifies with Intuit in the background
 * (only an invalid_grant answer marks the connection revoked), and every request gets the same
 * page at once, whatever the realm, so it can neither disconnect a healthy connection nor tell
 * anyone which companies are connected here.
 */
@Controller('quickbooks')
export class DisconnectLandingController {
  private readonly logger = new Logger(DisconnectLandingController.name);

  constructor(private readonly connect: ConnectService) {}

  @Get('disconnected')
  @Header('Content-Type', 'text/html; charset=utf-8')
  landing(@Query('realmId') realmId: unknown): string {
    // Not awaited: the answer must not depend on (or take the time of) the check with Intuit.
    void this.connect
      .handleDisconnectLanding({ realmId })
      .catch((err: unknown) => this.logger.warn(`disconnect landing check failed: ${(err as Error)?.message ?? 'unknown error'}`));
    return renderDisconnectLanding();
  }
}
