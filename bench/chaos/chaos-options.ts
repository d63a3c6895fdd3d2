/** What a chaos run does; `npm run chaos` flags and the short test both build one. */
export interface ChaosOptions {
  store: 'mariadb' | 'postgres' | 'redis';
  /** Label for tables and results: normal, deploys, long-pauses, grace. */
  mode: 'normal' | 'deploys' | 'long-pauses' | 'grace';
  replicas: number;
  connections: number;
  durationS: number;
  /** Emulator seconds per wall-clock second. */
  clockRate: number;
  /** Mean seconds between SIGKILLs of a random replica (respawned); 0 = none. */
  killEveryS: number;
  /**
   * Fraction of rotation_received reports on which the parent SIGKILLs that replica at once (a kill
   * timed inside the receive→commit window, so it lands during rotation waves); 0 = none.
   */
  receiptKillFraction: number;
  /** At most one such kill per this many seconds (a wave of rotations would otherwise kill every replica). */
  receiptKillGapS: number;
  /** Mean seconds between SIGSTOP/SIGCONT pauses; 0 = none. */
  pauseEveryS: number;
  pauseMinMs: number;
  pauseMaxMs: number;
  /** Rolling SIGTERM restarts of every replica, one after another, for the whole run (--deploys). */
  deploys: boolean;
  /** Seconds between one replica's restart and the next one's SIGTERM. */
  deployGapS: number;
  /** Emulator faults: 5xx, 429, resets, latency, and drop_after_rotate unless `drops` is false. */
  faults: boolean;
  drops: boolean;
  /**
   * Wall seconds Intuit keeps accepting a superseded refresh token (the emulator's
   * refreshGraceSeconds, scaled by clockRate since its clock is accelerated); 0 = strict rotation.
   */
  graceS: number;
  /** Store outages (MariaDB, PostgreSQL: proxy cut; Redis: our own server killed and restarted); 0 = none. */
  storeOutages: number;
  /** Run the naive refresher as a negative control for this many seconds (0 = skip). */
  naiveDurationS: number;
  leaseTtlMs: number;
  /** How long a parked (reauth_pending) connection waits for its rotation, in leases of wall time. */
  reauthPendingLeases: number;
  /** Any loss, even an explained one, is a violation (deploys and grace runs must lose nothing). */
  expectNoLosses: boolean;
  /** Any superseded-token use is a violation (deploys). */
  expectNoSuperseded: boolean;
  /**
   * A loss caused by a dropped response is a violation (grace: the same-token retry comes well
   * inside the window). Kill deaths stay explained: their successor may come after the window.
   */
  dropsMustRecover: boolean;
}

export const DEFAULT_CHAOS: ChaosOptions = {
  store: 'mariadb',
  mode: 'normal',
  replicas: 3,
  connections: 200,
  durationS: 120,
  clockRate: 2880,
  killEveryS: 10,
  receiptKillFraction: 0.05,
  receiptKillGapS: 5,
  pauseEveryS: 7,
  pauseMinMs: 1000,
  pauseMaxMs: 2500,
  deploys: false,
  deployGapS: 2,
  faults: true,
  drops: true,
  graceS: 0,
  storeOutages: 2,
  naiveDurationS: 20,
  // Pauses (≤ 2.5 s) must stay well inside the lease even when a loaded 2-core machine adds
  // event-loop stalls on top: with 5 s and a heartbeat every quarter of it, pause + stall could
  // outlast what was left of the lease, and a takeover would send a superseded token.
  leaseTtlMs: 10_000,
  reauthPendingLeases: 2,
  expectNoLosses: false,
  expectNoSuperseded: false,
  dropsMustRecover: false,
};

/** The version `npm test` runs (test/chaos/chaos-short.int-spec.ts) and `npm run chaos -- --short`. */
export const SHORT_CHAOS: ChaosOptions = {
  ...DEFAULT_CHAOS,
  replicas: 2,
  connections: 100,
  // Two rotation waves (one per emulator day) fit in 30 s; the settle phase comes on top.
  durationS: 30,
  killEveryS: 12,
  pauseEveryS: 8,
  storeOutages: 1,
  naiveDurationS: 10,
};

/** The mode presets `npm run chaos -- --deploys | --long-pauses | --grace S` apply on top of a base. */
export function withMode(base: ChaosOptions, mode: ChaosOptions['mode'], graceS = 30): ChaosOptions {
  switch (mode) {
    case 'normal':
      return { ...base, mode };
    case 'deploys':
      // Nothing that can kill a rotation: no SIGKILL, no dropped responses. Drains must keep everything.
      return {
        ...base,
        mode,
        deploys: true,
        killEveryS: 0,
        receiptKillFraction: 0,
        drops: false,
        expectNoLosses: true,
        expectNoSuperseded: true,
      };
    case 'long-pauses':
      // SIGSTOP longer than the lease: takeovers of live holders happen; only kills and drops may lose.
      return { ...base, mode, pauseEveryS: 6, pauseMinMs: Math.round(base.leaseTtlMs * 1.2), pauseMaxMs: Math.round(base.leaseTtlMs * 2) };
    case 'grace':
      return { ...base, mode, graceS, dropsMustRecover: true };
  }
}
