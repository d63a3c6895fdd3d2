/**
 * One replica for the shared-limiter suite: QuickBooksAuthModule in its own process (memory
 * storage holding one connection), pointed at the emulator in the test process, with or without
 * the Redis shared limiter. Driven over IPC (governor-worker-protocol.ts).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ApiGovernor,
  QUICKBOOKS_TOKEN_STORAGE,
  QuickBooksApiClient,
  QuickBooksApiError,
  QuickBooksAuthModule,
  type TokenStorage,
} from '@quickbooks-auth/nestjs';
import { ApiGovernorMetrics } from '@quickbooks-auth/nestjs/governor/api-governor-metrics';
import type { GovernorWorkerCommand, GovernorWorkerConfig, GovernorWorkerReply, GovernorWorkerStatus } from './governor-worker-protocol';

async function main(): Promise<void> {
  const config = JSON.parse(process.env.QB_GOVERNOR_WORKER ?? '{}') as GovernorWorkerConfig;
  let offsetMs = config.clockOffsetMs;
  const send = (msg: GovernorWorkerReply) => process.send?.(msg);
  const clock = { now: () => Date.now() + offsetMs };

  @Module({
    imports: [
      QuickBooksAuthModule.forRoot({
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        redirectUri: config.redirectUri,
        encryptionKeys: config.encryptionKeys,
        stateSecret: config.stateSecret,
        intuitBaseUrl: config.emulatorUrl,
        instanceId: config.instanceId,
        storage: { type: 'memory' },
        clock,
        scheduler: { enabled: false },
        // A 429 the limits let through must show: no resend.
        apiGovernor: {
          throttleRetries: 0,
          queueTimeoutMs: 120_000,
          maxRequestsPerMinutePerRealm: config.maxRequestsPerMinutePerRealm,
          ...(config.shared ? { shared: { type: 'redis' as const, url: config.shared.url, keyPrefix: config.shared.keyPrefix } } : {}),
        },
      }),
    ],
  })
  class WorkerModule {}

  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error', 'warn'] });
  await app.init();
  const m = config.connection;
  const now = clock.now();
  await app.get<TokenStorage>(QUICKBOOKS_TOKEN_STORAGE).saveConnection({
    tenantId: config.tenantId,
    realmId: m.realmId,
    environment: 'sandbox',
    scopes: ['com.intuit.quickbooks.accounting'],
    accessToken: m.access_token,
    refreshToken: m.refresh_token,
    accessTokenExpiresAt: new Date(now + m.expires_in * 1000),
    refreshTokenExpiresAt: new Date(now + m.x_refresh_token_expires_in * 1000),
    refreshTokenHardExpiresAt: null,
    nextRefreshAt: new Date(now + 30 * 60_000),
  });
  const api = app.get(QuickBooksApiClient);
  const governor = app.get(ApiGovernor);
  const metrics = app.get(ApiGovernorMetrics);
  const status: GovernorWorkerStatus = { ok: 0, throttled: 0, failed: {}, queued: 0 };
  const throttled = metrics.throttled.bind(metrics);
  metrics.throttled = (outcome) => {
    status.throttled += 1;
    throttled(outcome);
  };
  const ref = { tenantId: config.tenantId, realmId: m.realmId };

  process.on('message', (cmd: GovernorWorkerCommand) => {
    switch (cmd.type) {
      case 'calls':
        for (let i = 0; i < cmd.count; i++) {
          api.getCompanyInfo(ref).then(
            () => void (status.ok += 1),
            (err: unknown) => {
              const kind = err instanceof QuickBooksApiError ? `api_${err.status}` : ((err as Error)?.name ?? 'other');
              status.failed[kind] = (status.failed[kind] ?? 0) + 1;
            },
          );
        }
        send({ type: 'done', seq: cmd.seq });
        break;
      case 'clock':
        offsetMs = cmd.offsetMs;
        send({ type: 'done', seq: cmd.seq });
        break;
      case 'status':
        send({ type: 'done', seq: cmd.seq, status: { ...status, failed: { ...status.failed }, queued: governor.queued } });
        break;
      case 'stop':
        void app.close().then(() => {
          send({ type: 'done', seq: cmd.seq });
          process.exit(0);
        });
        break;
    }
  });
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  process.send?.({ type: 'error', message: (err as Error)?.message ?? String(err) });
  process.exit(1);
});
