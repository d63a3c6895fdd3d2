import { timingSafeEqual } from 'node:crypto';

/** Compares two strings (fingerprints, state signatures) without leaking where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(left, left); // same work either way
    return false;
  }
  return timingSafeEqual(left, right);
}
