import type { RefreshedEvent } from '@quickbooks-auth/nestjs';
import { AuthEventsPublisher } from '@quickbooks-auth/nestjs/events/auth-events.publisher';
import { BENCH_CLIENT, startModuleApp } from '../lib/module-app';
import { progress } from '../lib/progress';
import { startBenchEmulator, seedThroughStorage } from '../lib/seed';
import { round } from '../lib/stats';
import type { BenchProfile, SectionResult } from './section';

const DAY_S = 86_400;
const STEP_S = 300;
const MIN_VALIDITY_S = 300;
const USED_SHARE = 0.1;

/** Fleet size and simulated days per profile: the token calls are real HTTP calls to the emulator. */
const SIZES: Record<BenchProfile['name'], { connections: number; days: number }> = {
  quick: { connections: 200, days: 2 },
  default: { connections: 500, days: 3 },
  full: { connections: 2000, days: 7 },
};

interface PolicyRun {
  policy: 'all' | 'recent';
  usedPerConnectionDay: number;
  idlePerConnectionDay: number;
  fleetPerConnectionDay: number;
  onDemandRefreshes: number;
  lost: number;
  servedUnderMinimum: number;
  tokenCalls: number;
}

/**
 * Token calls per connection-day for a fleet where 10 % of connections are used (a
 * getAccessToken every 5 simulated minutes) and 90 % never are, under `proactive: 'all'` and
 * `'recent'`. The emulator clock runs the simulated days (a scheduler tick every 5 minutes); the
 * first simulated day is a warm-up (every connection's first refresh happens as connected) and is
 * not counted. Lost: a connection not active at the end. Served under the minimum: a token
 * getAccessToken returned with less than minValiditySeconds left.
 */
export async function benchBudget(profile: BenchProfile): Promise<SectionResult> {
  const size = SIZES[profile.name];
  const runs: PolicyRun[] = [];
  for (const policy of ['all', 'recent'] as const) runs.push(await runPolicy(policy, size.connections, size.days));
  const [all, recent] = runs;
  const saved = 1 - recent.fleetPerConnectionDay / all.fleetPerConnectionDay;
  return {
    figures: [
      {
        section: 'budget',
        metric: `token calls per idle connection-day, proactive 'recent' (${size.connections} connections, 10 % used, ${size.days} days)`,
        value: round(recent.idlePerConnectionDay, 3),
        unit: 'calls',
        baseline: round(all.idlePerConnectionDay, 2),
        baselineLabel: "proactive 'all'",
        ratio: recent.idlePerConnectionDay,
        target: '≤ 1.1',
        met: recent.idlePerConnectionDay <= 1.1,
      },
      {
        section: 'budget',
        metric: "token calls per used connection-day, proactive 'recent'",
        value: round(recent.usedPerConnectionDay, 2),
        unit: 'calls',
        baseline: round(all.usedPerConnectionDay, 2),
        baselineLabel: "proactive 'all'",
        ratio: recent.usedPerConnectionDay / all.usedPerConnectionDay,
      },
      {
        section: 'budget',
        metric: "token calls per connection-day, whole fleet, proactive 'recent'",
        value: round(recent.fleetPerConnectionDay, 2),
        unit: 'calls',
        baseline: round(all.fleetPerConnectionDay, 2),
        baselineLabel: "proactive 'all'",
        ratio: recent.fleetPerConnectionDay / all.fleetPerConnectionDay,
        note: `${round(saved * 100, 1)} % fewer token calls`,
      },
      {
        section: 'budget',
        metric: "lost connections, proactive 'recent' / 'all'",
        value: recent.lost,
        unit: 'connections',
        baseline: all.lost,
        baselineLabel: "proactive 'all'",
        target: '0',
        met: recent.lost === 0 && all.lost === 0,
      },
      {
        section: 'budget',
        metric: "tokens served under the minimum validity, proactive 'recent' / 'all'",
        value: recent.servedUnderMinimum,
        unit: 'tokens',
        baseline: all.servedUnderMinimum,
        baselineLabel: "proactive 'all'",
        target: '0',
        met: recent.servedUnderMinimum === 0 && all.servedUnderMinimum === 0,
      },
    ],
    detail: { connections: size.connections, days: size.days, usedShare: USED_SHARE, stepSeconds: STEP_S, runs },
  };
}

async function runPolicy(policy: 'all' | 'recent', connections: number, days: number): Promise<PolicyRun> {
  const emulator = await startBenchEmulator();
  const clock = emulator.state.clock;
  // The access-token cache ages on the wall clock, which does not move with the simulated one:
  // off, so every use reaches storage as it would at least once per 30 s in real time.
  const app = await startModuleApp({
    emulatorUrl: emulator.url,
    storage: { type: 'memory' },
    clockNow: () => clock.now(),
    options: {
      accessTokenCacheSeconds: 0,
      minValiditySeconds: MIN_VALIDITY_S,
      scheduler: { enabled: true, tickSeconds: 3600, concurrency: 32, batchSize: 500, proactive: policy },
    },
  });
  try {
    const minted = emulator.state.mint({ clientId: BENCH_CLIENT.clientId, count: connections });
    const refs = await seedThroughStorage(app.storage, minted, {
      tenantId: 'bench-budget',
      now: clock.now(),
      nextRefreshAt: clock.now() + 25 * 60_000,
    });
    const used = refs.slice(0, Math.round(connections * USED_SHARE));
    const usedRealms = new Set(used.map((r) => r.realmId));
    let counting = false;
    let usedCalls = 0;
    let idleCalls = 0;
    let onDemand = 0;
    app.app.get(AuthEventsPublisher).subscribe((name, payload) => {
      if (name !== 'quickbooks.refreshed' || !counting) return;
      const e = payload as RefreshedEvent;
      if (usedRealms.has(e.realmId)) usedCalls++;
      else idleCalls++;
      if (e.trigger === 'on_demand') onDemand++;
    });
    let underMinimum = 0;
    const steps = ((days + 1) * DAY_S) / STEP_S;
    const warmupSteps = DAY_S / STEP_S;
    for (let s = 0; s < steps; s++) {
      if (s === warmupSteps) counting = true;
      clock.advance(STEP_S);
      await app.scheduler.tick();
      for (const ref of used) {
        const token = await app.tokens.getAccessTokenDetails(ref);
        if (token.expiresAt.getTime() - clock.now() <= MIN_VALIDITY_S * 1000) underMinimum++;
      }
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r)); // let use bookkeeping land
      if ((s + 1) % (DAY_S / STEP_S) === 0) progress(`budget (${policy}): simulated day ${(s + 1) / (DAY_S / STEP_S)}/${days + 1}`);
    }
    let lost = 0;
    for (const ref of refs) {
      const c = await app.storage.get(ref);
      if (!c || c.status !== 'active' || c.refreshTokenExpiresAt.getTime() <= clock.now()) lost++;
    }
    const idleCount = connections - used.length;
    return {
      policy,
      usedPerConnectionDay: usedCalls / (used.length * days),
      idlePerConnectionDay: idleCalls / (idleCount * days),
      fleetPerConnectionDay: (usedCalls + idleCalls) / (connections * days),
      onDemandRefreshes: onDemand,
      lost,
      servedUnderMinimum: underMinimum,
      tokenCalls: emulator.state.statsSnapshot().calls.byGrant.refresh_token ?? 0,
    };
  } finally {
    await app.close();
    await emulator.close();
  }
}
