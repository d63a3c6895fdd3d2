/**
 * A replica: one process running QuickBooksAuthModule (and its scheduler, when enabled) the way
 * a host app does, driven by the bench or chaos parent over IPC. Forked by ReplicaProcess.
 */
import 'reflect-metadata';
import type { StorageOptions } from '@quickbooks-auth/nestjs';
import { AuthEventsPublisher } from '@quickbooks-auth/nestjs/events/auth-events.publisher';
import { QUICKBOOKS_AUTH_ENTITIES } from '@quickbooks-auth/nestjs/auth/storage/typeorm/quickbooks-auth.entities';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { startModuleApp, type ModuleApp } from './module-app';
import { tapProtocol } from './protocol-tap';
import type { ReplicaClock, ReplicaInit, ReplicaMessage, ReplicaRequest, ReplicaStats, ServedSample } from './replica-protocol';
import { EventLoopStalls } from './event-loop-stalls';
import { StatementCounter } from './statement-counter';

let app: ModuleApp | null = null;
let clock: ReplicaClock = { kind: 'offset', offsetMs: 0 };
let counter: StatementCounter | null = null;
let ownDataSource: DataSource | null = null;
let loadRunning = false;
let stalls: EventLoopStalls | null = null;
const tokenCalls = { count: 0, totalMs: 0 };

/** Wall ms of the module's latest clock reading: its last validity decision is no later than this. */
let lastModuleClockRead = 0;

/** The clock handed to the module: the same time, noting when the module last looked. */
function moduleClockNow(): number {
  lastModuleClockRead = Date.now();
  return clockNow();
}

function clockNow(): number {
  if (clock.kind === 'offset') return Date.now() + clock.offsetMs;
  return clock.emuStartMs + (Date.now() - clock.realStartMs) * clock.rate;
}

function send(m: ReplicaMessage): void {
  process.send?.(m);
}

async function storageFor(init: ReplicaInit): Promise<StorageOptions> {
  if (!init.countStatements || init.storage.type !== 'typeorm' || !init.storage.url) return init.storage;
  // Our own DataSource so a logger can see every statement; the settings the module would use (create-typeorm-storage).
  counter = new StatementCounter();
  const url = init.storage.url;
  ownDataSource = new DataSource(
    /^postgres(ql)?:/.test(url)
      ? { type: 'postgres', url, entities: [...QUICKBOOKS_AUTH_ENTITIES], installExtensions: false, extra: { max: 10 }, logger: counter }
      : {
          type: 'mysql',
          url,
          entities: [...QUICKBOOKS_AUTH_ENTITIES],
          timezone: 'Z',
          supportBigNumbers: true,
          bigNumberStrings: false,
          extra: { connectionLimit: 10 },
          logger: counter,
        },
  );
  await ownDataSource.initialize();
  return { type: 'typeorm', dataSource: ownDataSource };
}

async function stampede(req: Extract<ReplicaRequest, { type: 'stampede' }>): Promise<unknown> {
  const ref = { tenantId: req.tenantId, realmId: req.realmId };
  // Every replica starts at the same wall-clock instant; waits are measured from it.
  await new Promise((r) => setTimeout(r, Math.max(0, req.startAt - Date.now())));
  const start = Date.now();
  const waits: number[] = [];
  const errors: Record<string, number> = {};
  const tokens = new Set<string>();
  await Promise.all(
    Array.from({ length: req.callers }, async () => {
      try {
        tokens.add(await app!.tokens.getAccessToken(ref));
        waits.push(Date.now() - start);
      } catch (err) {
        const name = (err as Error).name ?? 'Error';
        errors[name] = (errors[name] ?? 0) + 1;
      }
    }),
  );
  return { waits, errors, distinctTokens: tokens.size, lateStartMs: start - req.startAt };
}

