import type { StoredConnection } from '../../domain/connection.interface';
import type { IntuitCallFailure } from '../../intuit/intuit-call-failure';

/** Result of one refresh attempt on one connection. */
export type RefreshOutcome =
  /** New tokens stored (I2: stored before anyone sees the access token). */
  | { kind: 'refreshed'; connection: StoredConnection }
  /** Under the lease the stored token was already fresh: someone else refreshed. */
  | { kind: 'fresh'; connection: StoredConnection }
  /** Another owner holds the lease (or this process is draining): wait for it. `connection`: the row as read then. */
  | { kind: 'busy'; connection?: StoredConnection }
  /** The chain moved on (a newer token or a reconnect was stored meanwhile): re-read and retry. */
  | { kind: 'superseded' }
  /** Intuit refused the refresh token and storage holds nothing newer: needs_reauth (I4). */
  | { kind: 'reauth_required'; reason: string }
  /**
   * Parked: Intuit refused a token an earlier, unresolved call also sent, so that call may still
   * store a rotation (reauth_pending, no event); or a parked connection not yet reconcilable.
   */
  | { kind: 'pending'; retryAfterMs: number }
  /** Transient failure: the connection is intact; retry after `retryAfterMs`. */
  | { kind: 'transient'; failure: IntuitCallFailure; retryAfterMs: number }
  /** Not found, revoked or already needs_reauth. */
  | { kind: 'unavailable'; connection: StoredConnection | null };
