import type { EmulatorState } from '@quickbooks-auth/intuit-emulator';

/**
 * Per-realm history the emulator's own counters do not keep: which realm's rotation response was
 * dropped by a `drop_after_rotate` fault, and when rotations were delivered (to tell a kill inside
 * the receive→commit window apart from a bug). Hooks the in-process emulator: the token route
 * calls `tokens.refresh()` and, in the same tick, bumps `stats.droppedAfterRotate` when it drops.
 */
export class EmulatorLedger {
  /** Realm → dropped responses that carried a NEW refresh token (the only unrecoverable drop). */
  readonly droppedRotations = new Map<string, number>();
  droppedWithoutRotation = 0;
  /** Realm → wall-clock times of rotations whose response was sent. */
  readonly deliveredRotations = new Map<string, number[]>();
  private last: { realmId: string; rotated: boolean } | null = null;

  constructor(private readonly state: EmulatorState) {
    const tokens = state.tokens;
    const refresh = tokens.refresh.bind(tokens);
    tokens.refresh = (clientId, refreshToken, includeHard) => {
      const result = refresh(clientId, refreshToken, includeHard);
      this.last = result.ok ? { realmId: result.grant.realmId, rotated: result.rotated } : null;
      if (result.ok && result.rotated) push(this.deliveredRotations, result.grant.realmId, Date.now());
      return result;
    };
    let dropped = state.stats.droppedAfterRotate;
    Object.defineProperty(state.stats, 'droppedAfterRotate', {
      configurable: true,
      get: () => dropped,
      set: (v: number) => {
        if (v > dropped && this.last) this.onDrop(this.last);
        dropped = v;
      },
    });
  }

  /** The emulator's expiry for an access token it issued (null when unknown or pruned). */
  accessTokenExpiry(token: string): number | null {
    return this.state.store.accessTokens.get(token)?.expiresAt ?? null;
  }

  /** Was a rotation of this realm delivered within `windowMs` before `at`? */
  rotationDeliveredShortlyBefore(realmId: string, at: number, windowMs: number): boolean {
    return (this.deliveredRotations.get(realmId) ?? []).some((t) => t <= at && at - t <= windowMs);
  }

  private onDrop(last: { realmId: string; rotated: boolean }): void {
    if (!last.rotated) {
      this.droppedWithoutRotation += 1;
      return;
    }
    this.droppedRotations.set(last.realmId, (this.droppedRotations.get(last.realmId) ?? 0) + 1);
    const times = this.deliveredRotations.get(last.realmId);
    times?.pop(); // not delivered after all
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
