import { EmulatorClock } from './clock';

describe('EmulatorClock', () => {
  it('is real time plus an offset that can be advanced and set', () => {
    const clock = new EmulatorClock();
    const before = Date.now();
    clock.advance(90);
    expect(clock.offsetMs).toBe(90_000);
    expect(clock.now()).toBeGreaterThanOrEqual(before + 90_000);
    clock.set(-1000);
    expect(clock.snapshot().offsetMs).toBe(-1000);
    expect(() => clock.advance(Number.NaN)).toThrow();
  });
});
