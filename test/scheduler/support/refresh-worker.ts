/**
 * One replica for the multi-process scheduler suite: a Nest application context with the host's
 * ScheduleModule.forRoot() and QuickBooksAuthModule on the shared MariaDB database, pointed at
 * the emulator that runs in the test process. Driven over IPC (see worker-protocol.ts).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { QuickBooksAuthModule } from '@quickbooks-auth/nestjs';
import { RefreshScheduler } from '@quickbooks-auth/nestjs/auth/refresh-scheduler/refresh-scheduler.service';
import { RefreshStatus } from '@quickbooks-auth/nestjs/auth/refresh/refresh-status.service';
import type { WorkerCommand, WorkerConfig, WorkerReply } from './worker-protocol';

async function main(): Promise<void> {
  const started = Date.now();
  const config = JSON.parse(process.env.QB_WORKER_CONFIG ?? '{}') as WorkerConfig;
  let offsetMs = config.clockOffsetMs;
  const send = (msg: WorkerReply) => process.send?.(msg);

  @Module({
    imports: [
      ScheduleModule.forRoot(),
      QuickBooksAuthModule.forRoot({
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        redirectUri: config.redirectUri,
        encryptionKeys: config.encryptionKeys,
        stateSecret: config.stateSecret,
        intuitBaseUrl: config.emulatorUrl,
        instanceId: config.instanceId,
        storage: config.storage.type === 'typeorm' ? { ...config.storage, migrationsRun: false } : config.storage,
        clock: { now: () => Date.now() + offsetMs },
        leaseTtlMs: config.leaseTtlMs,
        refreshLeadSeconds: config.refreshLeadSeconds,
        // Under a loaded CI box a loopback connect can stall > 1 s in a busy event loop; stay under the lease.
        http: { connectTimeoutMs: Math.max(1, Math.min(2500, config.leaseTtlMs - 500)) },
        // A loaded CI box can fail a few loopback connects; a short half-open keeps that from
        // pausing a worker for longer than the test waits per simulated step.
        scheduler: {
          tickSeconds: config.tickSeconds,
          concurrency: config.concurrency,
          batchSize: config.batchSize,
          breakerHalfOpenSeconds: 2,
          proactive: 'all',
        },
      }),
    ],
  })
  class WorkerModule {}

  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error', 'warn'] });
  const scheduler = app.get(RefreshScheduler);
  const status = app.get(RefreshStatus);
  process.on('message', (cmd: WorkerCommand) => {
    switch (cmd.type) {
      case 'clock':
        offsetMs = cmd.offsetMs;
        send({ type: 'ack', seq: cmd.seq });
        void scheduler.tick(); // pick up what the jump made due without waiting for the interval
        break;
      case 'stats':
        send({
          type: 'stats',
          seq: cmd.seq,
          stats: {
            instanceId: config.instanceId,
            counters: { ...scheduler.counters },
            inFlight: status.inFlight,
            breakerState: status.breakerState,
            lastTickLagMs: status.lastTickLagMs,
          },
        });
        break;
      case 'stop':
        void app.close().then(() => {
          send({ type: 'ack', seq: cmd.seq });
          process.exit(0);
        });
        break;
    }
  });
  send({ type: 'ready', bootMs: Date.now() - started });
}

main().catch((err) => {
  process.send?.({ type: 'error', message: (err as Error)?.message ?? String(err) } satisfies WorkerReply);
  process.exit(1);
});
