import { realmIdProblem, tenantIdProblem } from '../../domain/connection-ref';
import type { IntuitEnvironment } from '../../domain/connection.interface';
import type { ImportedConnection } from './imported-connection';

/** An ImportedConnection after validation: every date a Date, scopes a list. */
export interface ValidImport {
  tenantId: string;
  realmId: string;
  environment: IntuitEnvironment;
  refreshToken: string;
  accessToken: string | null;
  accessTokenExpiresAt: Date | null;
  refreshTokenExpiresAt: Date | null;
  refreshTokenHardExpiresAt: Date | null;
  scopes: string[] | null;
}

const MAX_TOKEN = 4096;
const TOKEN_SHAPE = /^[\x21-\x7e]+$/; // printable ASCII, no spaces: what OAuth tokens are

/**
 * Validates one imported connection, returning every problem at once (field names, never
 * values: they may be tokens). `environment` is the module's.
 */
export function validateImport(input: ImportedConnection, environment: IntuitEnvironment): { value: ValidImport } | { problems: string[] } {
  const problems: string[] = [];
  const o = (input ?? {}) as unknown as Record<string, unknown>;
  // An import brings a new realm in, so it must be a QuickBooks company id (the domain's entry rule).
  for (const problem of [tenantIdProblem(o.tenantId), realmIdProblem(o.realmId)]) if (problem !== undefined) problems.push(problem);
  if (o.environment !== undefined && o.environment !== null && o.environment !== '' && o.environment !== environment) {
    problems.push(
      o.environment === 'sandbox' || o.environment === 'production'
        ? `environment must be ${environment} (this app's)`
        : 'environment must be "sandbox" or "production"',
    );
  }
  const token = (name: string, required: boolean): string | null => {
    const v = o[name];
    if (v === undefined || v === null || v === '') {
      if (required) problems.push(`${name} is required`);
      return null;
    }
    if (typeof v !== 'string' || v.length > MAX_TOKEN || !TOKEN_SHAPE.test(v)) {
      problems.push(`${name} must be a token: printable characters without spaces, at most ${MAX_TOKEN}`);
      return null;
    }
    return v;
  };
  const refreshToken = token('refreshToken', true);
  const accessToken = token('accessToken', false);
  const date = (name: string): Date | null => {
    const v = o[name];
    if (v === undefined || v === null || v === '') return null;
    const d =
      v instanceof Date
        ? v
        : typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))
          ? new Date(Number(v))
          : typeof v === 'string'
            ? new Date(v)
            : null;
    if (!d || Number.isNaN(d.getTime())) {
      problems.push(`${name} must be an ISO 8601 date or epoch milliseconds`);
      return null;
    }
    return d;
  };
  const accessTokenExpiresAt = date('accessTokenExpiresAt');
  const refreshTokenExpiresAt = date('refreshTokenExpiresAt');
  const refreshTokenHardExpiresAt = date('refreshTokenHardExpiresAt');
  if (accessToken && !accessTokenExpiresAt) problems.push('accessTokenExpiresAt is required with accessToken');
  let scopes: string[] | null = null;
  if (o.scopes !== undefined && o.scopes !== null && o.scopes !== '') {
    const list = Array.isArray(o.scopes) ? o.scopes : typeof o.scopes === 'string' ? o.scopes.split(/\s+/).filter(Boolean) : null;
    if (!list || !list.every((s) => typeof s === 'string' && /^[\x21-\x7e]+$/.test(s)))
      problems.push('scopes must be a list of scope names (or one space-separated string)');
    else scopes = list as string[];
  }
  if (problems.length) return { problems };
  return {
    value: {
      tenantId: o.tenantId as string,
      realmId: o.realmId as string,
      environment,
      refreshToken: refreshToken!,
      accessToken,
      accessTokenExpiresAt: accessToken ? accessTokenExpiresAt : null,
      refreshTokenExpiresAt,
      refreshTokenHardExpiresAt,
      scopes,
    },
  };
}
