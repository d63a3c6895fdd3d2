/** Source of "now" for expiry math. Tests and the emulator demo swap it; production uses the system clock. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Clock milliseconds that pass per real millisecond (default 1). A clock that runs faster than
   * real time (an emulator demo, a bench) sets it so the API governor's waits end on time.
   */
  speed?: number;
}

export const systemClock: Clock = { now: () => Date.now() };
