import type { StateNonceStore } from '../../state/state-nonce-store.interface';

/** Per-process nonce store; entries are dropped once their state has expired anyway. */
export class MemoryStateNonceStore implements StateNonceStore {
  private readonly consumed = new Map<string, number>();

  async consume(nonce: string, expiresAt: Date): Promise<boolean> {
    const now = Date.now();
    if (this.consumed.size > 1000) {
      for (const [n, exp] of this.consumed) if (exp < now) this.consumed.delete(n);
    }
    if (this.consumed.has(nonce)) return false;
    this.consumed.set(nonce, expiresAt.getTime() + 60_000);
    return true;
  }
}
