import { MonthlyCallMeter, utcMonthOf } from './monthly-call-meter';

describe('MonthlyCallMeter', () => {
  it('counts by category and starts again when the UTC month ends', () => {
    let now = Date.UTC(2026, 0, 31, 23, 59, 59);
    const meter = new MonthlyCallMeter({ now: () => now });
    meter.count('coreplus');
    meter.count('coreplus');
    meter.count('core');
    expect(meter.snapshot()).toEqual({ month: '2026-01', coreplus: 2, core: 1 });
    now += 1000;
    expect(meter.snapshot()).toEqual({ month: '2026-02', coreplus: 0, core: 0 });
    expect(utcMonthOf(Date.UTC(2026, 11, 31, 23, 59))).toBe('2026-12');
  });
});