/** Chaos load: callers asking for tokens of random connections, reporting what they were given. */
function startLoad(req: Extract<ReplicaRequest, { type: 'load' }>): void {
  loadRunning = true;
  stalls = new EventLoopStalls();
  const loop = stalls;
  let samples: ServedSample[] = [];
  let errors: Record<string, number> = {};
  const flush = setInterval(() => {
    if (samples.length === 0 && Object.keys(errors).length === 0) return;
    send({ report: 'served', samples, errors });
    samples = [];
    errors = {};
  }, 250);
  flush.unref();
  const caller = async () => {
    while (loadRunning && app) {
      const realmId = req.realmIds[Math.floor(Math.random() * req.realmIds.length)];
      const wallStart = Date.now();
      try {
        const t = await app.tokens.getAccessTokenDetails({ tenantId: req.tenantId, realmId });
        const servedAt = clockNow();
        const wallEnd = Date.now();
        // Only stalls after the module last read the clock: earlier ones were its to account for.
        const stalledMs = loop.stalledWithin(Math.max(wallStart, lastModuleClockRead), wallEnd);
        samples.push({
          realmId,
          accessTokenSha256: createHash('sha256').update(t.accessToken).digest('hex'),
          servedAt,
          expiresAt: t.expiresAt.getTime(),
          wallStart,
          wallEnd,
          stalledMs,
        });
      } catch (err) {
        const name = (err as Error).name ?? 'Error';
        errors[name] = (errors[name] ?? 0) + 1;
      }
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
    }
  };
  for (let i = 0; i < req.concurrency; i++) void caller();
}

async function handle(req: ReplicaRequest): Promise<unknown> {
  switch (req.type) {
    case 'init': {
      clock = req.init.clock;
      const storage = await storageFor(req.init);
      app = await startModuleApp({
        emulatorUrl: req.init.emulatorUrl,
        storage,
        clockNow: moduleClockNow,
        options: { instanceId: req.init.name, ...req.init.options },
      });
      app.app.get(AuthEventsPublisher).listen((signal) => {
        if (signal.kind !== 'token_call' || signal.grantType !== 'refresh_token') return;
        tokenCalls.count++;
        tokenCalls.totalMs += signal.latencyMs;
      });
      if (req.init.tapProtocol) tapProtocol(app, (event) => send({ report: 'protocol', event }));
      return { pid: process.pid };
    }
    case 'set-offset':
      clock = { kind: 'offset', offsetMs: req.offsetMs };
      return null;
    case 'stampede':
      return stampede(req);
    case 'load':
      startLoad(req);
      return null;
    case 'stats': {
      const cpu = process.cpuUsage();
      const mem = process.memoryUsage();
      const mb = (bytes: number) => Math.round(bytes / 1048576);
      const stats: ReplicaStats = {
        maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        cpuMs: (cpu.user + cpu.system) / 1000,
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
        memory: { rssMb: mb(mem.rss), heapUsedMb: mb(mem.heapUsed), heapTotalMb: mb(mem.heapTotal), externalMb: mb(mem.external) },
        statements: counter?.total ?? 0,
        statementsByKind: { ...(counter?.byKind ?? {}) },
        scheduler: { ...(app?.scheduler.counters ?? {}) } as unknown as Record<string, number>,
        tokenCalls: { ...tokenCalls },
      };
      return stats;
    }
    case 'stop':
      await shutdown();
      setImmediate(() => process.exit(0));
      return null;
  }
}

let closing: Promise<void> | null = null;

/** Graceful stop, as a host does on SIGTERM: callers stop, then app.close() drains the refreshes in flight. */
function shutdown(): Promise<void> {
  closing ??= (async () => {
    loadRunning = false;
    stalls?.stop();
    await app?.close();
    await ownDataSource?.destroy().catch(() => undefined);
  })();
  return closing;
}

// A rolling deploy's SIGTERM (chaos --deploys): drain, then exit 0; 1 if closing failed.
process.on('SIGTERM', () => {
  shutdown().then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`[error] replica shutdown failed: ${err?.message ?? String(err)}\n`);
      process.exit(1);
    },
  );
});

process.on('message', (req: ReplicaRequest) => {
  handle(req).then(
    (result) => send({ id: req.id, ok: true, result }),
    (err: Error) => send({ id: req.id, ok: false, error: err?.stack ?? String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
