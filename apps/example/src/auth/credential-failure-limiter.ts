import { Inject, Injectable } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { Request } from 'express';
import { CredentialsBlockedError } from './credentials-blocked.error';

/** Failed API keys and logins one client may send per window before it is blocked. */
export const MAX_CREDENTIAL_FAILURES = 10;
const WINDOW_MS = 10 * 60_000;
const BLOCK_MS = 15 * 60_000;
const THROTTLER_NAME = 'credential-failures';

/**
 * Rate limit on failed authentication, per client IP (`req.ip`: the proxy's view when
 * EXAMPLE_TRUST_PROXY is set), counted in @nestjs/throttler's storage. Only failures count, so a
 * busy API client is never throttled; once blocked, every attempt is refused, the right key
 * included, so guessing gains nothing from the 429s.
 */
@Injectable()
export class CredentialFailureLimiter {
  constructor(@Inject(ThrottlerStorage) private readonly storage: ThrottlerStorageService) {}

  /** Throws CredentialsBlockedError while this client is blocked. Call before looking at its credentials. */
  assertNotBlocked(req: Request): void {
    const record = this.storage.storage.get(trackerKey(req));
    const remainingMs = record?.isBlocked ? record.blockExpiresAt - Date.now() : 0;
    if (remainingMs > 0) throw new CredentialsBlockedError(Math.ceil(remainingMs / 1000));
  }

  async recordFailure(req: Request): Promise<void> {
    // The storage blocks once hits exceed its limit: limit MAX - 1 blocks right after the MAXth failure.
    await this.storage.increment(trackerKey(req), WINDOW_MS, MAX_CREDENTIAL_FAILURES - 1, BLOCK_MS, THROTTLER_NAME);
  }
}

function trackerKey(req: Request): string {
  return `${THROTTLER_NAME}:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
}
