import { EventLoopStalls } from './event-loop-stalls';

function blockFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy: the event loop cannot run
  }
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EventLoopStalls', () => {
  it('measures a blocked loop inside a window, and nothing outside it', async () => {
    const stalls = new EventLoopStalls(10, 30);
    try {
      await tick(50);
      const start = Date.now();
      blockFor(150);
      await tick(40); // the heartbeat runs and records the gap
      const end = Date.now();
      expect(stalls.stalledWithin(start, end)).toBeGreaterThanOrEqual(100);
      expect(stalls.stalledWithin(start, end)).toBeLessThanOrEqual(end - start);
      expect(stalls.stalledWithin(end + 1, end + 1000)).toBe(0);
    } finally {
      stalls.stop();
    }
  });

  it('counts a stall still in progress when asked right after it', () => {
    const stalls = new EventLoopStalls(10, 30);
    try {
      const start = Date.now();
      blockFor(120); // no beat has run since
      expect(stalls.stalledWithin(start, Date.now())).toBeGreaterThanOrEqual(80);
    } finally {
      stalls.stop();
    }
  });
});
