import { Module } from '@nestjs/common';
import { CallerAuthService } from './caller-auth.service';
import { CallerGuard } from './caller.guard';
import { SessionCookieService } from './session-cookie.service';
import { SessionController } from './session.controller';

/** Caller authentication: API keys and the page's signed session cookie. */
@Module({
  controllers: [SessionController],
  providers: [SessionCookieService, CallerAuthService, CallerGuard],
  exports: [SessionCookieService, CallerAuthService, CallerGuard],
})
export class AuthModule {}
