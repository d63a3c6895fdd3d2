/** Where another replica's refresh stands, as the waiter last read it, and what it knows of token calls. */
export interface HolderPollInput {
  /** This process's regular cadence now (15 ms at first, doubling after a second of waiting), jittered. */
  regularMs: number;
  /** Wall ms since the holder's token call began (its `inflight.startedAt`, store clock); undefined if none has begun. */
  sinceCallStartMs: number | undefined;
  /** The typical token call as this process has seen it (TokenCallLatency); undefined before the first. */
  typicalCallMs: number | undefined;
}

/** Around the holder's expected answer, from 0.9 to 1.25 of a typical call after it began. */
const WINDOW_FROM = 0.9;
const WINDOW_TO = 1.25;
/** Poll that often inside the window: 2 ms for a 100 ms call, 6 ms for a 300 ms one. */
const TIGHT_FRACTION = 1 / 50;
const TIGHT_MIN_MS = 2;

/**
 * How long a waiter sleeps before its next read of a connection another replica is refreshing.
 * The regular cadence wakes on average half a poll after the holder's write; around the answer
 * this process expects, it reads every few ms instead, so a stampede over several replicas ends
 * about one round trip after it began. Never longer than the regular cadence: with no estimate,
 * or a skewed store clock, the wait is what it was without one.
 */
export function holderPollDelayMs({ regularMs, sinceCallStartMs, typicalCallMs }: HolderPollInput): number {
  if (sinceCallStartMs === undefined || typicalCallMs === undefined) return regularMs;
  const from = typicalCallMs * WINDOW_FROM;
  const to = typicalCallMs * WINDOW_TO;
  if (sinceCallStartMs >= to) return regularMs;
  const tight = Math.max(TIGHT_MIN_MS, typicalCallMs * TIGHT_FRACTION);
  if (sinceCallStartMs >= from) return Math.min(regularMs, tight);
  return Math.min(regularMs, Math.max(tight, from - sinceCallStartMs));
}
