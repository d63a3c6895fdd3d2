import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { createHash } from 'node:crypto';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import {
  QuickBooksAuthEvent,
  type ConnectedEvent,
  type ConnectionRecoveredEvent,
  type ExpiringEvent,
  type QuickBooksAuthEventBase,
  type ReauthRequiredEvent,
  type RefreshedEvent,
  type RefreshFailedEvent,
  type RevokedEvent,
} from './quickbooks-auth.events';
import { findHostEventEmitter, type HostEventEmitter } from './host-event-emitter';
import type { InternalSignal, InternalSignalListener } from './internal-signal';

/** Listener for in-module consumers of lifecycle events only (tests, UndecryptableConnections). */
export type AuthEventListener = (name: string, payload: QuickBooksAuthEventBase) => void;

/**
 * One place where token lifecycle events are logged and emitted. Payloads carry ids, codes and
 * `intuit_tid`, never tokens (I5). The host provides EventEmitter2 (EventEmitterModule.forRoot());
 * without it, or without `@nestjs/event-emitter` installed at all, events are only logged and
 * reach in-process subscribers (metrics).
 *
 * It is also the module's one internal signal (internal-signal.ts): producers (the Intuit client,
 * the refresher, UndecryptableConnections) call `signal()`, metrics `listen()`s. Chosen over
 * node:diagnostics_channel because its channels are process-wide: two apps in one process (tests,
 * the bench) would count each other's calls. Here each module instance hears only its own, and
 * only lifecycle signals reach the host's emitter (the public `quickbooks.*` contract).
 */
@Injectable()
export class AuthEventsPublisher implements OnModuleInit {
  private readonly logger = new Logger('QuickBooksAuth');
  private readonly listeners: InternalSignalListener[] = [];
  private emitter: HostEventEmitter | null = null;

  constructor(
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {}

  /** Every provider exists by now, the host's global EventEmitter2 included (if any). */
  onModuleInit(): void {
    if (!this.moduleRef) return;
    const found = findHostEventEmitter(this.moduleRef);
    this.emitter = found.emitter;
    if (found.emitter === null) {
      this.logger.log(
        found.reason === 'package_not_installed'
          ? 'events: @nestjs/event-emitter is not installed, quickbooks.* events are logged and counted only'
          : 'events: EventEmitterModule.forRoot() is not imported, quickbooks.* events are logged and counted only',
      );
    }
  }

  /** Every internal signal, lifecycle events included (metrics, tests, the bench). Never the host's. */
  listen(listener: InternalSignalListener): void {
    this.listeners.push(listener);
  }

  /** Lifecycle events only, in-process (the same signal, filtered). */
  subscribe(listener: AuthEventListener): void {
    this.listen((s) => {
      if (s.kind === 'lifecycle') listener(s.name, s.payload);
    });
  }

  /** Tell in-process listeners; nothing here reaches the host's EventEmitter2 or the logs. */
  signal(signal: InternalSignal): void {
    for (const listener of this.listeners) {
      try {
        listener(signal);
      } catch {
        // a broken listener must not break a refresh, a token call or a read
      }
    }
  }

  connected(e: ConnectedEvent): void {
    this.publish(QuickBooksAuthEvent.Connected, e, 'log', e.reconnected ? 'reconnected' : 'connected');
  }

  refreshed(e: RefreshedEvent): void {
    this.publish(
      QuickBooksAuthEvent.Refreshed,
      e,
      'debug',
      `refreshed (${e.trigger}${e.rotated ? ', refresh token rotated' : ''}, ${Math.round(e.latencyMs)} ms)`,
    );
  }

  refreshFailed(e: RefreshFailedEvent): void {
    this.publish(
      QuickBooksAuthEvent.RefreshFailed,
      e,
      'warn',
      `refresh failed: ${e.reason}${e.httpStatus ? ` (HTTP ${e.httpStatus})` : ''}, failures=${e.failureCount}`,
    );
  }

  reauthRequired(e: ReauthRequiredEvent): void {
    this.publish(QuickBooksAuthEvent.ReauthRequired, e, 'error', `reauthorization required: ${e.reason}`);
  }

  revoked(e: RevokedEvent): void {
    if (e.revokePending)
      this.publish(QuickBooksAuthEvent.Revoked, e, 'warn', 'disconnected; Intuit did not confirm the revoke, retrying it (revoke_pending)');
    else if (e.initiatedBy === 'quickbooks')
      this.publish(
        QuickBooksAuthEvent.Revoked,
        e,
        'log',
        'disconnected in QuickBooks by the customer (verified with Intuit: invalid_grant)',
      );
    else this.publish(QuickBooksAuthEvent.Revoked, e, 'log', `disconnected${e.revokedAtIntuit ? ' and revoked at Intuit' : ''}`);
  }

  expiring(e: ExpiringEvent): void {
    this.publish(QuickBooksAuthEvent.Expiring, e, 'warn', `${e.kind} token expires at ${e.expiresAt.toISOString()}`);
  }

  connectionRecovered(e: ConnectionRecoveredEvent): void {
    this.publish(QuickBooksAuthEvent.ConnectionRecovered, e, 'log', `connection recovered (${e.via}, was ${e.previousStatus})`);
  }

  /** Realm id as it may appear in logs: as is, or hashed when configured. */
  realmForLogs(realmId: string): string {
    return this.options.hashRealmIdsInLogs ? `h:${createHash('sha256').update(realmId).digest('hex').slice(0, 12)}` : realmId;
  }

  private publish(name: string, payload: QuickBooksAuthEventBase, level: 'log' | 'debug' | 'warn' | 'error', message: string): void {
    const realm = this.realmForLogs(payload.realmId);
    const line = `${message} tenant=${payload.tenantId} realm=${realm} cid=${payload.correlationId}${payload.intuitTid ? ` intuit_tid=${payload.intuitTid}` : ''}`;
    this.logger[level](line);
    this.signal({ kind: 'lifecycle', name, payload });
    if (this.emitter) {
      // Events go to the host's own code, which needs the real realm id to act (reconnect links).
      try {
        this.emitter.emit(name, payload);
      } catch (err) {
        this.logger.warn(`event listener for ${name} threw: ${(err as Error).message}`);
      }
    }
  }
}
