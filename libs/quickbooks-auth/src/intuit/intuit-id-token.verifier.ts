import { Inject, Injectable } from '@nestjs/common';
import { createLocalJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import type { CallbackVerificationReason } from '../errors/callback-verification.error';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import { constantTimeEqual } from '../utils/crypto/constant-time-equal';
import { IntuitDiscoveryService } from './intuit-discovery.service';
import { IntuitJwks } from './intuit-jwks.service';

/** Clock difference tolerated on `exp` and `iat` (the app's clock against Intuit's). */
export const ID_TOKEN_CLOCK_TOLERANCE_SECONDS = 120;
/** An id_token is minted by the very exchange we just made: an older one is not this exchange's. */
export const ID_TOKEN_MAX_AGE_SECONDS = 600;

/** What the id_token must say. */
export interface IdTokenExpectation {
  /** The client id the code was exchanged with (`aud`). */
  clientId: string;
  /** The OIDC nonce bound to this callback's state. */
  nonce: string;
  /** The callback's `realmId` (Intuit's `realmid` claim). */
  realmId: string;
}

/** An id_token that is not this exchange's; `reason` says which check failed (never the token). */
export class IdTokenRejected extends Error {
  constructor(readonly reason: Exclude<CallbackVerificationReason, 'id_token_missing'>) {
    super(`id_token rejected: ${reason}`);
    this.name = 'IdTokenRejected';
  }
}

/**
 * Verifies Intuit's id_token with jose: RS256 only, signed by a key of the discovery document's
 * `jwks_uri` (an unknown `kid` refetches the key set once), `iss` equal to the discovery issuer,
 * `aud` containing our client id, `exp` and `iat` on the app clock with a small tolerance, then
 * the `nonce` and the `realmid`. Throws IdTokenRejected, or QuickBooksUnavailableError when the
 * keys cannot be fetched.
 */
@Injectable()
export class IntuitIdTokenVerifier {
  constructor(
    private readonly discovery: IntuitDiscoveryService,
    private readonly jwks: IntuitJwks,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
  ) {}

  /** Loads discovery and the key set ahead of a code exchange, so verifying after it needs no fetch. */
  async prepare(): Promise<void> {
    await this.jwks.keys();
  }

  async verify(idToken: string, expected: IdTokenExpectation): Promise<void> {
    const claims = await this.verifySigned(idToken, expected.clientId);
    if (typeof claims.nonce !== 'string' || !constantTimeEqual(claims.nonce, expected.nonce)) throw new IdTokenRejected('nonce_mismatch');
    if (typeof claims.realmid !== 'string' || claims.realmid !== expected.realmId) throw new IdTokenRejected('realm_mismatch');
  }

  private async verifySigned(idToken: string, clientId: string): Promise<JWTPayload> {
    const { issuer } = await this.discovery.endpoints();
    if (typeof issuer !== 'string' || !issuer) throw new IdTokenRejected('id_token_invalid');
    const check = async (keys: Parameters<typeof createLocalJWKSet>[0]) =>
      (
        await jwtVerify(idToken, createLocalJWKSet(keys), {
          algorithms: ['RS256'],
          issuer,
          audience: clientId,
          currentDate: new Date(this.options.clock.now()),
          clockTolerance: ID_TOKEN_CLOCK_TOLERANCE_SECONDS,
          maxTokenAge: ID_TOKEN_MAX_AGE_SECONDS,
          requiredClaims: ['exp', 'iat'],
        })
      ).payload;
    try {
      try {
        return await check(await this.jwks.keys());
      } catch (err) {
        // Intuit rotated its key since we cached the set: fetch it again, once.
        if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
        return await check(await this.jwks.refetch());
      }
    } catch (err) {
      if (err instanceof errors.JOSEError) throw new IdTokenRejected('id_token_invalid');
      throw err;
    }
  }
}
