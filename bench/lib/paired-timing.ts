import { msSince, now } from './stats';

/** Samples of the baseline and of the subject, in milliseconds, one pair per input. */
export interface PairedSamples {
  base: number[];
  subj: number[];
}

/**
 * Times `baseline` and `subject` call by call on the same inputs, alternating which goes first, so
 * a load spike from the shared machine lands on both sides instead of on one batch. `before` runs
 * untimed ahead of each pair (e.g. putting a row back in the state the pair measures).
 */
export async function timePaired(
  inputs: number[],
  baseline: (input: number) => Promise<void>,
  subject: (input: number) => Promise<void>,
  before?: (input: number) => Promise<unknown>,
): Promise<PairedSamples> {
  const samples: PairedSamples = { base: [], subj: [] };
  const timeOne = async (fn: (input: number) => Promise<void>, input: number, out: number[]) => {
    const t = now();
    await fn(input);
    out.push(msSince(t));
  };
  for (const [k, input] of inputs.entries()) {
    if (before) await before(input);
    if (k % 2 === 0) {
      await timeOne(baseline, input, samples.base);
      await timeOne(subject, input, samples.subj);
    } else {
      await timeOne(subject, input, samples.subj);
      await timeOne(baseline, input, samples.base);
    }
  }
  return samples;
}

/** `count` inputs from `offset`, `step` apart. */
export function inputRange(count: number, offset: number, step = 1): number[] {
  return Array.from({ length: count }, (_, k) => offset + k * step);
}
