import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { EXAMPLE_RUNTIME, type ExampleRuntime } from '../runtime/example-runtime';
import type { Caller } from './caller';
import { CredentialFailureLimiter } from './credential-failure-limiter';
import { SessionCookieService } from './session-cookie.service';

/**
 * Resolves who is calling: an API key (`x-api-key` or `Authorization: Bearer`) or the page's
 * session cookie. A presented but unknown API key is a failure, not a fall-through to the cookie,
 * and counts towards the client's failure limit (429 once blocked, CredentialFailureLimiter).
 */
@Injectable()
export class CallerAuthService {
  constructor(
    @Inject(EXAMPLE_RUNTIME) private readonly runtime: ExampleRuntime,
    private readonly sessions: SessionCookieService,
    private readonly failures: CredentialFailureLimiter,
  ) {}

  async authenticate(req: Request): Promise<Caller | null> {
    const key = presentedApiKey(req);
    if (key !== null) {
      this.failures.assertNotBlocked(req);
      const identity = this.runtime.apiKeys.resolve(key);
      if (!identity) await this.failures.recordFailure(req);
      return identity ? { tenantId: identity.tenantId, sessionId: `key:${identity.fingerprint}`, via: 'api-key', csrfToken: null } : null;
    }
    const session = this.sessions.read(req.headers.cookie);
    if (!session) return null;
    const identity = this.runtime.apiKeys.byKeyFingerprint(session.kid);
    if (!identity) return null;
    return {
      tenantId: identity.tenantId,
      sessionId: `session:${session.sid}`,
      via: 'session',
      csrfToken: this.sessions.csrfToken(session.sid),
    };
  }
}

function presentedApiKey(req: Request): string | null {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : '';
  }
  return null;
}
