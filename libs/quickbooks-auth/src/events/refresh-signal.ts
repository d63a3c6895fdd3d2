import type { ConnectionRef } from '../domain/connection.interface';
import type { RefreshTrigger } from './quickbooks-auth.events';

/**
 * What the refresh protocol noticed, for metrics, chaos attribution and tests. Ids and
 * fingerprints only, never a token (I5).
 * - lease_busy: a refresh found the lease held by another owner.
 * - send_refused: beginCall (or the local send deadline) refused: nothing was sent (I9).
 * - inflight_wait: a new holder waited out an earlier holder's unresolved call before sending.
 * - lease_lost_after_send: a heartbeat renewal failed while the token call was out.
 * - rotation_received: Intuit answered with a new refresh token (not yet stored).
 * - reauth_parked: an invalid_grant parked the connection as reauth_pending.
 * - drained: shutdown waited for the refreshes in flight.
 */
export type RefreshSignal =
  | { kind: 'lease_busy'; trigger: RefreshTrigger }
  | { kind: 'send_refused'; ref: ConnectionRef; reason: SendRefusal }
  | { kind: 'inflight_wait'; ref: ConnectionRef; waitedMs: number }
  | { kind: 'lease_lost_after_send'; ref: ConnectionRef }
  | { kind: 'rotation_received'; ref: ConnectionRef; sentFingerprint: string; newFingerprint: string }
  | { kind: 'reauth_parked'; ref: ConnectionRef }
  | { kind: 'drained'; count: number; tookMs: number; leftRunning: number };

/** Why nothing was sent. */
export type SendRefusal = 'lease_lost' | 'lease_short' | 'moved' | 'inflight' | 'send_deadline' | 'shutdown' | 'store_unavailable';
