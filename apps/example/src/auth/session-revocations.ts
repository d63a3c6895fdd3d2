import { Injectable } from '@nestjs/common';

/**
 * Session ids logged out before their cookie expired. The cookie is signed, not stored, so without
 * this list a logged-out (or stolen) cookie would keep working for its 8 hours. Entries live only
 * until the cookie itself would expire. In this process's memory: several replicas (or a restart
 * that must not forget) need a shared store such as Redis `SET sid 1 EXAT exp` instead.
 */
@Injectable()
export class SessionRevocations {
  /** sid → cookie expiry (unix seconds). */
  private readonly revoked = new Map<string, number>();

  revoke(sid: string, expiresAt: number): void {
    this.prune();
    this.revoked.set(sid, expiresAt);
  }

  isRevoked(sid: string): boolean {
    return this.revoked.has(sid);
  }

  private prune(): void {
    const now = Date.now() / 1000;
    for (const [sid, exp] of this.revoked) if (exp <= now) this.revoked.delete(sid);
  }
}
