import { Module } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { CallerAuthService } from './caller-auth.service';
import { CallerGuard } from './caller.guard';
import { CredentialFailureLimiter } from './credential-failure-limiter';
import { SessionCookieService } from './session-cookie.service';
import { SessionController } from './session.controller';
import { SessionRevocations } from './session-revocations';

/** Caller authentication: API keys and the page's signed session cookie, failures rate-limited in @nestjs/throttler's storage. */
@Module({
  controllers: [SessionController],
  providers: [
    SessionCookieService,
    SessionRevocations,
    CallerAuthService,
    CallerGuard,
    CredentialFailureLimiter,
    { provide: ThrottlerStorage, useClass: ThrottlerStorageService },
  ],
  exports: [SessionCookieService, CallerAuthService, CallerGuard],
})
export class AuthModule {}
