import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Token and id generators shaped like Intuit's, so clients that length-check, log-redact or
 * pattern-match tokens see realistic values. Randomness comes from a pooled buffer: minting
 * 100k connections would otherwise spend most of its time in randomBytes() syscalls.
 */
let pool = Buffer.alloc(0);
let poolPos = 0;

function random(n: number): Buffer {
  if (poolPos + n > pool.length) {
    pool = randomBytes(Math.max(64 * 1024, n));
    poolPos = 0;
  }
  const out = pool.subarray(poolPos, poolPos + n);
  poolPos += n;
  return out;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomAlnum(n: number): string {
  const bytes = random(n);
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[bytes[i] % ALNUM.length];
  return s;
}

function randomDigits(n: number): string {
  const bytes = random(n);
  let s = '';
  for (let i = 0; i < n; i++) s += String(bytes[i] % 10);
  return s;
}

/** Intuit access tokens are JWE compact strings with a fixed `dir`/A128CBC-HS256 header. */
export const ACCESS_TOKEN_PREFIX = 'eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..';

export function newAccessToken(): string {
  return `${ACCESS_TOKEN_PREFIX}${random(16).toString('base64url')}.${random(300).toString('base64url')}.${random(16).toString('base64url')}`;
}

/** `RT1-<n>-H0-<10-digit epoch><random>` like Intuit's current refresh tokens. */
export function newRefreshToken(nowMs: number): string {
  const n = 1 + (random(1)[0] % 250);
  const epoch = String(Math.floor(nowMs / 1000))
    .padStart(10, '0')
    .slice(-10);
  return `RT1-${n}-H0-${epoch}${randomAlnum(24)}`;
}

export function newAuthCode(nowMs: number): string {
  return `XAB11${Math.floor(nowMs / 1000)}${randomAlnum(40)}`;
}

/** `1-<8hex>-<24hex>`, the AWS-trace-id shape of Intuit's `intuit_tid`. */
export function newIntuitTid(): string {
  const secs = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0')
    .slice(-8);
  return `1-${secs}-${random(12).toString('hex')}`;
}

export function newSpanId(): string {
  return randomUUID();
}

/** Unique numeric realm ids (16 digits): a per-instance random prefix plus a counter. */
export class RealmIdGenerator {
  private readonly prefix = `9${randomDigits(3)}`;
  private counter = 0;

  next(): string {
    this.counter += 1;
    return `${this.prefix}${String(this.counter).padStart(12, '0')}`;
  }
}

export function isValidRealmId(value: string): boolean {
  return /^[0-9]{10,19}$/.test(value);
}

export function newSubject(): string {
  return randomUUID();
}
