import type { EmulatorClock } from './clock';
import type { EmulatorConfig } from './config';
import type { IdTokenSigner } from './id-token';
import { newAccessToken, newRefreshToken, newSubject } from './ids';
import type { EmulatorStats } from './stats';
import type { AccessTokenRecord, AuthCodeRecord, Grant, TokenStore } from './token-store';

/** Intuit's bearer token response body. */
export interface TokenResponse {
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
  x_refresh_token_expires_in: number;
  access_token: string;
  id_token?: string;
  x_refresh_token_hard_expires_in?: number;
}

export interface OAuthErrorBody {
  error: string;
  error_description?: string;
}

export type TokenResult =
  | { ok: true; status: 200; body: TokenResponse; grant: Grant; rotated: boolean }
  | { ok: false; status: 400 | 401; body: OAuthErrorBody; grant?: Grant };

export type AccessCheck =
  { ok: true; record: AccessTokenRecord; grant: Grant } | { ok: false; reason: 'missing' | 'unknown' | 'expired' | 'revoked' };

interface Deps {
  clock: EmulatorClock;
  store: TokenStore;
  stats: EmulatorStats;
  config: () => EmulatorConfig;
  idTokens: IdTokenSigner;
}

const INVALID_CODE: OAuthErrorBody = { error: 'invalid_grant', error_description: 'Invalid authorization code' };

/**
 * Intuit's token semantics: code exchange, refresh with ~24 h rotation, rolling and hard expiry,
 * revocation of whole grants. Pure state transitions over the TokenStore; HTTP lives in routes/.
 */
export class EmulatorTokenIssuer {
  constructor(private readonly deps: Deps) {}

  exchangeCode(clientId: string, code: string | undefined, redirectUri: string | undefined, includeHard: boolean): TokenResult {
    const { store, clock, stats } = this.deps;
    const now = clock.now();
    const record: AuthCodeRecord | undefined = code ? store.codes.get(code) : undefined;
    if (!record || record.clientId !== clientId) return this.invalidGrant(INVALID_CODE);
    stats.realm(record.realmId, 'authorization_code');
    if (record.usedAt !== null) {
      // Replay: Intuit revokes what the code issued (an intercepted code must not stay useful).
      if (record.grant) this.revokeGrant(record.grant, 'authorization code replayed');
      return this.invalidGrant(INVALID_CODE, record.grant ?? undefined);
    }
    if (now >= record.expiresAt) return this.invalidGrant(INVALID_CODE);
    if (redirectUri !== record.redirectUri) {
      return this.invalidGrant({ error: 'invalid_grant', error_description: 'Invalid redirect_uri' });
    }
    // A realm is one environment's company: a client of the other cannot have consented to it.
    const realmEnvironment = store.realmEnvironment(record.realmId);
    if (realmEnvironment && realmEnvironment !== store.clientEnvironment(clientId)) return this.invalidGrant(INVALID_CODE);
    record.usedAt = now;
    const grant = this.createGrant(clientId, record.realmId, record.scopes, now);
    record.grant = grant;
    return { ok: true, status: 200, body: this.respond(grant, now, includeHard, { nonce: record.nonce }), grant, rotated: false };
  }

  refresh(clientId: string, refreshToken: string | undefined, includeHard: boolean): TokenResult {
    const { store, clock, stats } = this.deps;
    const config = this.deps.config();
    const now = clock.now();
    const record = refreshToken ? store.refreshTokens.get(refreshToken) : undefined;
    if (!record || record.grant.clientId !== clientId) return this.invalidGrant(this.refreshError());
    const grant = record.grant;
    stats.realm(grant.realmId, 'refresh_token');
    if (grant.status === 'revoked') return this.invalidGrant(this.refreshError(), grant);
    if (now >= grant.hardExpiresAt) return this.invalidGrant(this.refreshError(), grant);

    if (record.supersededAt !== null) {
      stats.supersededRefreshTokenUses += 1;
      grant.supersededUses += 1;
      const withinGrace = now - record.supersededAt < config.refreshGraceSeconds * 1000;
      if (!withinGrace) {
        if (config.reuseDetection) this.revokeGrant(grant, 'superseded refresh token reused');
        return this.invalidGrant(this.refreshError(), grant);
      }
      // Within grace the old token acts as the current one (and gets the current one back).
    }

    let current = grant.current;
    if (now >= current.expiresAt) return this.invalidGrant(this.refreshError(), grant);
    let rotated = false;
    if (now - current.issuedAt >= config.refreshRotationSeconds * 1000) {
      current = store.rotate(grant, {
        value: newRefreshToken(now),
        issuedAt: now,
        expiresAt: now + config.refreshTokenTtlSeconds * 1000,
      });
      stats.rotations += 1;
      stats.refreshIssued += 1;
      rotated = true;
    }
    grant.refreshes += 1;
    return { ok: true, status: 200, body: this.respond(grant, now, includeHard, null), grant, rotated };
  }

