import type { ConnectionRef, StorageOptions } from '@quickbooks-auth/nestjs';
import { KeyRing } from '@quickbooks-auth/nestjs';
import { randomBytes } from 'node:crypto';
import { createScratchDatabase } from '../../test/support/mariadb';
import { createScratchPostgresDatabase } from '../../test/support/postgres';
import { ReplicaProcess } from '../lib/fork-replica';
import { BENCH_CLIENT, benchSecrets, startModuleApp } from '../lib/module-app';
import { progress } from '../lib/progress';
import type { ReplicaInit, ServedSample } from '../lib/replica-protocol';
import { startBenchEmulator, seedThroughStorage } from '../lib/seed';
import { AcceleratedClock } from './accelerated-clock';
import { Attribution } from './attribution';
import type { ChaosOptions } from './chaos-options';
import type { ChaosCheck, ChaosSideReport } from './chaos-report';
import { EmulatorLedger } from './emulator-ledger';
import { ProtocolLog, type KillCause } from './protocol-log';
import { TcpProxy } from '../../test/support/tcp-proxy';
import { ThrowawayRedis } from './throwaway-redis';

const TENANT = 'chaos';
/** Minted tokens are aged this much before the run so refresh tokens rotate early in it. */
const PRE_AGE_S = 18 * 3600;
/** A graceful stop may take the drain bound (token-call budget + one lease) plus closing; past this it is SIGKILLed and counted. */
const STOP_TIMEOUT_MS = 30_000;

const rand = (mean: number) => mean * (0.5 + Math.random());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

