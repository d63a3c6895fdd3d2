/** Source of "now" for expiry math. Tests and the emulator demo swap it; production uses the system clock. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