  /** Either an access or a refresh token of the grant disconnects the whole grant. */
  revoke(clientId: string, token: string | undefined): { ok: boolean; grant?: Grant } {
    const { store } = this.deps;
    if (!token) return { ok: false };
    const grant = store.refreshTokens.get(token)?.grant ?? store.accessTokens.get(token)?.grant;
    if (!grant || grant.clientId !== clientId) return { ok: false };
    // Revoking an already revoked grant is accepted: disconnect must be safe to retry.
    this.revokeGrant(grant, 'revoked by client');
    return { ok: true, grant };
  }

  checkAccessToken(header: string | undefined): AccessCheck {
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) return { ok: false, reason: 'missing' };
    const record = this.deps.store.accessTokens.get(match[1]);
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.grant.status === 'revoked') return { ok: false, reason: 'revoked' };
    if (this.deps.clock.now() >= record.expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, record, grant: record.grant };
  }

  /** Direct minting for tests: what a completed consent + code exchange would have produced. */
  mint(clientId: string, realmId: string, scopes: string[]): { grant: Grant; body: TokenResponse } {
    const now = this.deps.clock.now();
    const grant = this.createGrant(clientId, realmId, scopes, now);
    return { grant, body: this.respond(grant, now, true, null) };
  }

  revokeGrant(grant: Grant, reason: string): void {
    if (grant.status === 'revoked') return;
    this.deps.store.revokeGrant(grant, this.deps.clock.now(), reason);
    this.deps.stats.revokedGrants += 1;
  }

  private createGrant(clientId: string, realmId: string, scopes: string[], now: number): Grant {
    const config = this.deps.config();
    this.deps.stats.refreshIssued += 1;
    return this.deps.store.createGrant({
      clientId,
      realmId,
      scopes,
      sub: newSubject(),
      now,
      hardExpirySeconds: config.hardExpirySeconds,
      refreshToken: { value: newRefreshToken(now), issuedAt: now, expiresAt: now + config.refreshTokenTtlSeconds * 1000 },
    });
  }

  /**
   * Issues a fresh access token and renders the response for the grant's current refresh token.
   * `signIn` is the code exchange (an id_token when the grant has `openid`, with the authorize
   * request's nonce); null for refreshes and minting.
   */
  private respond(grant: Grant, now: number, includeHard: boolean, signIn: { nonce: string | null } | null): TokenResponse {
    const config = this.deps.config();
    const accessToken = newAccessToken();
    this.deps.store.addAccessToken(grant, accessToken, now, now + config.accessTokenTtlSeconds * 1000);
    this.deps.stats.accessIssued += 1;
    const rollingEnd = Math.min(grant.current.expiresAt, grant.hardExpiresAt);
    const body: TokenResponse = {
      token_type: 'bearer',
      expires_in: config.accessTokenTtlSeconds,
      refresh_token: grant.current.value,
      x_refresh_token_expires_in: Math.max(0, Math.floor((rollingEnd - now) / 1000)),
      access_token: accessToken,
    };
    // Like Intuit, id_token comes with the code exchange (OIDC sign-in), not with refreshes.
    if (signIn && grant.scopes.includes('openid')) {
      body.id_token = this.deps.idTokens.issue({
        clientId: grant.clientId,
        sub: grant.sub,
        realmId: grant.realmId,
        nowMs: now,
        authTimeMs: grant.createdAt,
        nonce: signIn.nonce,
      });
    }
    if (includeHard) body.x_refresh_token_hard_expires_in = Math.max(0, Math.floor((grant.hardExpiresAt - now) / 1000));
    return body;
  }

  private refreshError(): OAuthErrorBody {
    const description = this.deps.config().invalidGrantDescription;
    return description === null ? { error: 'invalid_grant' } : { error: 'invalid_grant', error_description: description };
  }

  private invalidGrant(body: OAuthErrorBody, grant?: Grant): TokenResult {
    this.deps.stats.invalidGrants += 1;
    return { ok: false, status: 400, body, grant };
  }
}
