import { Controller, Get, Header, Inject, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { CallerAuthService } from '../auth/caller-auth.service';
import { TenantConnectionsService } from '../quickbooks/tenant-connections.service';
import { EXAMPLE_RUNTIME, type ExampleRuntime } from '../runtime/example-runtime';
import { errorMessage, noticeMessage } from './page-messages';
import { renderDashboard, renderLogin, type DemoHint } from './page.renderer';

/** `GET /`: the login form, or the caller's connections. Server-rendered, no client-side JS. */
@Controller()
export class PageController {
  constructor(
    @Inject(EXAMPLE_RUNTIME) private readonly runtime: ExampleRuntime,
    private readonly auth: CallerAuthService,
    private readonly connections: TenantConnectionsService,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  // Cache-Control: no-store and the CSP come with every response (bootstrap: noStore, securityHeaders).
  async index(@Req() req: Request, @Query() query: Record<string, unknown>): Promise<string> {
    const flash = { notice: noticeMessage(query), error: errorMessage(query.error) };
    const demo: DemoHint | null = this.runtime.demo
      ? { apiKey: this.runtime.demo.apiKey, emulatorUrl: this.runtime.demo.emulator.url }
      : null;
    const caller = await this.auth.authenticate(req);
    if (!caller) return renderLogin(flash, demo);
    return renderDashboard({
      tenantId: caller.tenantId,
      connections: await this.connections.list(caller),
      csrfToken: caller.csrfToken ?? '',
      flash,
      demo,
      now: Date.now(),
    });
  }
}
