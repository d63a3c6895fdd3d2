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
    // Bounds are in real milliseconds actually elapsed (times the speed), so a loaded machine cannot fail it.
    const clock = new EmulatorClock();
    const realBefore = Date.now();
    const before = clock.now();
    clock.setSpeed(1000);
    const afterSwitch = clock.now();
    const realAfterSwitch = Date.now();
    expect(clock.speed).toBe(1000);
    expect(afterSwitch - before).toBeLessThanOrEqual(1000 * (realAfterSwitch - realBefore + 1));
    const realStart = Date.now();
    while (Date.now() - realStart < 20) await new Promise((r) => setTimeout(r, 5));
    expect(clock.now() - before).toBeGreaterThanOrEqual(15_000);
    const realAt = Date.now();
    const at = clock.now();
    clock.setSpeed(1);
    const back = clock.now();
    const realBack = Date.now();
    expect(back - at).toBeGreaterThanOrEqual(0);
    expect(back - at).toBeLessThanOrEqual(1000 * (realBack - realAt + 1));
    // At real speed again: a real 20 ms is about 20 clock ms, not 20 s.
    const realSlow = Date.now();
    const slow = clock.now();
    while (Date.now() - realSlow < 20) await new Promise((r) => setTimeout(r, 5));
    expect(clock.now() - slow).toBeLessThanOrEqual(Date.now() - realSlow + 1);
    expect(() => clock.setSpeed(0)).toThrow();
  });
});
