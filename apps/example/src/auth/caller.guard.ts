import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { RequestWithCaller } from './caller';
import { CallerAuthService } from './caller-auth.service';

/** Every route that touches connections requires a caller; 401 otherwise. */
@Injectable()
export class CallerGuard implements CanActivate {
  constructor(private readonly auth: CallerAuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & RequestWithCaller>();
    const caller = await this.auth.authenticate(req);
    if (!caller) {
      throw new UnauthorizedException({
        error: 'unauthorized',
        message: 'Send an API key in x-api-key or Authorization: Bearer, or log in on the page',
      });
    }
    req.caller = caller;
    return true;
  }
}
