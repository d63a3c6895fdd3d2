/**
 * Refuses key material and secrets that are obviously not random: one value repeated, a handful
 * of distinct values, a short repeating pattern, a straight sequence, a typed passphrase. These are
 * configuration mistakes (placeholders, test values, `aaaa…`), not a measure of entropy; random
 * material passes with overwhelming probability (each threshold below says how).
 */

/** 32 random bytes hold ~30 distinct values; fewer than 16 happens with p < 1e-20. */
const MIN_DISTINCT_KEY_BYTES = 16;
/** Even 32 random decimal digits show fewer than 6 distinct characters with p < 1e-7. */
const MIN_DISTINCT_SECRET_CHARS = 6;
/** A key repeating with a period this short is a pattern (16 random bytes repeat with p = 2^-128). */
const MAX_KEY_PERIOD = 16;

/** True for a data key that is obviously not 32 random bytes. */
export function isWeakKey(key: Uint8Array): boolean {
  const bytes = [...key];
  if (new Set(bytes).size < MIN_DISTINCT_KEY_BYTES) return true;
  // A step sequence (00 01 02 …), a short repeat, or all printable ASCII: a typed passphrase
  // base64-encoded (32 random bytes are all printable with p ≈ 2e-14).
  return isArithmetic(bytes) || isPeriodic(bytes, MAX_KEY_PERIOD) || bytes.every((b) => b >= 0x20 && b <= 0x7e);
}

/** True for a secret that is obviously not random characters. */
export function isWeakSecret(secret: string): boolean {
  const codes = [...secret].map((c) => c.codePointAt(0)!);
  if (new Set(codes).size < MIN_DISTINCT_SECRET_CHARS) return true;
  // `changeme-changeme-…`, or half of it one straight run (`aaaa…`, `abcdef…`, `9876…`).
  return isPeriodic(codes, Math.floor(codes.length / 2)) || longestStraightRun(codes) * 2 >= codes.length;
}

/** Every value is the previous plus the same step (mod 256 for bytes). */
function isArithmetic(bytes: number[]): boolean {
  const step = (bytes[1] - bytes[0] + 256) % 256;
  return bytes.every((b, i) => i === 0 || (b - bytes[i - 1] + 256) % 256 === step);
}

/** The sequence repeats itself with some period up to `maxPeriod`. */
function isPeriodic(values: number[], maxPeriod: number): boolean {
  for (let p = 1; p <= maxPeriod && p < values.length; p++) {
    if (values.every((v, i) => i + p >= values.length || v === values[i + p])) return true;
  }
  return false;
}

/** Longest run of values going up by 1, down by 1, or staying the same. */
function longestStraightRun(values: number[]): number {
  let best = Math.min(values.length, 1);
  let run = 1;
  let step: number | null = null;
  for (let i = 1; i < values.length; i++) {
    const d = values[i] - values[i - 1];
    if (Math.abs(d) <= 1 && (run === 1 || d === step)) {
      run++;
      step = d;
    } else {
      run = Math.abs(d) <= 1 ? 2 : 1;
      step = Math.abs(d) <= 1 ? d : null;
    }
    best = Math.max(best, run);
  }
  return best;
}
