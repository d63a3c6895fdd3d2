import { timingSafeEqual } from 'node:crypto';
import { isEmulatorEnvironment, type EmulatorClient, type EmulatorEnvironment } from './config';

/**
 * In-memory state of the emulated Intuit authorization server. Every lookup a request needs is
 * a Map keyed by the token, code or realm it carries, so per-request work stays O(1) even with
 * 100k connections minted.
 */

export type GrantStatus = 'active' | 'revoked';
export type TokenFate = 'active' | 'superseded' | 'revoked' | 'expired';

/** One consent = one realm + one app = one token family (Intuit's "grant"). */
export interface Grant {
  id: number;
  clientId: string;
  /** Its client's environment at code exchange (or mint): the only namespace its tokens work in. */
  environment: EmulatorEnvironment;
  realmId: string;
  scopes: string[];
  /** OIDC subject: stable per grant so userinfo/id_token agree. */
  sub: string;
  createdAt: number;
  hardExpiresAt: number;
  status: GrantStatus;
  revokedAt: number | null;
  revokedReason: string | null;
  /** The refresh token a refresh currently accepts (older ones are superseded). */
  current: RefreshTokenRecord;
  rotations: number;
  refreshes: number;
  supersededUses: number;
}

export interface RefreshTokenRecord {
  value: string;
  grant: Grant;
  issuedAt: number;
  /** Rolling expiry: issue + refreshTokenTtlSeconds. */
  expiresAt: number;
  supersededAt: number | null;
}

export interface AccessTokenRecord {
  value: string;
  grant: Grant;
  issuedAt: number;
  expiresAt: number;
}

export interface AuthCodeRecord {
  code: string;
  clientId: string;
  redirectUri: string;
  realmId: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  /** The authorize request's OIDC `nonce`, echoed in the id_token of the exchange (null: none sent). */
  nonce: string | null;
  /** The grant this code produced: revoked if the code is replayed. */
  grant: Grant | null;
}

