import type { ServerResponse } from 'node:http';

/**
 * In-flight QBO API requests per app and realm (Intuit: 10 at once, else 429 ThrottleExceeded).
 * A slot is held until the response closes, so injected latency makes requests overlap for real.
 */
export class ConcurrencyLimiter {
  private readonly inFlight = new Map<string, number>();

  /** Counts this request until `res` closes; true when it is within `limit`. */
  enter(clientId: string, realmId: string, res: ServerResponse, limit: number): boolean {
    const key = `${clientId}\u0000${realmId}`;
    const count = (this.inFlight.get(key) ?? 0) + 1;
    this.inFlight.set(key, count);
    res.once('close', () => {
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    });
    return count <= limit;
  }

  clear(): void {
    this.inFlight.clear();
  }
}
