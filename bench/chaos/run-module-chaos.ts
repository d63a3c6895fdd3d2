import type { RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import type { ConnectionRef, StorageOptions } from '@quickbooks-auth/nestjs';
import { randomBytes } from 'node:crypto';
import { createScratchDatabase } from '../../test/support/mariadb';
import { ReplicaProcess } from '../lib/fork-replica';
import { BENCH_CLIENT, startModuleApp } from '../lib/module-app';
import { progress } from '../lib/progress';
import type { ReplicaInit, ServedSample } from '../lib/replica-protocol';
import { startBenchEmulator, seedThroughStorage } from '../lib/seed';
import { AcceleratedClock } from './accelerated-clock';
import type { ChaosOptions } from './chaos-options';
import type { ChaosCheck, ChaosSideReport } from './chaos-report';
import { EmulatorLedger } from './emulator-ledger';
import { TcpProxy } from './tcp-proxy';
import { ThrowawayRedis } from './throwaway-redis';

const TENANT = 'chaos';
/** Minted tokens are aged this much before the run so refresh tokens rotate early in it. */
const PRE_AGE_S = 18 * 3600;
/** A delivered rotation this close before a SIGKILL may have died in the receive→commit window. */
const CRASH_WINDOW_MS = 1000;

const rand = (mean: number) => mean * (0.5 + Math.random());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Replicas of the module under kills, pauses, Intuit faults and store outages; checked from the emulator's records. */
export async function runModuleChaos(o: ChaosOptions): Promise<ChaosSideReport> {
  const emulator = await startBenchEmulator();
  const ledger = new EmulatorLedger(emulator.state);
  const db = o.store === 'mariadb' ? await createScratchDatabase('qbchaos') : null;
  const proxy = db ? new TcpProxy('127.0.0.1', Number(new URL(db.url).port || 3306)) : null;
  const redis = o.store === 'redis' ? new ThrowawayRedis() : null;
  let direct: StorageOptions;
  let viaFaults: StorageOptions;
  if (db && proxy) {
    await proxy.start();
    const proxied = new URL(db.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    direct = { type: 'typeorm', url: db.url };
    viaFaults = { type: 'typeorm', url: proxied.toString(), migrationsRun: false };
  } else {
    await redis!.start();
    const keyPrefix = `qbchaos:${randomBytes(4).toString('hex')}:`;
    direct = { type: 'redis', url: redis!.url, keyPrefix };
    viaFaults = direct;
  }
  // The checker's own view of the store: no scheduler, not behind the proxy.
  const minted = emulator.state.mint({ clientId: BENCH_CLIENT.clientId, count: o.connections });
  emulator.state.clock.advance(PRE_AGE_S);
  const clock = new AcceleratedClock(emulator, o.clockRate);
  const checker = await startModuleApp({ emulatorUrl: emulator.url, storage: direct, clockNow: clock.now, options: { accessTokenCacheSeconds: 0 } });
  const replicas = new Map<string, ReplicaProcess>();
  const killedNames = new Set<string>();
  const kills: Array<{ name: string; at: number }> = [];
  const counters = { kills: 0, pauses: 0, respawns: 0, storeOutages: 0, served: 0, servedUnverifiable: 0, servedExpiredAcrossPause: 0, servedExpiredAcrossStall: 0 };
  const pauses: Array<{ name: string; from: number; to: number }> = [];
  const callerErrors: Record<string, number> = {};
  const expiredServed: ServedSample[] = [];
  let refs: ConnectionRef[] = [];
  try {
    refs = await seedThroughStorage(checker.storage, minted, {
      tenantId: TENANT,
      now: emulator.state.clock.now() - PRE_AGE_S * 1000,
      nextRefreshAt: emulator.state.clock.now(),
    });
    clock.start();
    const realmIds = refs.map((r) => r.realmId);

    const onServed = (replica: string, samples: ServedSample[], errors: Record<string, number>) => {
      for (const [k, v] of Object.entries(errors)) callerErrors[k] = (callerErrors[k] ?? 0) + v;
      for (const s of samples) {
        counters.served += 1;
        const emuExpiry = ledger.accessTokenExpiry(s.accessToken);
        if (emuExpiry === null) counters.servedUnverifiable += 1;
        if (validAt(s.servedAt, s.expiresAt, emuExpiry)) continue;
        // SIGSTOP between the return and our clock reading ages the token by the pause (up to
        // hours of emulator time): the module handed it out valid. Counted apart.
        if (pauses.some((p) => p.name === replica && p.from <= s.wallEnd && p.to >= s.wallStart)) counters.servedExpiredAcrossPause += 1;
        // Likewise a measured event-loop stall of the replica (busy machine): valid once the
        // stall's emulator time is taken off, so only what the module decided is judged.
        else if (validAt(s.servedAt - s.stalledMs * o.clockRate, s.expiresAt, emuExpiry)) counters.servedExpiredAcrossStall += 1;
        else expiredServed.push(s);
      }
    };
    let generation = 0;
    const spawn = async (slot: number): Promise<void> => {
      const name = `r${slot}g${generation++}`;
      const init: ReplicaInit = {
        name,
        emulatorUrl: emulator.url,
        storage: viaFaults,
        clock: clock.spec,
        options: {
          leaseTtlMs: o.leaseTtlMs,
          leaseWaitTimeoutMs: 2000,
          http: { connectTimeoutMs: 2000 },
          refreshLeadSeconds: 600,
          scheduler: { enabled: true, tickSeconds: 0.1, concurrency: 8, batchSize: 32, breakerHalfOpenSeconds: 0.5 },
        },
      };
      const r = await ReplicaProcess.start(init, (samples, errors) => onServed(name, samples, errors));
      replicas.set(`slot${slot}`, r);
      await r.request({ type: 'load', tenantId: TENANT, realmIds, concurrency: 2 });
    };
    await Promise.all(Array.from({ length: o.replicas }, (_, i) => spawn(i)));
    progress(`chaos: ${o.replicas} replicas up on ${o.store}, ${o.connections} connections, clock x${o.clockRate}`);

    if (o.faults) {
      const f = emulator.state.faults;
      f.add({ endpoint: 'token', type: 'status', status: 503, probability: 0.03 });
      f.add({ endpoint: 'token', type: 'status', status: 500, body: 'json', probability: 0.01 });
      f.add({ endpoint: 'token', type: 'rate_limit', retryAfter: 2, probability: 0.02 });
      f.add({ endpoint: 'token', type: 'reset', probability: 0.02 });
      f.add({ endpoint: 'token', type: 'latency', latencyMs: 400, probability: 0.05 });
      f.add({ endpoint: 'token', type: 'drop_after_rotate', probability: 0.02 });
    }

    const endAt = Date.now() + o.durationS * 1000;
    const loops: Array<Promise<void>> = [];
    if (o.killEveryS > 0) {
      loops.push((async () => {
        while (Date.now() + 3000 < endAt) {
          await sleep(rand(o.killEveryS) * 1000);
          if (Date.now() + 3000 >= endAt) break;
          const live = [...replicas.entries()].filter(([, r]) => !r.exited);
          if (live.length === 0) continue;
          const [slot, victim] = live[Math.floor(Math.random() * live.length)];
          victim.signal('SIGKILL');
          killedNames.add(victim.name);
          kills.push({ name: victim.name, at: Date.now() });
          counters.kills += 1;
          progress(`chaos: SIGKILL ${victim.name}`);
          // A respawn can fail while the store is down: keep trying, as an orchestrator would.
          for (let attempt = 0; attempt < 10; attempt++) {
            try {
              await spawn(Number(slot.slice(4)));
              counters.respawns += 1;
              break;
            } catch (e) {
              progress(`chaos: respawn failed (${(e as Error).message.split('\n')[0]}), retrying`);
              await sleep(1000);
            }
          }
        }
      })());
    }
    if (o.pauseEveryS > 0) {
      loops.push((async () => {
        while (Date.now() + 3000 < endAt) {
          await sleep(rand(o.pauseEveryS) * 1000);
          const live = [...replicas.values()].filter((r) => !r.exited);
          if (live.length === 0 || Date.now() + 3000 >= endAt) continue;
          const victim = live[Math.floor(Math.random() * live.length)];
          const ms = Math.round(o.pauseMaxMs * (0.4 + 0.6 * Math.random()));
          const from = Date.now();
          victim.signal('SIGSTOP');
          counters.pauses += 1;
          await sleep(ms);
          victim.signal('SIGCONT');
          // The resumed process needs a moment to be scheduled again.
          pauses.push({ name: victim.name, from, to: Date.now() + 200 });
        }
      })());
    }
    if (o.storeOutages > 0) {
      loops.push((async () => {
        for (let i = 0; i < o.storeOutages; i++) {
          await sleep(((o.durationS * 1000) / (o.storeOutages + 1)) * (0.8 + 0.4 * Math.random()));
          if (Date.now() + 3000 >= endAt) break;
          counters.storeOutages += 1;
          progress(`chaos: store outage ${i + 1} (${o.store})`);
          if (proxy) {
            proxy.cut();
            await sleep(1500);
            proxy.restore();
          } else {
            await redis!.restart(1000);
          }
        }
      })());
    }
    while (Date.now() < endAt) {
      await sleep(5000);
      const s = emulator.state.statsSnapshot();
      progress(`chaos: emulator day ${((clock.now() - clock.emuStartMs) / 86_400_000).toFixed(2)}, refreshes ${s.calls.byGrant.refresh_token ?? 0}, rotations ${s.rotations}, superseded ${s.supersededRefreshTokenUses}, served ${counters.served}`);
    }
    await Promise.all(loops);
    emulator.state.faults.clear();
    for (const r of replicas.values()) r.signal('SIGCONT');
    await Promise.all([...replicas.values()].map((r) => r.stop()));
    clock.stop();
    progress('chaos: replicas stopped, checking');
    return await check();
  } finally {
    clock.stop();
    for (const r of replicas.values()) r.signal('SIGKILL');
    await checker.close().catch(() => undefined);
    await proxy?.close();
    await redis?.stop();
    await db?.drop();
    await emulator.close();
  }

  async function check(): Promise<ChaosSideReport> {
    const stats = emulator.state.statsSnapshot();
    let lostDrop = 0;
    let lostCrash = 0;
    let lostUnexplained = 0;
    let supersededExplained = 0;
    let supersededUnexplained = 0;
    let leasesKilled = 0;
    let leasesStuck = 0;
    const unexplained: string[] = [];
    const nowMs = Date.now();
    for (const ref of refs) {
      const conn = await checker.storage.get(ref);
      const summary = emulator.state.realmSummary(ref.realmId);
      const grant = emulator.state.store.grantsByRealm.get(ref.realmId)?.at(-1);
      const diverged = !!conn && conn.status === 'active' && grant !== undefined && grant.current.value !== conn.refreshToken;
      const lost = !conn || conn.status !== 'active' || diverged;
      const dropped = (ledger.droppedRotations.get(ref.realmId) ?? 0) > 0;
      const crashed = kills.some((k) => ledger.rotationDeliveredShortlyBefore(ref.realmId, k.at, CRASH_WINDOW_MS));
      const superseded = summary?.supersededUses ?? 0;
      if (lost) {
        if (dropped) lostDrop++;
        else if (crashed) lostCrash++;
        else {
          lostUnexplained++;
          unexplained.push(`${ref.realmId}:${conn?.status ?? 'missing'}${diverged ? ':diverged' : ''}`);
        }
      }
      if (superseded > 0) {
        if (dropped || crashed) supersededExplained += superseded;
        else supersededUnexplained += superseded;
      }
      if (conn?.leaseOwner && conn.leaseExpiresAt) {
        const instance = conn.leaseOwner.split('#')[0];
        if (killedNames.has(instance) && conn.leaseExpiresAt.getTime() <= nowMs + o.leaseTtlMs) leasesKilled++;
        else leasesStuck++;
      }
    }
    const checks: ChaosCheck[] = [
      { name: 'superseded refresh-token uses', value: supersededExplained + supersededUnexplained, explained: supersededExplained, violations: supersededUnexplained },
      { name: 'max concurrent refreshes per token', value: stats.concurrentRefreshesMaxPerToken, violations: stats.concurrentRefreshesMaxPerToken > 1 ? 1 : 0 },
      {
        name: 'connections lost',
        value: lostDrop + lostCrash + lostUnexplained,
        explained: lostDrop + lostCrash,
        violations: lostUnexplained,
        detail: `drop after rotation ${lostDrop}, kill in receive→commit window ${lostCrash}, unexplained ${lostUnexplained}${unexplained.length ? ` (${unexplained.slice(0, 5).join(', ')})` : ''}`,
      },
      {
        name: 'expired access tokens served',
        value: expiredServed.length,
        violations: expiredServed.length,
        detail:
          `counted apart: ${counters.servedExpiredAcrossPause} aged by a SIGSTOP, ${counters.servedExpiredAcrossStall} by a measured event-loop stall` +
          expiredServed
            .slice(0, 3)
            .map((x) => `; ${x.realmId} served ${x.servedAt - x.expiresAt} ms after module expiry, emulator expiry ${(ledger.accessTokenExpiry(x.accessToken) ?? NaN) - x.servedAt} ms after serving, loop stalled ${x.stalledMs} ms`)
            .join(''),
      },
      { name: 'stuck leases at the end', value: leasesStuck + leasesKilled, explained: leasesKilled, violations: leasesStuck, detail: `${leasesKilled} held by SIGKILLed replicas, expiring within the lease TTL` },
    ];
    return {
      label: 'module',
      checks,
      violations: checks.reduce((n, c) => n + c.violations, 0),
      counters: {
        ...counters,
        refreshCalls: stats.calls.byGrant.refresh_token ?? 0,
        rotations: stats.rotations,
        droppedAfterRotate: stats.droppedAfterRotate,
        droppedRotations: [...ledger.droppedRotations.values()].reduce((a, b) => a + b, 0),
        faultsApplied: stats.faultsApplied,
        emulatorDays: Math.round(((clock.now() - clock.emuStartMs) / 86_400_000) * 100) / 100,
        ...Object.fromEntries(Object.entries(callerErrors).map(([k, v]) => [`callerError.${k}`, v])),
      },
    };
  }
}

export type { RunningEmulator };

/** The token had not expired at `at` by the module's own expiry nor by the emulator's. */
function validAt(at: number, moduleExpiry: number, emulatorExpiry: number | null): boolean {
  return moduleExpiry > at && (emulatorExpiry === null || emulatorExpiry > at);
}
