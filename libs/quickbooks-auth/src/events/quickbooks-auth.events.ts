import type { ConnectionRef } from '../domain/connection.interface';

/** Event names emitted through the host's EventEmitter2 (@nestjs/event-emitter). @publicApi */
export const QuickBooksAuthEvent = {
  Connected: 'quickbooks.connected',
  Refreshed: 'quickbooks.refreshed',
  RefreshFailed: 'quickbooks.refresh_failed',
  ReauthRequired: 'quickbooks.reauth_required',
  Revoked: 'quickbooks.revoked',
  Expiring: 'quickbooks.expiring',
  /** A connection that needed reconnecting (hard expiry near, needs_reauth, undecryptable) was reconnected to the same company. */
  ConnectionRecovered: 'quickbooks.connection_recovered',
} as const;
/** Any `quickbooks.*` event name (the values of `QuickBooksAuthEvent`). */
export type QuickBooksAuthEventName = (typeof QuickBooksAuthEvent)[keyof typeof QuickBooksAuthEvent];

/** Common payload: ids and codes only, never a token (I5). */
export interface QuickBooksAuthEventBase extends ConnectionRef {
  correlationId: string;
  intuitTid: string | null;
  at: Date;
}

export interface ConnectedEvent extends QuickBooksAuthEventBase {
  reconnected: boolean;
}

export interface RefreshedEvent extends QuickBooksAuthEventBase {
  /** Intuit returned a new refresh token value. */
  rotated: boolean;
  trigger: RefreshTrigger;
  accessTokenExpiresAt: Date;
  refreshTokenExpiresAt: Date;
  latencyMs: number;
}

export interface RefreshFailedEvent extends QuickBooksAuthEventBase {
  trigger: RefreshTrigger;
  reason: string;
  httpStatus: number | null;
  failureCount: number;
  nextAttemptAt: Date | null;
}

export interface ReauthRequiredEvent extends QuickBooksAuthEventBase {
  reason: string;
  reconnectUrl: string | null;
}

export interface RevokedEvent extends QuickBooksAuthEventBase {
  revokedAtIntuit: boolean;
  /** Intuit did not confirm the revoke: the connection is revoke_pending and the revoke is retried. */
  revokePending?: boolean;
  /** Who disconnected: this app (disconnect; the default when absent) or the customer inside QuickBooks (the Disconnect URL landing, verified with Intuit). */
  initiatedBy?: 'app' | 'quickbooks';
}

export interface ExpiringEvent extends QuickBooksAuthEventBase {
  /** access: near expiry without a successful refresh; refresh / refresh_hard: the customer must reconnect before `expiresAt`. */
  kind: 'access' | 'refresh' | 'refresh_hard';
  expiresAt: Date;
  /**
   * refresh_hard only: the warning horizon reached (days, one of scheduler.hardExpiryWarningDays).
   * Sent once per horizon and connection across replicas; a reconnect (new grant) starts over.
   */
  horizonDays?: number;
  /** refresh_hard only: where the customer reconnects (the `reconnectUrl` option), or null. */
  reconnectUrl?: string | null;
}

export interface ConnectionRecoveredEvent extends QuickBooksAuthEventBase {
  /** How it was reconnected: the reconnect flow (createReconnectUrl) or a plain connect over a connection that needed it. */
  via: 'reconnect_url' | 'connect';
  /** Its status before (`undecryptable` when its tokens could not be read). */
  previousStatus: string;
  /** The hard expiry of the grant it replaced, and of the new one (null: Intuit did not say). */
  previousHardExpiresAt: Date | null;
  refreshTokenHardExpiresAt: Date | null;
}

/** What started a refresh. */
export type RefreshTrigger = 'on_demand' | 'scheduled' | 'forced_401' | 'disconnect_check';
