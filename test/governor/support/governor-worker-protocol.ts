import type { MintedConnection } from '@quickbooks-auth/intuit-emulator';

/** How the parent configures one governor replica (passed in the environment as JSON). */
export interface GovernorWorkerConfig {
  instanceId: string;
  emulatorUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  encryptionKeys: string;
  stateSecret: string;
  tenantId: string;
  connection: MintedConnection;
  clockOffsetMs: number;
  maxRequestsPerMinutePerRealm: number;
  /** Redis shared limiter, or null for per-process limits. */
  shared: { url: string; keyPrefix: string } | null;
}

export type GovernorWorkerCommand =
  | { type: 'calls'; seq: number; count: number }
  | { type: 'clock'; seq: number; offsetMs: number }
  | { type: 'status'; seq: number }
  | { type: 'stop'; seq: number };

/** What a replica has seen so far. */
export interface GovernorWorkerStatus {
  ok: number;
  /** Every 429 the replica was answered (the governor's own hook: resent or not). */
  throttled: number;
  failed: Record<string, number>;
  queued: number;
}

export type GovernorWorkerReply =
  { type: 'ready' } | { type: 'error'; message: string } | { type: 'done'; seq: number; status?: GovernorWorkerStatus };
