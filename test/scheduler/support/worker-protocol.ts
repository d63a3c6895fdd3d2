import type { RefreshSchedulerCounters } from '@quickbooks-auth/nestjs/auth/refresh-scheduler/refresh-scheduler.service';

/** Everything a refresh worker process needs to boot (sent as one JSON env var). */
export interface WorkerConfig {
  instanceId: string;
  /** Shared store of every worker (JSON-serializable storage options). */
  storage: { type: 'typeorm'; url: string } | { type: 'redis'; url: string; keyPrefix: string };
  emulatorUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  encryptionKeys: string;
  stateSecret: string;
  tickSeconds: number;
  concurrency: number;
  batchSize: number;
  leaseTtlMs: number;
  refreshLeadSeconds: number;
  /** App clock = Date.now() + offset; the test moves it with the emulator's. */
  clockOffsetMs: number;
}

/** Test -> worker. */
export type WorkerCommand =
  { type: 'clock'; offsetMs: number; seq: number } | { type: 'stats'; seq: number } | { type: 'stop'; seq: number };

export interface WorkerStats {
  instanceId: string;
  counters: RefreshSchedulerCounters;
  inFlight: number;
  breakerState: string;
  lastTickLagMs: number;
}

/** Worker -> test. */
export type WorkerReply =
  | { type: 'ready'; bootMs: number }
  | { type: 'ack'; seq: number }
  | { type: 'stats'; seq: number; stats: WorkerStats }
  | { type: 'error'; message: string };
