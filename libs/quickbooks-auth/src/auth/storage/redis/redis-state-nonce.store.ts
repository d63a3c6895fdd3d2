import type { Redis } from 'ioredis';
import type { StateNonceStore } from '../../state/state-nonce-store.interface';

/** Shared nonce store: SET NX with expiry makes a state single-use across every replica. */
export class RedisStateNonceStore implements StateNonceStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix = 'qb:',
  ) {}

  async consume(nonce: string, expiresAt: Date): Promise<boolean> {
    const ttlMs = Math.max(1000, expiresAt.getTime() - Date.now() + 60_000);
    const res = await this.redis.set(`${this.keyPrefix}state:${nonce}`, '1', 'PX', ttlMs, 'NX');
    return res === 'OK';
  }
}
