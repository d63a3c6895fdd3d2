import { randomFillSync } from 'node:crypto';

/** GCM's recommended nonce length. */
export const IV_BYTES = 12;

/** IVs drawn per fill: one call into the CSPRNG instead of one per sealed value. */
const IVS_PER_FILL = 341;

let pool = Buffer.alloc(0);
let offset = 0;

/**
 * A fresh random 12-byte IV for AES-GCM, from the same CSPRNG as `randomBytes`, fetched a few
 * kilobytes at a time: one `randomBytes` call per sealed value was about an eighth of a scheduled
 * refresh's CPU (docs/benchmarks.md). Each fill is a new buffer, never rewritten, so an IV
 * handed out (a view into it) can never change and no two draws share bytes.
 */
export function randomIv(): Buffer {
  if (offset + IV_BYTES > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(IV_BYTES * IVS_PER_FILL));
    offset = 0;
  }
  const iv = pool.subarray(offset, offset + IV_BYTES);
  offset += IV_BYTES;
  return iv;
}
