import { createParamDecorator, InternalServerErrorException, type ExecutionContext } from '@nestjs/common';
import type { Caller, RequestWithCaller } from './caller';

/** The caller CallerGuard authenticated. Using it on an unguarded route is a programming error. */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<RequestWithCaller>().caller;
  if (!caller) throw new InternalServerErrorException('route is missing CallerGuard');
  return caller;
});