/** Replicas of the module under kills, pauses, deploys, Intuit faults and store outages; checked from the emulator's records. */
export async function runModuleChaos(o: ChaosOptions): Promise<ChaosSideReport> {
  const emulator = await startBenchEmulator();
  const ring = KeyRing.parse(benchSecrets().encryptionKeys);
  const ledger = new EmulatorLedger(emulator.state, ring);
  const log = new ProtocolLog();
  if (o.graceS > 0) emulator.state.updateConfig({ refreshGraceSeconds: o.graceS * o.clockRate });
  const db = await openScratchSql(o.store);
  const proxy = db ? new TcpProxy('127.0.0.1', Number(new URL(db.url).port || (o.store === 'postgres' ? 5432 : 3306))) : null;
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
  const checker = await startModuleApp({
    emulatorUrl: emulator.url,
    storage: direct,
    clockNow: clock.now,
    options: { accessTokenCacheSeconds: 0 },
  });
  const replicas = new Map<number, ReplicaProcess>();
  const respawning = new Set<number>();
  const counters = {
    kills: 0,
    receiptKills: 0,
    pauses: 0,
    respawns: 0,
    deploys: 0,
    forcedStops: 0,
    storeOutages: 0,
    served: 0,
    servedUnverifiable: 0,
    servedExpiredAcrossPause: 0,
    servedExpiredAcrossStall: 0,
    settleS: 0,
    leftPendingAfterSettle: 0,
  };
  const deployMs: number[] = [];
  const callerErrors: Record<string, number> = {};
  const expiredServed: ServedSample[] = [];
  let refs: ConnectionRef[] = [];
  let chaosOn = true;
  /** Set when the run ends: a respawn finishing after that kills its replica at once. */
  let closed = false;
  let lastReceiptKill = 0;
  // Parked rows wait this long (app clock, which runs clockRate times faster) for their rotation.
  const reauthPendingMs = o.reauthPendingLeases * o.leaseTtlMs * o.clockRate;
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
        const emuExpiry = ledger.accessTokenExpiry(s.accessTokenSha256);
        if (emuExpiry === null) counters.servedUnverifiable += 1;
        if (validAt(s.servedAt, s.expiresAt, emuExpiry)) continue;
        // SIGSTOP between the return and our clock reading ages the token by the pause (up to
        // hours of emulator time): the module handed it out valid. Counted apart.
        if (log.pauses.some((p) => p.replica === replica && p.from <= s.wallEnd && p.to >= s.wallStart))
          counters.servedExpiredAcrossPause += 1;
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
        tapProtocol: true,
        options: {
          leaseTtlMs: o.leaseTtlMs,
          leaseWaitTimeoutMs: 2000,
          reauthPendingMs,
          http: { connectTimeoutMs: 2000 },
          refreshLeadSeconds: 600,
          scheduler: { enabled: true, tickSeconds: 0.1, concurrency: 8, batchSize: 32, breakerHalfOpenSeconds: 0.5 },
        },
      };
      let proc: ReplicaProcess | null = null;
      const r = await ReplicaProcess.start(init, {
        onServed: (samples, errors) => onServed(name, samples, errors),
        onProtocol: (e) => {
          log.record(name, e);
          // A kill timed inside the receive→commit window: the rotation is in this process only.
          if (e.kind !== 'rotation_received' || !chaosOn || !proc || o.receiptKillFraction <= 0) return;
          if (Math.random() >= o.receiptKillFraction || Date.now() - lastReceiptKill < o.receiptKillGapS * 1000) return;
          lastReceiptKill = Date.now();
          kill(slot, proc, 'receipt');
        },
      });
      proc = r;
      if (closed) {
        // The run ended while this respawn was booting: nobody would stop it.
        r.signal('SIGKILL');
        throw new Error(`${name}: the run is over`);
      }
      replicas.set(slot, r);
      await r.request({ type: 'load', tenantId: TENANT, realmIds, concurrency: 2 });
    };
    // A respawn can fail while the store is down: keep trying, as an orchestrator would.
    const respawn = async (slot: number): Promise<void> => {
      if (respawning.has(slot)) return;
      respawning.add(slot);
      try {
        for (let attempt = 0; attempt < 10 && !closed; attempt++) {
          try {
            await spawn(slot);
            counters.respawns += 1;
            return;
          } catch (e) {
            progress(`chaos: respawn failed (${(e as Error).message.split('\n')[0]}), retrying`);
            await sleep(1000);
          }
        }
      } finally {
        respawning.delete(slot);
      }
    };
    const kill = (slot: number, victim: ReplicaProcess, cause: KillCause): void => {
      victim.signal('SIGKILL');
      log.kill(victim.name, cause);
      counters.kills += 1;
      if (cause === 'receipt') counters.receiptKills += 1;
      progress(`chaos: SIGKILL ${victim.name} (${cause})`);
      void respawn(slot);
    };
    const live = () => [...replicas.entries()].filter(([, r]) => !r.exited && !r.killed);
    await Promise.all(Array.from({ length: o.replicas }, (_, i) => spawn(i)));
    progress(
      `chaos: ${o.mode} on ${o.store}, ${o.replicas} replicas, ${o.connections} connections, clock x${o.clockRate}${o.graceS ? `, grace ${o.graceS} s` : ''}`,
    );

    if (o.faults) {
      const f = emulator.state.faults;
      f.add({ endpoint: 'token', type: 'status', status: 503, probability: 0.03 });
      f.add({ endpoint: 'token', type: 'status', status: 500, body: 'json', probability: 0.01 });
      f.add({ endpoint: 'token', type: 'rate_limit', retryAfter: 2, probability: 0.02 });
      f.add({ endpoint: 'token', type: 'reset', probability: 0.02 });
      f.add({ endpoint: 'token', type: 'latency', latencyMs: 400, probability: 0.05 });
      if (o.drops) f.add({ endpoint: 'token', type: 'drop_after_rotate', probability: 0.02 });
    }

    const endAt = Date.now() + o.durationS * 1000;
    const loops: Array<Promise<void>> = [];
    if (o.killEveryS > 0) {
      loops.push(
        (async () => {
          while (Date.now() + 3000 < endAt) {
            await sleep(rand(o.killEveryS) * 1000);
            if (Date.now() + 3000 >= endAt) break;
            const l = live();
            if (l.length === 0) continue;
            const [slot, victim] = l[Math.floor(Math.random() * l.length)];
            kill(slot, victim, 'random');
          }
        })(),
      );
    }
    if (o.pauseEveryS > 0) {
      loops.push(
        (async () => {
          while (Date.now() + 3000 < endAt) {
            await sleep(rand(o.pauseEveryS) * 1000);
            const l = live();
            if (l.length === 0 || Date.now() + 3000 >= endAt) continue;
            const [, victim] = l[Math.floor(Math.random() * l.length)];
            const ms = Math.round(o.pauseMinMs + (o.pauseMaxMs - o.pauseMinMs) * Math.random());
            const from = Date.now();
            victim.signal('SIGSTOP');
            counters.pauses += 1;
            if (ms > o.leaseTtlMs) progress(`chaos: SIGSTOP ${victim.name} for ${(ms / 1000).toFixed(1)} s (longer than the lease)`);
            await sleep(ms);
            victim.signal('SIGCONT');
            // The resumed process needs a moment to be scheduled again.
            log.pauses.push({ replica: victim.name, from, to: Date.now() + 200 });
          }
        })(),
      );
    }
    if (o.deploys) {
      // Rolling deploy: SIGTERM each replica in turn, wait for its drained exit, start its successor.
      loops.push(
        (async () => {
          await sleep(2000);
          for (let slot = 0; Date.now() + 3000 < endAt; slot = (slot + 1) % o.replicas) {
            const r = replicas.get(slot);
            if (!r || r.exited || respawning.has(slot)) continue;
            const started = Date.now();
            const forced = await r.stop(STOP_TIMEOUT_MS, 'SIGTERM');
            deployMs.push(Date.now() - started);
            counters.deploys += 1;
            if (forced) {
              counters.forcedStops += 1;
              log.kill(r.name, 'stop_timeout');
            } else if (r.exitCode !== 0) progress(`chaos: ${r.name} exited ${r.exitCode ?? r.exitSignal} after SIGTERM`);
            await respawn(slot);
            await sleep(o.deployGapS * 1000);
          }
        })(),
      );
    }
    if (o.storeOutages > 0) {
      loops.push(
        (async () => {
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
        })(),
      );
    }
    const status = () => {
      const s = emulator.state.statsSnapshot();
      return `emulator day ${((clock.now() - clock.emuStartMs) / 86_400_000).toFixed(2)}, refreshes ${s.calls.byGrant.refresh_token ?? 0}, rotations ${s.rotations}, superseded ${s.supersededRefreshTokenUses}, served ${counters.served}`;
    };
    while (Date.now() < endAt) {
      await sleep(5000);
      progress(`chaos: ${status()}`);
    }
    chaosOn = false;
    await Promise.all(loops);
    while (respawning.size > 0) await sleep(200);

    // Settle: no more faults; callers keep asking and schedulers keep running until every parked
    // connection is reconciled or revived and every row that lost its token has found out.
    emulator.state.faults.clear();
    for (const r of replicas.values()) r.signal('SIGCONT');
    const settleStart = Date.now();
    const settleMaxMs = (o.reauthPendingLeases + 2) * o.leaseTtlMs + 5000;
    let unsettled = await countUnsettled();
    while (unsettled > 0 && Date.now() - settleStart < settleMaxMs) {
      await sleep(1000);
      unsettled = await countUnsettled();
    }
    counters.settleS = Math.round((Date.now() - settleStart) / 100) / 10;
    progress(`chaos: settled in ${counters.settleS} s (${unsettled} rows still pending or diverged); ${status()}`);
    await Promise.all(
      [...replicas.values()].map(async (r) => {
        if (await r.stop(STOP_TIMEOUT_MS)) {
          counters.forcedStops += 1;
          log.kill(r.name, 'stop_timeout');
        }
      }),
    );
    clock.stop();
    progress('chaos: replicas stopped, checking');
    return await check();
  } finally {
    closed = true;
    clock.stop();
    for (const r of replicas.values()) r.signal('SIGKILL');
    // Respawns still booting (or a replica that failed to boot) too: none may outlive the run.
    await ReplicaProcess.killAll();
    await checker.close().catch(() => undefined);
    await proxy?.close();
    await redis?.stop();
    await db?.drop();
    await emulator.close();
  }

  /** The emulator's current refresh token of a realm, as a fingerprint. */
  function currentFp(realmId: string): string | null {
    const grant = emulator.state.store.grantsByRealm.get(realmId)?.at(-1);
    return grant ? ledger.fingerprint(grant.current.value) : null;
  }

  /** Rows still parked, or active with a token the emulator already superseded (their owner has not noticed yet). */
  async function countUnsettled(): Promise<number> {
    let n = 0;
    for (const ref of refs) {
      const conn = await checker.storage.get(ref).catch(() => null);
      if (!conn) continue;
      if (conn.status === 'reauth_pending' || (conn.status === 'active' && conn.refreshTokenFingerprint !== currentFp(ref.realmId))) n++;
    }
    return n;
  }

  async function check(): Promise<ChaosSideReport> {
    const stats = emulator.state.statsSnapshot();
    // The token-call budget as resolveOptions computes it (connect 2 s + socket 60 s, capped at 0.6 x lease):
    // a SIGSTOP longer than what the lease leaves beyond it can let a takeover spend a live token.
    const callBudgetMs = Math.min(o.leaseTtlMs * 0.6, 2000 + 60_000);
    const attribution = new Attribution(ledger, log, o.leaseTtlMs - callBudgetMs, o.leaseTtlMs);
    const lossCauses: Record<string, number> = {};
    const lossRows: Record<string, number> = {};
    const supersededCauses: Record<string, number> = {};
    const unexplainedLosses: string[] = [];
    const unexplainedSuperseded: string[] = [];
    /** Explained losses whose row says invalid_grant although a rotation was lost: what happened. */
    const reasonMismatches: string[] = [];
    const lossTraces: string[] = [];
    let lostExplained = 0;
    let leasesKilled = 0;
    let leasesStuck = 0;
    const killedNames = new Set(log.kills.map((k) => k.replica));
    const nowMs = Date.now();
    for (const ref of refs) {
      const conn = await checker.storage.get(ref);
      const rowFp = conn?.refreshTokenFingerprint ?? null;
      const diverged = conn?.status === 'active' && rowFp !== currentFp(ref.realmId);
      const lost = !conn || conn.status !== 'active' || diverged;
      if (conn?.status === 'reauth_pending') counters.leftPendingAfterSettle += 1;
      if (lost) {
        const row = !conn ? 'missing' : diverged ? 'active:diverged' : `${conn.status}:${conn.lastErrorCode ?? '-'}`;
        bump(lossRows, row);
        const v = rowFp ? attribution.loss(rowFp) : ({ explained: false, why: 'no stored token' } as const);
        if (v.explained) {
          lostExplained++;
          bump(lossCauses, v.cause);
          if (conn?.lastErrorCode === 'invalid_grant' && rowFp)
            reasonMismatches.push(`${ref.realmId} ${v.cause}: ${attribution.trace(rowFp)}`);
          // A mode that must lose nothing: keep the story of each loss for the report.
          if ((o.expectNoLosses || o.dropsMustRecover) && rowFp) lossTraces.push(`${ref.realmId} ${v.cause}: ${attribution.trace(rowFp)}`);
        } else unexplainedLosses.push(`${ref.realmId} ${row}: ${v.why}; ${rowFp ? attribution.trace(rowFp) : ''}`);
      }
      if (conn?.leaseOwner && conn.leaseExpiresAt) {
        const instance = conn.leaseOwner.split('#')[0];
        if (killedNames.has(instance) && conn.leaseExpiresAt.getTime() <= nowMs + o.leaseTtlMs) leasesKilled++;
        else leasesStuck++;
      }
    }
    let supersededExplained = 0;
    for (const u of ledger.supersededUses) {
      const v = attribution.superseded(u);
      if (v.explained) {
        supersededExplained++;
        bump(supersededCauses, v.cause);
      } else unexplainedSuperseded.push(`${u.realmId}: ${v.why}; ${attribution.trace(u.presentedFp)}`);
    }
    const superseded = ledger.supersededUses.length;
    const lostTotal = lostExplained + unexplainedLosses.length;
    const fmt = (m: Record<string, number>) =>
      Object.entries(m)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none';
    const checks: ChaosCheck[] = [
      {
        name: 'superseded refresh-token uses',
        value: superseded,
        explained: supersededExplained,
        violations: o.expectNoSuperseded ? superseded : unexplainedSuperseded.length,
        detail: `explained by ${fmt(supersededCauses)}; unexplained ${unexplainedSuperseded.length}${unexplainedSuperseded.length ? ` (${unexplainedSuperseded.slice(0, 5).join('; ')})` : ''}`,
      },
      {
        name: 'max concurrent refreshes per token',
        value: stats.concurrentRefreshesMaxPerToken,
        violations: stats.concurrentRefreshesMaxPerToken > 1 ? 1 : 0,
      },
      {
        name: 'connections lost',
        value: lostTotal,
        explained: lostExplained,
        violations: o.expectNoLosses ? lostTotal : unexplainedLosses.length + (o.dropsMustRecover ? (lossCauses.drop ?? 0) : 0),
        detail:
          `explained by ${fmt(lossCauses)}; rows ${fmt(lossRows)}; unexplained ${unexplainedLosses.length}` +
          `${unexplainedLosses.length ? ` (${unexplainedLosses.slice(0, 5).join('; ')})` : ''}${o.expectNoLosses ? '; this mode must lose none' : ''}${o.dropsMustRecover ? '; a drop loss is a violation here' : ''}` +
          `${reasonMismatches.length ? `; ${reasonMismatches.length} explained loss(es) marked invalid_grant, not rotation_response_lost (${reasonMismatches.slice(0, 3).join(' | ')})` : ''}`,
      },
      {
        name: 'expired access tokens served',
        value: expiredServed.length,
        violations: expiredServed.length,
        detail:
          `counted apart: ${counters.servedExpiredAcrossPause} aged by a SIGSTOP, ${counters.servedExpiredAcrossStall} by a measured event-loop stall` +
          expiredServed
            .slice(0, 3)
            .map(
              (x) =>
                `; ${x.realmId} served ${x.servedAt - x.expiresAt} ms after module expiry, emulator expiry ${(ledger.accessTokenExpiry(x.accessTokenSha256) ?? NaN) - x.servedAt} ms after serving, loop stalled ${x.stalledMs} ms`,
            )
            .join(''),
      },
      {
        name: 'stuck leases at the end',
        value: leasesStuck + leasesKilled,
        explained: leasesKilled,
        violations: leasesStuck,
        detail: `${leasesKilled} held by SIGKILLed replicas, expiring within the lease TTL`,
      },
      {
        name: 'graceful stops needing SIGKILL',
        value: counters.forcedStops,
        violations: counters.forcedStops,
        detail: o.deploys
          ? `${counters.deploys} rolling restarts, SIGTERM to exit max ${Math.max(0, ...deployMs)} ms, median ${median(deployMs)} ms`
          : undefined,
      },
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
        droppedRotations: ledger.droppedRotations,
        supersededByEmulator: stats.supersededRefreshTokenUses,
        faultsApplied: stats.faultsApplied,
        emulatorDays: Math.round(((clock.now() - clock.emuStartMs) / 86_400_000) * 100) / 100,
        ...Object.fromEntries(Object.entries(log.signals).map(([k, v]) => [`signal.${k}`, v])),
        ...Object.fromEntries(Object.entries(callerErrors).map(([k, v]) => [`callerError.${k}`, v])),
      },
      attribution: { lossCauses, lossRows, supersededCauses, unexplainedLosses, unexplainedSuperseded, reasonMismatches, lossTraces },
    };
  }
}

/** The token had not expired at `at` by the module's own expiry nor by the emulator's. */
function validAt(at: number, moduleExpiry: number, emulatorExpiry: number | null): boolean {
  return moduleExpiry > at && (emulatorExpiry === null || emulatorExpiry > at);
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A scratch database on the shared SQL server the run stores in (none for Redis). */
async function openScratchSql(store: ChaosOptions['store']): Promise<{ url: string; drop(): Promise<void> } | null> {
  if (store === 'mariadb') return createScratchDatabase('qbchaos');
  if (store === 'postgres') return createScratchPostgresDatabase('qbchaos');
  return null;
}
