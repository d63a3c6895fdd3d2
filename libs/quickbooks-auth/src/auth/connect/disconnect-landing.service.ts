import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ResolvedQuickBooksAuthOptions } from '../../config/resolved-options';
import { AuthEventsPublisher } from '../../events/auth-events.publisher';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../../quickbooks-auth.constants';
import { AccessTokenCache } from '../access-token-cache';
import type { ConnectionRef } from '../../domain/connection.interface';
import { isQuickBooksRealmId } from '../../domain/connection-ref';
import { TokenRefresher } from '../refresh/token-refresher.service';
import type { TokenStorage } from '../storage/token-storage.interface';
import { isUndecryptable } from '../storage/undecryptable-record';

/** What the Disconnect URL landing found for one connection to the company (for the host's logs, never for the caller). */
export type DisconnectLandingOutcome =
  /** Intuit refused its refresh token (invalid_grant): the customer did disconnect; marked revoked. */
  | 'revoked'
  /** Intuit refreshed it: the customer did not disconnect this app from this company; nothing changed. */
  | 'still_connected'
  /** Intuit could not confirm either way (unreachable, another refresh in flight, in doubt), or the connection changed since Intuit's answer (a reconnect stored a new grant): nothing changed here; the next refresh finds out. */
  | 'not_verified'
  /** Already disconnected here, or its tokens cannot be read: nothing to verify. */
  | 'already_disconnected';

/**
 * What `ConnectService.handleDisconnectLanding` did. For the host's logs and tests only: the
 * landing is anonymous, so its HTTP answer must be the same whatever this says (no realm probing).
 */
export interface DisconnectLandingResult {
  /** Per connection to the company (a company may be connected by several tenants); empty for an unknown or malformed realm. */
  connections: Array<ConnectionRef & { outcome: DisconnectLandingOutcome }>;
  /** True when the landing was not verified at all: malformed realm, or the same company was checked moments ago (cooldown). */
  skipped: boolean;
}

/** The same company is verified with Intuit at most this often per process: an anonymous caller cannot make us spend token calls. */
export const DISCONNECT_LANDING_COOLDOWN_MS = 60_000;
/** Companies remembered for the cooldown (bounded: a flood of made-up realm ids cannot grow memory). */
const MAX_REMEMBERED = 10_000;
/** Connections to one company checked per landing (a company connected by more tenants than this is unusual). */
const MAX_CONNECTIONS = 25;

/**
 * Intuit's Disconnect URL: when a customer disconnects the app inside QuickBooks, Intuit sends
 * their browser to it with `?realmId=`. Anyone can call that URL, so nothing in the request is
 * trusted: each connection to that company is refreshed with Intuit (single-flight under the
 * lease), and only an `invalid_grant` answer (the grant is gone at Intuit) marks it revoked and
 * emits `quickbooks.revoked` with `initiatedBy: 'quickbooks'`. That revoke is fenced on the refused
 * refresh token (one conditional write, `markRevoked` with a `RevokeFence`): a reconnect stored
 * after Intuit's answer is a new grant and is never wiped. A healthy connection is refreshed
 * and kept, so the landing cannot disconnect anyone; a company is verified at most once a minute
 * per process, so it cannot be used to spend token calls either.
 */
@Injectable()
export class DisconnectLanding {
  private readonly logger = new Logger('QuickBooksAuth');
  /** realm id -> app-clock ms of its last verification. */
  private readonly lastChecked = new Map<string, number>();

  constructor(
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    private readonly refresher: TokenRefresher,
    private readonly cache: AccessTokenCache,
    private readonly events: AuthEventsPublisher,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
  ) {}

  async handle(realmId: unknown): Promise<DisconnectLandingResult> {
    if (!isQuickBooksRealmId(realmId) || !this.takeTurn(realmId)) return { connections: [], skipped: true };
    const refs = await this.storage.listRefsByRealm(realmId, MAX_CONNECTIONS);
    const connections: DisconnectLandingResult['connections'] = [];
    for (const ref of refs) connections.push({ ...ref, outcome: await this.verify(ref) });
    const revoked = connections.filter((c) => c.outcome === 'revoked').length;
    this.logger.log(
      `disconnect landing realm=${this.events.realmForLogs(realmId)}: ${connections.length} connection(s) checked, ${revoked} revoked`,
    );
    return { connections, skipped: false };
  }

  private async verify(ref: ConnectionRef): Promise<DisconnectLandingOutcome> {
    const record = await this.storage.getRecord(ref);
    if (!record || isUndecryptable(record) || record.status === 'revoked' || record.status === 'revoke_pending')
      return 'already_disconnected';
    const correlationId = randomUUID();
    let refusedFingerprint: string;
    if (record.status === 'needs_reauth') {
      // Intuit already answered invalid_grant for this token: that is the verification.
      refusedFingerprint = record.refreshTokenFingerprint;
    } else {
      const outcome = await this.refresher.refresh(ref, { trigger: 'disconnect_check', isFresh: () => false, correlationId });
      if (outcome.kind === 'refreshed') return 'still_connected';
      if (outcome.kind !== 'reauth_required') return 'not_verified';
      refusedFingerprint = record.refreshTokenFingerprint;
    }
    // Only the token Intuit refused, in one fenced write: a reconnect stored at any moment before
    // it (a new grant, a new fingerprint) is kept, and then nothing is revoked here.
    if (!(await this.storage.markRevoked(ref, { refusedFingerprint }))) return 'not_verified';
    this.cache.evict(ref);
    this.events.revoked({
      ...ref,
      correlationId,
      intuitTid: null,
      at: new Date(this.options.clock.now()),
      revokedAtIntuit: false,
      initiatedBy: 'quickbooks',
    });
    return 'revoked';
  }

  /** True when this company may be verified now (cooldown per process), and records the turn. */
  private takeTurn(realmId: string): boolean {
    const now = this.options.clock.now();
    const last = this.lastChecked.get(realmId);
    if (last !== undefined && now - last < DISCONNECT_LANDING_COOLDOWN_MS && now >= last) return false;
    if (this.lastChecked.size >= MAX_REMEMBERED) {
      for (const [key, at] of this.lastChecked) if (now - at >= DISCONNECT_LANDING_COOLDOWN_MS) this.lastChecked.delete(key);
      for (const key of this.lastChecked.keys()) {
        if (this.lastChecked.size < MAX_REMEMBERED * 0.9) break;
        this.lastChecked.delete(key);
      }
    }
    this.lastChecked.delete(realmId);
    this.lastChecked.set(realmId, now);
    return true;
  }
}
