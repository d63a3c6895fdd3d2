import { RollingWindow } from './rolling-window';

describe('RollingWindow', () => {
  it('allows `limit` starts in any window and opens when the oldest leaves it', () => {
    const w = new RollingWindow(3, 1000);
    for (const t of [0, 100, 200]) {
      expect(w.hasRoom(t)).toBe(true);
      w.record(t);
    }
    expect(w.hasRoom(500)).toBe(false);
    expect(w.nextOpening(500)).toBe(1000);
    expect(w.hasRoom(999)).toBe(false);
    expect(w.hasRoom(1000)).toBe(true);
    expect(w.count(1150)).toBe(1);
  });

  it('keeps counting right after compacting many expired starts', () => {
    const w = new RollingWindow(5, 10);
    for (let t = 0; t < 5000; t++) w.record(t);
    expect(w.count(5000)).toBe(9);
    expect(w.nextOpening(5000)).toBe(5001);
  });
});
