/** What a chaos run does; `npm run chaos` flags and the short test both build one. */
export interface ChaosOptions {
  store: 'mariadb' | 'redis';
  replicas: number;
  connections: number;
  durationS: number;
  /** Emulator seconds per wall-clock second. */
  clockRate: number;
  /** Mean seconds between SIGKILLs of a random replica (respawned); 0 = none. */
  killEveryS: number;
  /** Mean seconds between SIGSTOP/SIGCONT pauses; 0 = none. Pauses stay shorter than the lease. */
  pauseEveryS: number;
  pauseMaxMs: number;
  /** Emulator faults: 5xx, 429, resets, latency, drop_after_rotate. */
  faults: boolean;
  /** Store outages (MariaDB: proxy cut; Redis: our own server killed and restarted); 0 = none. */
  storeOutages: number;
  /** Run the naive refresher as a negative control for this many seconds (0 = skip). */
  naiveDurationS: number;
  leaseTtlMs: number;
}

export const DEFAULT_CHAOS: ChaosOptions = {
  store: 'mariadb',
  replicas: 3,
  connections: 200,
  durationS: 120,
  clockRate: 2880,
  killEveryS: 10,
  pauseEveryS: 7,
  pauseMaxMs: 2500,
  faults: true,
  storeOutages: 2,
  naiveDurationS: 20,
  // Pauses (≤ 2.5 s) must stay well inside the lease even when a loaded 2-core machine adds
  // event-loop stalls on top: with 5 s and a heartbeat every third of it, pause + stall could
  // outlast what was left of the lease, and a takeover would send a superseded token.
  leaseTtlMs: 10_000,
};

/** The version `npm test` runs (test/chaos/chaos-short.int-spec.ts) and `npm run chaos -- --short`. */
export const SHORT_CHAOS: ChaosOptions = {
  ...DEFAULT_CHAOS,
  replicas: 2,
  connections: 100,
  durationS: 40,
  killEveryS: 12,
  pauseEveryS: 8,
  storeOutages: 1,
  naiveDurationS: 10,
};
