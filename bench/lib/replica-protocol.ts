import type { QuickBooksAuthModuleOptions, StorageOptions } from '@quickbooks-auth/nestjs';

/** How a replica's clock follows the emulator's (which runs in the parent process). */
export type ReplicaClock =
  /** Emulator time = wall time + offset (the parent sends updates). */
  | { kind: 'offset'; offsetMs: number }
  /** Emulator time runs `rate` times faster than wall time from (realStartMs, emuStartMs). */
  | { kind: 'accelerated'; realStartMs: number; emuStartMs: number; rate: number };

export interface ReplicaInit {
  name: string;
  emulatorUrl: string;
  storage: StorageOptions;
  clock: ReplicaClock;
  options?: Partial<QuickBooksAuthModuleOptions>;
  /** Count every SQL statement the module sends (TypeORM url storage only). */
  countStatements?: boolean;
  /** Report token calls and protocol signals as they happen (chaos attribution, see protocol-tap). */
  tapProtocol?: boolean;
}

/** Parent → replica. */
export type ReplicaRequest =
  | { id: number; type: 'init'; init: ReplicaInit }
  | { id: number; type: 'set-offset'; offsetMs: number }
  | { id: number; type: 'stampede'; tenantId: string; realmId: string; callers: number; startAt: number }
  | { id: number; type: 'load'; tenantId: string; realmIds: string[]; concurrency: number }
  | { id: number; type: 'stats' }
  | { id: number; type: 'stop' };

/** Replica → parent: a reply to a request, or an unsolicited report (tokens served, protocol events). */
export type ReplicaMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }
  | { report: 'served'; samples: ServedSample[]; errors: Record<string, number> }
  | { report: 'protocol'; event: ProtocolEvent };

/**
 * What a replica's refresh protocol did, sent to the chaos parent the moment it happens so a
 * SIGKILL right after cannot lose it. Refresh tokens appear only as key-ring fingerprints (the
 * parent fingerprints the emulator's tokens with the same key ring); `at` is wall-clock ms.
 * - sent: a refresh-token call is leaving (call numbers are per replica);
 * - answered: it came back, with the new token's fingerprint if it differs from the sent one;
 * - rotation_received: TokenRefresher.observe saw the new refresh token (not yet stored);
 * - signal: any other RefreshSignal kind (with its reason), for counters.
 */
export type ProtocolEvent =
  | { kind: 'sent'; call: number; sentFp: string; at: number }
  | { kind: 'answered'; call: number; sentFp: string; newFp: string | null; error: string | null; at: number }
  | { kind: 'rotation_received'; sentFp: string; newFp: string; at: number }
  | { kind: 'signal'; name: string; at: number; /** drained: how many refreshes shutdown waited for. */ count?: number };

/** One access token a replica handed out, checked by the parent against the emulator's records. */
export interface ServedSample {
  realmId: string;
  /** SHA-256 (hex) of the access token handed out: the parent hashes the emulator's the same way. */
  accessTokenSha256: string;
  /** The replica's (emulator-following) clock when getAccessToken returned. */
  servedAt: number;
  expiresAt: number;
  /** Wall-clock ms when the call started and returned (to excuse a SIGSTOP in between). */
  wallStart: number;
  wallEnd: number;
  /** Wall ms the replica's event loop stood still between the module's last clock reading and wallEnd (see EventLoopStalls). */
  stalledMs: number;
}

export interface ReplicaStats {
  maxRssMb: number;
  /** User + system CPU time of the replica so far. */
  cpuMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** process.memoryUsage() now, MB: what the RSS is made of. */
  memory: { rssMb: number; heapUsedMb: number; heapTotalMb: number; externalMb: number };
  statements: number;
  statementsByKind: Record<string, number>;
  scheduler: Record<string, number>;
  /** Refresh-grant token calls this replica sent, and their latency as it saw them (send to parsed answer). */
  tokenCalls: { count: number; totalMs: number };
}
