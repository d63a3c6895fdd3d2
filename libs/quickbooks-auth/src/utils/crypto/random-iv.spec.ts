import { IV_BYTES, randomIv } from './random-iv';

describe('randomIv', () => {
  it('hands out 12-byte IVs that never repeat, across many refills', () => {
    const seen = new Set<string>();
    const draws = 341 * 30 + 7;
    for (let i = 0; i < draws; i++) {
      const iv = randomIv();
      expect(iv.length).toBe(IV_BYTES);
      seen.add(iv.toString('hex'));
    }
    expect(seen.size).toBe(draws);
  });

  it('never rewrites an IV it handed out (each refill is a new buffer)', () => {
    const first = randomIv();
    const copy = Buffer.from(first);
    for (let i = 0; i < 341 * 3; i++) randomIv();
    expect(first.equals(copy)).toBe(true);
  });

  it('draws are random bytes, not a counter: bits are set about half the time', () => {
    let ones = 0;
    const draws = 2000;
    for (let i = 0; i < draws; i++) for (const byte of randomIv()) ones += byte.toString(2).split('1').length - 1;
    const ratio = ones / (draws * IV_BYTES * 8);
    expect(ratio).toBeGreaterThan(0.48);
    expect(ratio).toBeLessThan(0.52);
  });
});
