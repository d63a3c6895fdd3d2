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

  it('runs faster after setSpeed without jumping, and back at real speed after setSpeed(1)', async () => {
    const clock = new EmulatorClock();
    const before = clock.now();
    clock.setSpeed(1000);
    expect(clock.speed).toBe(1000);
    expect(clock.now() - before).toBeLessThan(1000);
    const realStart = Date.now();
    while (Date.now() - realStart < 20) await new Promise((r) => setTimeout(r, 5));
    expect(clock.now() - before).toBeGreaterThanOrEqual(15_000);
    const at = clock.now();
    clock.setSpeed(1);
    expect(Math.abs(clock.now() - at)).toBeLessThan(1000);
    expect(() => clock.setSpeed(0)).toThrow();
  });
});
