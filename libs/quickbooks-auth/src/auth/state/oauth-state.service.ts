import { Inject, Injectable } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import type { ResolvedQuickBooksAuthOptions } from '../../config/resolved-options';
import { InvalidStateError } from '../../errors/invalid-state.error';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_STATE_NONCE_STORE } from '../../quickbooks-auth.constants';
import { constantTimeEqual } from '../../utils/crypto/constant-time-equal';
import type { StateNonceStore } from './state-nonce-store.interface';

/** What a state carries back through Intuit. */
export interface OAuthStatePayload {
  tenantId: string;
  /** Hash of the host's session id, when it has one: the callback must come from the same session. */
  sessionHash: string | null;
  nonce: string;
  /** Expiry, epoch ms. */
  exp: number;
  /** Where the host wants to send the user after connecting (opaque to the module). */
  returnTo: string | null;
  /** A reconnect flow: the only company the callback may bring back (absent in states of earlier releases). */
  reconnectRealmId?: string | null;
}

/**
 * OAuth `state`: random, HMAC-SHA256 signed, bound to tenant (and session where there is one),
 * single use, expiring after stateTtlSeconds (default 10 minutes). Format: base64url(json).sig
 *
 * The state protects the callback (it came back to the browser that started the flow), not the
 * code: each state also yields an OIDC `nonce`, sent in the authorize URL and checked in Intuit's
 * id_token, so a code from another authorize request cannot be redeemed with this state.
 */
@Injectable()
export class OAuthStateService {
  constructor(
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
    @Inject(QUICKBOOKS_STATE_NONCE_STORE) private readonly nonces: StateNonceStore,
  ) {}

  issue(params: { tenantId: string; sessionId?: string | null; returnTo?: string | null; reconnectRealmId?: string | null }): {
    state: string;
    expiresAt: Date;
    nonce: string;
  } {
    const exp = this.options.clock.now() + this.options.stateTtlSeconds * 1000;
    const payload: OAuthStatePayload = {
      tenantId: params.tenantId,
      sessionHash: params.sessionId ? this.hashSession(params.sessionId) : null,
      nonce: randomBytes(16).toString('base64url'),
      exp,
      returnTo: params.returnTo ?? null,
      ...(params.reconnectRealmId ? { reconnectRealmId: params.reconnectRealmId } : {}),
    };
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return { state: `${body}.${this.sign(body)}`, expiresAt: new Date(exp), nonce: this.oidcNonce(payload) };
  }

  /**
   * The OIDC nonce of a state: derived from its random single-use id with the state secret, so it
   * needs no storage, and nobody can produce the nonce of a state they did not get from us.
   */
  oidcNonce(payload: Pick<OAuthStatePayload, 'nonce'>): string {
    return createHmac('sha256', this.options.stateSecret).update(`oidc-nonce:v1:${payload.nonce}`).digest('base64url');
  }

  /** Verifies and consumes a state. Throws InvalidStateError for anything wrong; consumes only valid ones. */
  async consume(state: unknown, sessionId?: string | null): Promise<OAuthStatePayload> {
    if (typeof state !== 'string' || state.length === 0 || state.length > 4096) throw new InvalidStateError('missing or malformed');
    const dot = state.lastIndexOf('.');
    if (dot <= 0) throw new InvalidStateError('malformed');
    const body = state.slice(0, dot);
    if (!constantTimeEqual(state.slice(dot + 1), this.sign(body))) throw new InvalidStateError('signature does not match');
    let payload: OAuthStatePayload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidStateError('malformed');
    }
    if (
      typeof payload?.tenantId !== 'string' ||
      typeof payload.nonce !== 'string' ||
      typeof payload.exp !== 'number' ||
      !['string', 'undefined'].includes(typeof (payload.reconnectRealmId ?? undefined))
    ) {
      throw new InvalidStateError('malformed');
    }
    if (payload.exp < this.options.clock.now()) throw new InvalidStateError('expired');
    if (payload.sessionHash) {
      if (!sessionId || !constantTimeEqual(payload.sessionHash, this.hashSession(sessionId))) {
        throw new InvalidStateError('issued to another session');
      }
    }
    if (!(await this.nonces.consume(payload.nonce, new Date(payload.exp)))) throw new InvalidStateError('already used');
    return payload;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.options.stateSecret).update(`state:v1:${body}`).digest('base64url');
  }

  private hashSession(sessionId: string): string {
    return createHmac('sha256', this.options.stateSecret).update(`session:${sessionId}`).digest('base64url').slice(0, 22);
  }
}
