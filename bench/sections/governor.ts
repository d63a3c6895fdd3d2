import { ApiGovernor, QuickBooksApiClient, QuickBooksApiError, type ConnectionRef } from '@quickbooks-auth/nestjs';
import { ApiGovernorMetrics } from '@quickbooks-auth/nestjs/governor/api-governor-metrics';
import type { RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { BENCH_CLIENT, startModuleApp, type ModuleApp } from '../lib/module-app';
import { progress } from '../lib/progress';
import { seedThroughStorage, startBenchEmulator } from '../lib/seed';
import { percentile, round } from '../lib/stats';
import type { Figure } from '../lib/report';
import type { BenchProfile, SectionResult } from './section';

const TENANT = 'bench-governor';
/** Intuit's per-realm limit the emulator enforces (its defaults: 500 per minute, 10 in flight). */
const LIMIT_PER_MINUTE = 500;

/** What one load run saw. */
interface LoadRun {
  /** Calls answered 200, per realm. */
  okByRealm: Map<string, number>;
  /** 429 answers the module received (every one, resent or not: the governor sees each). */
  throttledAnswers: number;
  /** 429s that reached a caller, and every other failure by kind. */
  errors: Record<string, number>;
  /** Queue waits of every granted call (clock ms). */
  waitsMs: number[];
  /** Successful calls per emulator-clock minute (Intuit's counting window), complete minutes only. */
  perMinute: number[];
  clockMinutes: number;
}

/**
 * The API governor against the emulator with Intuit's limits on (500 per minute and 10 in
 * flight per realm, else 429 ThrottleExceeded). The emulator clock runs faster than real time
 * (EmulatorClock.setSpeed) and the module shares it, so minutes of rate limit pass in seconds;
 * the figures are in clock time, as a deployment would see them.
 *
 * - one realm: 1,000 callers calling in a loop. Every 429 the module got (0 is the target),
 *   calls per emulator minute against 500, p99 queue wait.
 * - 100 realms at once, each with its own callers: per-realm throughput, max/min ratio (no starvation).
 */
export async function benchGovernor(profile: BenchProfile): Promise<SectionResult> {
  const sizes = {
    quick: { speed: 30, oneRealmMinutes: 4, manySpeed: 6, manyMinutes: 2, callersPerRealm: 5 },
    default: { speed: 30, oneRealmMinutes: 6, manySpeed: 6, manyMinutes: 3, callersPerRealm: 10 },
    full: { speed: 20, oneRealmMinutes: 10, manySpeed: 4, manyMinutes: 5, callersPerRealm: 20 },
  }[profile.name];
  const emulator = await startBenchEmulator();
  const clock = emulator.state.clock;
  // Long enough that a caller behind 1,000 others (two minutes at 500 per minute) is never timed out.
  const module = await startModuleApp({
    emulatorUrl: emulator.url,
    storage: { type: 'memory' },
    options: { clock, apiGovernor: { queueTimeoutMs: 30 * 60_000, maxQueuedPerRealm: 5000, throttleRetries: 5 } },
  });
  try {
    const minted = emulator.state.mint({ clientId: BENCH_CLIENT.clientId, count: 101 });
    const refs = await seedThroughStorage(module.storage, minted, { tenantId: TENANT, now: clock.now() });
    const figures: Figure[] = [];
    const detail: Record<string, unknown> = { sizes };

    clock.setSpeed(sizes.speed);
    progress(`governor: 1 realm, 1000 callers, ${sizes.oneRealmMinutes} clock minutes at ${sizes.speed}x`);
    const one = await runLoad(module, emulator, [refs[0]], 1000, sizes.oneRealmMinutes);
    const meanPerMinute = one.perMinute.reduce((a, b) => a + b, 0) / Math.max(1, one.perMinute.length);
    const p99WaitS = percentile(one.waitsMs, 99) / 1000;
    progress(
      `governor 1 realm: 429 answers ${one.throttledAnswers}, per minute ${one.perMinute.join(' ')}, p99 wait ${round(p99WaitS)} s, errors ${JSON.stringify(one.errors)}`,
    );
    figures.push(
      {
        section: 'governor',
        metric: '1 realm x 1000 callers: 429 answers from the emulator',
        value: one.throttledAnswers,
        unit: '',
        target: '0',
        met: one.throttledAnswers === 0,
      },
      {
        section: 'governor',
        metric: `1 realm x 1000 callers: calls per emulator minute (mean of ${one.perMinute.length} whole minutes)`,
        value: round(meanPerMinute, 1),
        unit: '/min',
        baseline: LIMIT_PER_MINUTE,
        baselineLabel: 'Intuit limit',
        ratio: round(meanPerMinute / LIMIT_PER_MINUTE, 3),
        target: '>= 0.95x, every minute <= 500',
        met: meanPerMinute >= 0.95 * LIMIT_PER_MINUTE && Math.max(...one.perMinute) <= LIMIT_PER_MINUTE,
      },
      {
        section: 'governor',
        metric: '1 realm x 1000 callers: p99 queue wait (clock)',
        value: round(p99WaitS, 1),
        unit: 's',
        note: `p50 ${round(percentile(one.waitsMs, 50) / 1000, 1)} s; 1000 callers at 500/min wait ~2 min by arithmetic`,
      },
      {
        section: 'governor',
        metric: '1 realm x 1000 callers: failed calls',
        value: sum(one.errors),
        unit: '',
        target: '0',
        met: sum(one.errors) === 0,
      },
    );
    detail.oneRealm = {
      perMinute: one.perMinute,
      throttledAnswers: one.throttledAnswers,
      errors: one.errors,
      waitP50Ms: percentile(one.waitsMs, 50),
      waitP99Ms: percentile(one.waitsMs, 99),
      granted: one.waitsMs.length,
    };

    clock.setSpeed(sizes.manySpeed);
    const many = refs.slice(1, 101);
    progress(`governor: 100 realms x ${sizes.callersPerRealm} callers, ${sizes.manyMinutes} clock minutes at ${sizes.manySpeed}x`);
    const spread = await runLoad(module, emulator, many, sizes.callersPerRealm, sizes.manyMinutes);
    const perRealm = many.map((r) => (spread.okByRealm.get(r.realmId) ?? 0) / spread.clockMinutes);
    const max = Math.max(...perRealm);
    const min = Math.min(...perRealm);
    progress(
      `governor 100 realms: per realm min ${round(min, 1)} max ${round(max, 1)} per minute, 429 answers ${spread.throttledAnswers}, errors ${JSON.stringify(spread.errors)}`,
    );
    figures.push(
      {
        section: 'governor',
        metric: `100 realms x ${sizes.callersPerRealm} callers: max/min per-realm throughput`,
        value: round(max / Math.max(min, 1e-9), 2),
        unit: 'x',
        target: '<= 1.5x (no realm starves)',
        met: min > 0 && max / min <= 1.5,
        note: `min ${round(min, 1)}/min, max ${round(max, 1)}/min per realm`,
      },
      {
        section: 'governor',
        metric: `100 realms x ${sizes.callersPerRealm} callers: 429 answers from the emulator`,
        value: spread.throttledAnswers,
        unit: '',
        target: '0',
        met: spread.throttledAnswers === 0,
      },
    );
    detail.manyRealms = {
      perRealmPerMinute: perRealm.map((x) => round(x, 1)),
      throttledAnswers: spread.throttledAnswers,
      errors: spread.errors,
      waitP99Ms: percentile(spread.waitsMs, 99),
    };
    return { figures, detail };
  } finally {
    emulator.state.clock.setSpeed(1);
    await module.close();
    await emulator.close();
  }
}

/** `callersPerRealm` callers per realm calling getCompanyInfo in a loop for `clockMinutes` of emulator time. */
async function runLoad(
  module: ModuleApp,
  emulator: RunningEmulator,
  refs: ConnectionRef[],
  callersPerRealm: number,
  clockMinutes: number,
): Promise<LoadRun> {
  const api = module.app.get(QuickBooksApiClient);
  const governor = module.app.get(ApiGovernor);
  const metrics = module.app.get(ApiGovernorMetrics);
  const clock = emulator.state.clock;
  const run: LoadRun = { okByRealm: new Map(), throttledAnswers: 0, errors: {}, waitsMs: [], perMinute: [], clockMinutes };
  // Instrument the governor's own hooks: every grant's wait and every 429 it was answered.
  const granted = metrics.granted.bind(metrics);
  const throttled = metrics.throttled.bind(metrics);
  metrics.granted = (ms) => {
    run.waitsMs.push(ms);
    granted(ms);
  };
  metrics.throttled = (outcome) => {
    run.throttledAnswers += 1;
    throttled(outcome);
  };
  const doneAt: number[] = [];
  const start = clock.now();
  const end = start + clockMinutes * 60_000;
  const caller = async (ref: ConnectionRef) => {
    while (clock.now() < end) {
      try {
        await api.getCompanyInfo(ref);
        const at = clock.now();
        if (at < end) {
          doneAt.push(at);
          run.okByRealm.set(ref.realmId, (run.okByRealm.get(ref.realmId) ?? 0) + 1);
        }
      } catch (err) {
        const kind = err instanceof QuickBooksApiError ? `api_${err.status ?? 'none'}` : ((err as Error)?.name ?? 'other');
        run.errors[kind] = (run.errors[kind] ?? 0) + 1;
      }
    }
  };
  const ticker = setInterval(
    () => progress(`governor: ${Math.round((clock.now() - start) / 1000)} s clock, ${doneAt.length} calls, ${governor.queued} queued`),
    5000,
  );
  try {
    await Promise.all(refs.flatMap((ref) => Array.from({ length: callersPerRealm }, () => caller(ref))));
  } finally {
    clearInterval(ticker);
    metrics.granted = granted;
    metrics.throttled = throttled;
  }
  // Callers still queued at the end are waited out above; count whole emulator minutes only.
  const firstMinute = Math.ceil(start / 60_000) * 60_000;
  for (let m = firstMinute; m + 60_000 <= end; m += 60_000) run.perMinute.push(doneAt.filter((t) => t >= m && t < m + 60_000).length);
  return run;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
