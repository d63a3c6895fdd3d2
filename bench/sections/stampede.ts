import { createScratchDatabase } from '../../test/support/mariadb';
import { ReplicaProcess } from '../lib/fork-replica';
import { BENCH_CLIENT, startModuleApp } from '../lib/module-app';
import { progress } from '../lib/progress';
import { seedThroughStorage, startBenchEmulator } from '../lib/seed';
import { median, msSince, now, percentile, round } from '../lib/stats';
import type { Figure } from '../lib/report';
import type { BenchProfile, SectionResult } from './section';

const TENANT = 'bench-stampede';

interface StampedeReply {
  waits: number[];
  errors: Record<string, number>;
  distinctTokens: number;
  lateStartMs: number;
}

/**
 * N concurrent getAccessToken callers on one connection whose access token has expired, spread
 * over 1 and over P replica processes sharing MariaDB. The emulator counts token-endpoint calls;
 * waits are compared with one refresh round trip measured under the same emulator latency.
 */
export async function benchStampede(profile: BenchProfile): Promise<SectionResult> {
  const latencyMs = profile.scaleLatencyMs;
  const db = await createScratchDatabase('qbbench');
  const emulator = await startBenchEmulator();
  const seeder = await startModuleApp({
    emulatorUrl: emulator.url,
    storage: { type: 'typeorm', url: db.url },
    clockNow: () => emulator.state.clock.now(),
  });
  const replicas: ReplicaProcess[] = [];
  try {
    emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs });
    const variants = [1, profile.stampedeProcesses];
    const rounds = profile.repeats;
    // Access tokens already expired at the emulator's "now": every caller needs a refresh.
    const minted = emulator.state
      .mint({ clientId: BENCH_CLIENT.clientId, count: variants.length * (rounds + 1) + 10 })
      .map((m) => ({ ...m, expires_in: -1 }));
    const refs = await seedThroughStorage(seeder.storage, minted, { tenantId: TENANT, now: emulator.state.clock.now() });

    // Baseline: one refresh round trip through the module, same latency, nobody else waiting.
    const single: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = now();
      const outcome = await seeder.refresher.refresh(refs[refs.length - 1 - i], { trigger: 'on_demand', isFresh: () => false });
      if (outcome.kind !== 'refreshed') throw new Error(`baseline refresh: ${outcome.kind}`);
      single.push(msSince(t));
    }
    const roundTrip = median(single);
    progress(`stampede: one refresh round trip ${round(roundTrip)} ms (emulator latency ${latencyMs} ms)`);

    for (let i = 0; i < profile.stampedeProcesses; i++) {
      replicas.push(
        await ReplicaProcess.start({
          name: `stampede-${i}`,
          emulatorUrl: emulator.url,
          storage: { type: 'typeorm', url: db.url, migrationsRun: false },
          clock: { kind: 'offset', offsetMs: emulator.state.clock.offsetMs },
        }),
      );
    }
    progress(`stampede: ${replicas.length} replicas up`);

    const figures: Figure[] = [];
    const detail: Record<string, unknown> = { roundTripMs: single, latencyMs };
    let refIndex = 0;
    for (const procs of variants) {
      const perRound: Array<{ calls: number; p99: number; p50: number; errors: number; distinctTokens: number }> = [];
      // The first round (r = -1) is a warm-up, not reported: the first stampede on a cold process compiles its path
      // (20-25 ms more), and a replica times its polls by the token calls it has seen.
      for (let r = -1; r < rounds; r++) {
        const ref = refs[refIndex++];
        const per = Math.ceil(profile.stampedeCallers / procs);
        const startAt = Date.now() + 300;
        const replies = await Promise.all(
          replicas
            .slice(0, procs)
            .map((rep) =>
              rep.request<StampedeReply>({ type: 'stampede', tenantId: ref.tenantId, realmId: ref.realmId, callers: per, startAt }),
            ),
        );
        const waits = replies.flatMap((x) => x.waits);
        const errors = replies.reduce((n, x) => n + Object.values(x.errors).reduce((a, b) => a + b, 0), 0);
        const calls = emulator.state.stats.realmCalls(ref.realmId).refresh_token;
        const row = {
          calls,
          p50: percentile(waits, 50),
          p99: percentile(waits, 99),
          errors,
          distinctTokens: Math.max(...replies.map((x) => x.distinctTokens)),
        };
        progress(
          `stampede ${procs} proc x ${per}${r < 0 ? ' (warm-up)' : ''}: token calls ${calls}, p50 ${row.p50} ms, p99 ${row.p99} ms, errors ${errors}`,
        );
        if (r >= 0) perRound.push(row);
      }
      const maxCalls = Math.max(...perRound.map((x) => x.calls));
      const p99 = median(perRound.map((x) => x.p99));
      const errors = perRound.reduce((n, x) => n + x.errors, 0);
      figures.push(
        {
          section: 'stampede',
          metric: `${profile.stampedeCallers} callers / ${procs} process${procs > 1 ? 'es' : ''}: token-endpoint calls (max of ${rounds})`,
          value: maxCalls,
          unit: '',
          target: '= 1',
          met: maxCalls === 1 && errors === 0,
          note: errors ? `${errors} callers failed` : undefined,
        },
        {
          section: 'stampede',
          metric: `${profile.stampedeCallers} callers / ${procs} process${procs > 1 ? 'es' : ''}: p99 wait`,
          value: p99,
          unit: 'ms',
          baseline: roundTrip,
          baselineLabel: 'one refresh round trip',
          ratio: p99 / roundTrip,
        },
      );
      detail[`processes${procs}`] = perRound;
    }
    return { figures, detail };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await seeder.close();
    await emulator.close();
    await db.drop();
  }
}
