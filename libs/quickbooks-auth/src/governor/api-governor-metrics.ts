import { Inject, Injectable, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { QuickBooksMetric as M } from '../metrics/quickbooks-metrics.constants';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import type { ApiCallCategory } from './api-call-category';
import { isActiveMeter, setActiveMeter } from './active-meter';
import type { GovernorObserver, GovernorRejection, ThrottleOutcome } from './governor-observer';
import { MonthlyCallMeter } from './monthly-call-meter';
import type { SharedPermits } from './shared-permits';
import { QUICKBOOKS_SHARED_PERMITS } from './shared-permits.provider';

/**
 * The governor's metrics and the monthly call meter. Labels are bounded (outcome, reason,
 * category): no realm or tenant id ever becomes a label here.
 * @internal
 */
@Injectable()
export class ApiGovernorMetrics implements GovernorObserver, OnModuleInit, OnModuleDestroy {
  readonly meter: MonthlyCallMeter;
  private readonly collector = () => this.collectMonth();
  private pending: Promise<void> | null = null;

  constructor(
    @InjectMetric(M.ApiQueueDepth) private readonly queueDepth: Gauge<string>,
    @InjectMetric(M.ApiQueueWait) private readonly queueWait: Histogram<string>,
    @InjectMetric(M.ApiThrottled) private readonly throttledTotal: Counter<string>,
    @InjectMetric(M.ApiRejections) private readonly rejections: Counter<string>,
    @InjectMetric(M.ApiCalls) private readonly calls: Counter<string>,
    @InjectMetric(M.ApiMonthCalls) private readonly monthCalls: Gauge<string>,
    @InjectMetric(M.ApiMonthCallsApp) private readonly monthCallsApp: Gauge<string>,
    @InjectMetric(M.ApiMonthBudget) private readonly monthBudget: Gauge<string>,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
    @Optional() @Inject(QUICKBOOKS_SHARED_PERMITS) private readonly shared?: SharedPermits | null,
  ) {
    this.meter = new MonthlyCallMeter(options.clock);
  }

  onModuleInit(): void {
    // A fresh app starts from an empty queue, whatever an earlier app in this process left.
    this.queueDepth.set(0);
    setActiveMeter(this.collector);
    void this.collectMonth();
  }

  onModuleDestroy(): void {
    if (isActiveMeter(this.collector)) setActiveMeter(null);
  }

  queueDepthChanged(delta: number): void {
    this.queueDepth.inc(delta);
  }

  granted(waitMs: number): void {
    this.queueWait.observe({ outcome: 'granted' }, waitMs / 1000);
  }

  rejected(reason: GovernorRejection, waitMs: number): void {
    this.rejections.inc({ reason });
    if (reason !== 'queue_full') this.queueWait.observe({ outcome: reason }, waitMs / 1000);
  }

  throttled(outcome: ThrottleOutcome): void {
    this.throttledTotal.inc({ outcome });
  }

  /** One call that reached Intuit (whatever it answered): Intuit meters what it receives. */
  called(category: ApiCallCategory): void {
    this.calls.inc({ category });
    this.meter.count(category);
    this.shared?.countCall(this.meter.snapshot().month, category);
  }

  /** One refresh per scrape even though three gauges' collect() call it. */
  private collectMonth(): Promise<void> {
    this.pending ??= this.refreshMonth().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async refreshMonth(): Promise<void> {
    const month = this.meter.snapshot();
    this.monthCalls.set({ category: 'coreplus' }, month.coreplus);
    this.monthCalls.set({ category: 'core' }, month.core);
    this.monthBudget.set({ category: 'coreplus' }, this.options.apiGovernor.monthlyCorePlusBudget);
    if (!this.shared) return;
    // App-wide, from every replica's counts in Redis: survives restarts. No answer, no series.
    const app = await this.shared.monthCalls(month.month);
    if (!app) return this.monthCallsApp.reset();
    this.monthCallsApp.set({ category: 'coreplus' }, app.coreplus);
    this.monthCallsApp.set({ category: 'core' }, app.core);
  }
}
