import type { EmulatorState } from '@quickbooks-auth/intuit-emulator';
import type { KeyRing } from '@quickbooks-auth/nestjs';
import { createHash } from 'node:crypto';

/** One rotation the emulator committed: the chain moved from `fromFp` to `toFp` (key-ring fingerprints). */
export interface LedgerRotation {
  realmId: string;
  fromFp: string;
  toFp: string;
  /** The token the request presented (fromFp, or an older one inside a grace window). */
  presentedFp: string;
  /** Wall ms of the commit. */
  at: number;
  /** The response carrying toFp was destroyed by a drop_after_rotate fault. */
  dropped: boolean;
}

/** A request that presented a refresh token already superseded by a rotation. */
export interface LedgerSupersededUse {
  realmId: string;
  presentedFp: string;
  at: number;
  /** Accepted inside a grace window (refreshGraceSeconds) rather than refused. */
  accepted: boolean;
}

/**
 * Per-realm history the emulator's own counters do not keep, in the parent's terms: every
 * rotation (old → new token, as fingerprints of the replicas' key ring, so it can be matched with
 * what replicas report), whether its response was dropped, every superseded-token use, and the
 * expiry of each access token by its SHA-256 (replicas never send a token). Hooks the in-process
 * emulator: the token route calls `tokens.refresh()` and, in the same tick, bumps
 * `stats.droppedAfterRotate` when it drops the response.
 */
export class EmulatorLedger {
  readonly rotations: LedgerRotation[] = [];
  readonly supersededUses: LedgerSupersededUse[] = [];
  /** fromFp → the rotation that superseded that token. */
  readonly rotationFrom = new Map<string, LedgerRotation>();
  droppedWithoutRotation = 0;
  private readonly accessExpiry = new Map<string, number>();
  private last: LedgerRotation | null | undefined;

  constructor(
    private readonly state: EmulatorState,
    private readonly ring: KeyRing,
  ) {
    const tokens = state.tokens;
    const refresh = tokens.refresh.bind(tokens);
    tokens.refresh = (clientId, refreshToken, includeHard) => {
      const grant = refreshToken ? state.store.refreshTokens.get(refreshToken)?.grant : undefined;
      const before = grant ? { current: grant.current.value, superseded: grant.supersededUses } : null;
      const result = refresh(clientId, refreshToken, includeHard);
      this.last = null;
      if (!grant || !before || !refreshToken) return result;
      const at = Date.now();
      if (grant.supersededUses > before.superseded)
        this.supersededUses.push({ realmId: grant.realmId, presentedFp: ring.fingerprint(refreshToken), at, accepted: result.ok });
      if (result.ok && result.rotated) {
        const r: LedgerRotation = {
          realmId: grant.realmId,
          fromFp: ring.fingerprint(before.current),
          toFp: ring.fingerprint(grant.current.value),
          presentedFp: ring.fingerprint(refreshToken),
          at,
          dropped: false,
        };
        this.rotations.push(r);
        this.rotationFrom.set(r.fromFp, r);
        this.last = r;
      }
      return result;
    };
    const store = state.store;
    const addAccessToken = store.addAccessToken.bind(store);
    store.addAccessToken = (grant, value, issuedAt, expiresAt) => {
      this.accessExpiry.set(sha256(value), expiresAt);
      return addAccessToken(grant, value, issuedAt, expiresAt);
    };
    let dropped = state.stats.droppedAfterRotate;
    Object.defineProperty(state.stats, 'droppedAfterRotate', {
      configurable: true,
      get: () => dropped,
      set: (v: number) => {
        if (v > dropped) this.onDrop();
        dropped = v;
      },
    });
  }

  /** The emulator's expiry for an access token it issued, by the token's SHA-256 (null when unknown). */
  accessTokenExpiry(tokenSha256: string): number | null {
    return this.accessExpiry.get(tokenSha256) ?? null;
  }

  /** Fingerprint of a token value, as replicas compute it. */
  fingerprint(value: string): string {
    return this.ring.fingerprint(value);
  }

  get droppedRotations(): number {
    return this.rotations.filter((r) => r.dropped).length;
  }

  private onDrop(): void {
    if (this.last) this.last.dropped = true;
    else this.droppedWithoutRotation += 1;
  }
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