/** Expired access tokens and unused codes are forgotten this long after their expiry… */
const PRUNE_AFTER_EXPIRY_MS = 3_600_000;
/** …by a sweep once per this many access tokens issued. */
export const PRUNE_EVERY_ISSUES = 50_000;

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export class TokenStore {
  /** Registered clients; `environment` always set (the store's default when registered without one). */
  readonly clients = new Map<string, EmulatorClient & { environment: EmulatorEnvironment }>();
  readonly codes = new Map<string, AuthCodeRecord>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  /** realmId -> grants, newest last (a realm may be connected to several apps or re-consented). */
  readonly grantsByRealm = new Map<string, Grant[]>();
  private nextGrantId = 1;
  private issuesSincePrune = 0;

  /** `defaultEnvironment`: of clients registered without one. */
  constructor(readonly defaultEnvironment: EmulatorEnvironment = 'sandbox') {}

  registerClient(client: EmulatorClient): void {
    if (!client || typeof client.clientId !== 'string' || !client.clientId) throw new Error('clientId is required');
    if (typeof client.clientSecret !== 'string' || !client.clientSecret) throw new Error('clientSecret is required');
    if (!Array.isArray(client.redirectUris) || client.redirectUris.some((u) => typeof u !== 'string')) {
      throw new Error('redirectUris must be an array of strings');
    }
    if (client.environment !== undefined && !isEmulatorEnvironment(client.environment)) {
      throw new Error('environment must be "sandbox" or "production"');
    }
    this.clients.set(client.clientId, {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      redirectUris: [...client.redirectUris],
      environment: client.environment ?? this.defaultEnvironment,
    });
  }

  authenticateClient(clientId: string | undefined, clientSecret: string | undefined): EmulatorClient | null {
    if (!clientId || clientSecret === undefined) return null;
    const client = this.clients.get(clientId);
    if (!client) return null;
    return safeEqual(client.clientSecret, clientSecret) ? client : null;
  }

  saveCode(record: AuthCodeRecord): void {
    this.codes.set(record.code, record);
  }

  /** The environment a client's grants belong to (the store's default for an unregistered one). */
  clientEnvironment(clientId: string): EmulatorEnvironment {
    return this.clients.get(clientId)?.environment ?? this.defaultEnvironment;
  }

  /** The environment whose company this realm is (undefined: never connected). */
  realmEnvironment(realmId: string): EmulatorEnvironment | undefined {
    return this.latestGrantForRealm(realmId)?.environment;
  }

  /** `environment` defaults to the client's. */
  createGrant(input: {
    clientId: string;
    environment?: EmulatorEnvironment;
    realmId: string;
    scopes: string[];
    sub: string;
    now: number;
    hardExpirySeconds: number;
    refreshToken: RefreshTokenInit;
  }): Grant {
    const grant = {
      id: this.nextGrantId++,
      clientId: input.clientId,
      environment: input.environment ?? this.clientEnvironment(input.clientId),
      realmId: input.realmId,
      scopes: input.scopes,
      sub: input.sub,
      createdAt: input.now,
      hardExpiresAt: input.now + input.hardExpirySeconds * 1000,
      status: 'active',
      revokedAt: null,
      revokedReason: null,
      rotations: 0,
      refreshes: 0,
      supersededUses: 0,
    } as Omit<Grant, 'current'> as Grant;
    grant.current = this.addRefreshToken(grant, input.refreshToken);
    const list = this.grantsByRealm.get(input.realmId);
    if (list) list.push(grant);
    else this.grantsByRealm.set(input.realmId, [grant]);
    return grant;
  }

  /** Replaces the grant's current refresh token; the old one becomes superseded. */
  rotate(grant: Grant, init: RefreshTokenInit): RefreshTokenRecord {
    grant.current.supersededAt = init.issuedAt;
    grant.current = this.addRefreshToken(grant, init);
    grant.rotations += 1;
    return grant.current;
  }

  addAccessToken(grant: Grant, value: string, issuedAt: number, expiresAt: number): AccessTokenRecord {
    const record = { value, grant, issuedAt, expiresAt };
    this.accessTokens.set(value, record);
    this.maybePrune(issuedAt);
    return record;
  }

  revokeGrant(grant: Grant, now: number, reason: string): void {
    if (grant.status === 'revoked') return;
    grant.status = 'revoked';
    grant.revokedAt = now;
    grant.revokedReason = reason;
  }

  latestGrantForRealm(realmId: string): Grant | undefined {
    const list = this.grantsByRealm.get(realmId);
    return list?.[list.length - 1];
  }

  refreshFate(record: RefreshTokenRecord, now: number): TokenFate {
    if (record.grant.status === 'revoked') return 'revoked';
    if (record.supersededAt !== null) return 'superseded';
    if (now >= record.expiresAt || now >= record.grant.hardExpiresAt) return 'expired';
    return 'active';
  }

  /** Counts refresh tokens by fate; O(n), only called from stats. */
  fates(now: number): Record<TokenFate, number> {
    const out: Record<TokenFate, number> = { active: 0, superseded: 0, revoked: 0, expired: 0 };
    for (const record of this.refreshTokens.values()) out[this.refreshFate(record, now)] += 1;
    return out;
  }

  clear(): void {
    this.clients.clear();
    this.codes.clear();
    this.refreshTokens.clear();
    this.accessTokens.clear();
    this.grantsByRealm.clear();
    this.issuesSincePrune = 0;
  }

  private addRefreshToken(grant: Grant, init: RefreshTokenInit): RefreshTokenRecord {
    const record: RefreshTokenRecord = { value: init.value, grant, issuedAt: init.issuedAt, expiresAt: init.expiresAt, supersededAt: null };
    this.refreshTokens.set(init.value, record);
    return record;
  }

  /**
   * Long benchmarks issue millions of access tokens; drop ones that expired over an hour ago
   * (amortised: one sweep per 50k issues) so memory stays flat. An expired token and an
   * unknown one both answer 401, so forgetting them changes nothing observable.
   *
   * A sweep walks from the oldest issue and stops at the first token that may still be kept:
   * tokens are issued in Map order and share one TTL, so they expire in that order too. It used
   * to visit every token, a stall of about half a second per sweep with a million connections
   * minted (every request in flight waited for it). A TTL shortened at runtime, or a clock set
   * back, only makes later tokens wait for the older ones to be dropped: memory, never behaviour.
   */
  private maybePrune(now: number): void {
    if (++this.issuesSincePrune < PRUNE_EVERY_ISSUES) return;
    this.issuesSincePrune = 0;
    for (const [value, record] of this.accessTokens) {
      if (record.expiresAt + PRUNE_AFTER_EXPIRY_MS >= now) break;
      this.accessTokens.delete(value);
    }
    // Used codes stay (a replay revokes the grant it produced); the walk stops the same way.
    for (const [code, record] of this.codes) {
      if (record.expiresAt + PRUNE_AFTER_EXPIRY_MS >= now) break;
      if (record.usedAt === null) this.codes.delete(code);
    }
  }
}

export interface RefreshTokenInit {
  value: string;
  issuedAt: number;
  expiresAt: number;
}
