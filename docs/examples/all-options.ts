// docs/configuration.md: every option of QuickBooksAuthModule.forRoot, with its default.
import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { QuickBooksAuthModule, type QuickBooksAuthModuleOptions } from '@quickbooks-auth/nestjs';

export const options: QuickBooksAuthModuleOptions = {
  // Required
  clientId: process.env.QB_CLIENT_ID!,
  clientSecret: process.env.QB_CLIENT_SECRET!,
  redirectUri: 'https://app.example.com/quickbooks/callback',
  encryptionKeys: process.env.QB_ENCRYPTION_KEYS!, // 'k2:<base64 32 bytes>,k1:<base64 32 bytes>'
  stateSecret: process.env.QB_STATE_SECRET!, // at least 32 characters
  storage: { type: 'typeorm', url: process.env.DATABASE_URL! },

  // Intuit
  environment: 'production', // default 'sandbox'
  scopes: ['com.intuit.quickbooks.accounting', 'openid'], // the default; openid is always added
  intuitBaseUrl: undefined, // e.g. 'http://127.0.0.1:4100' for the emulator
  discoveryUrl: undefined, // default: Intuit's discovery document for `environment`
  apiBaseUrl: undefined, // default: Intuit's QBO API host for `environment`
  reconnectUrl: 'https://app.example.com/settings/quickbooks?reconnect={realmId}',

  // Tokens
  refreshLeadSeconds: 1800,
  minValiditySeconds: 300,
  stateTtlSeconds: 600,
  accessTokenCacheSeconds: 30,
  accessTokenCacheMaxEntries: 10_000,

  // Leases and timeouts
  leaseTtlMs: 90_000,
  leaseWaitTimeoutMs: 30_000,
  reauthPendingMs: 600_000,
  revokeReplacedGrants: false,
  http: { connectTimeoutMs: 10_000, socketTimeoutMs: 60_000, requestTimeoutMs: 15_000 },

  // Proactive refresh
  scheduler: {
    enabled: true,
    tickSeconds: 30,
    concurrency: 16,
    batchSize: 200,
    keepAliveSeconds: 86_400,
    jitterRatio: 0.2,
    proactive: 'recent', // or 'all'
    recentWindowSeconds: 7200,
    refreshExpiryWarningSeconds: 30 * 86_400,
    hardExpiryWarningDays: [90, 30, 7], // reconnect warnings before the 5-year cap
    maxTokenCallsPerSecond: undefined, // unlimited
    tickBudgetSeconds: 60, // default tickSeconds + 30
    breakerConsecutiveFailures: 5,
    breakerHalfOpenSeconds: 30,
  },

  // Per tenant, process, logs
  tenantOverrides: undefined,
  instanceId: undefined, // default hostname:pid:random
  clock: undefined, // default the system clock
  hashRealmIdsInLogs: false,
  metricsTenantLabel: undefined, // off; e.g. { tenants: ['acme'], maxValues: 50 }

  // QBO API governor and monthly call meter
  apiGovernor: {
    enabled: true,
    maxConcurrentPerRealm: 10,
    maxRequestsPerMinutePerRealm: 500,
    queueTimeoutMs: 30_000,
    maxQueuedPerRealm: 1000,
    throttleRetries: 2,
    throttleBackoffMs: 1000,
    shared: undefined, // { type: 'redis', url: process.env.REDIS_URL } shares the limits across replicas
    meter: { monthlyCorePlusBudget: 500_000 },
  },
};

@Module({
  imports: [
    ScheduleModule.forRoot(),
    QuickBooksAuthModule.forRoot({ ...options, isGlobal: true, registerHealthController: false }),
  ],
})
export class AllOptionsModule {}
