import type { Clock } from '../utils/clock';
import type { ApiCallCategory } from './api-call-category';

/** Calendar month of `ms` in UTC, e.g. `2026-12`: Intuit meters CorePlus calls per calendar month. */
export function utcMonthOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * This process's QBO calls in the current calendar month (UTC) by category. The month is read from
 * the module clock on every count and every read, so the counts start from zero when a month ends
 * even if no call came since.
 */
export class MonthlyCallMeter {
  private month: string;
  private readonly counts: Record<ApiCallCategory, number> = { coreplus: 0, core: 0 };

  constructor(private readonly clock: Clock) {
    this.month = utcMonthOf(clock.now());
  }

  /** Counts one call that reached Intuit. */
  count(category: ApiCallCategory): void {
    this.roll();
    this.counts[category] += 1;
  }

  /** Calls of this month so far, and which month that is. */
  snapshot(): { month: string; coreplus: number; core: number } {
    this.roll();
    return { month: this.month, ...this.counts };
  }

  private roll(): void {
    const month = utcMonthOf(this.clock.now());
    if (month === this.month) return;
    this.month = month;
    this.counts.coreplus = 0;
    this.counts.core = 0;
  }
}
