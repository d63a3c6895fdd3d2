import type { IntuitEnvironment } from '../../domain/connection.interface';

/**
 * A connection made elsewhere (intuit-oauth, a hand-rolled table), as `TokenService.importConnection`
 * takes it. Only the ids and the refresh token are required; what is unknown is learnt at the
 * first refresh.
 * @publicApi
 */
export interface ImportedConnection {
  /** Your app's tenant the connection belongs to. */
  tenantId: string;
  /** The QuickBooks company (realm id). */
  realmId: string;
  /** Must be the module's environment when given (default: the module's). */
  environment?: IntuitEnvironment;
  /** The current refresh token. Never logged. */
  refreshToken: string;
  /** A current access token, with accessTokenExpiresAt; without it the first use refreshes. */
  accessToken?: string;
  /** When the access token expires (Date, ISO 8601 string or epoch ms). Required with accessToken. */
  accessTokenExpiresAt?: Date | string | number;
  /** Rolling refresh-token expiry, when known (unknown: taken as 100 days, corrected by the first refresh). */
  refreshTokenExpiresAt?: Date | string | number;
  /** The 5-year hard expiry, when known. */
  refreshTokenHardExpiresAt?: Date | string | number;
  /** Granted scopes (array or space-separated); default the module's scopes. */
  scopes?: string[] | string;
}

/** How importConnection writes. @publicApi */
export interface ImportOptions {
  /** Replace a connection that already exists for this tenant and realm (default: refuse it). */
  overwrite?: boolean;
  /** Validate and check for an existing connection, write nothing. */
  dryRun?: boolean;
}

/**
 * What importConnection did: `imported` (new), `overwritten` (replaced, with `overwrite`),
 * `exists` (left alone: a connection was already stored). With `dryRun`, what it would do.
 * @publicApi
 */
export type ImportOutcome = 'imported' | 'overwritten' | 'exists';
