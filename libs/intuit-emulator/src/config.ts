/**
 * Intuit's two environments. An app's development keys are sandbox keys, its production keys
 * another client id and secret; each environment's tokens work only on its own QBO API host.
 */
export type EmulatorEnvironment = 'sandbox' | 'production';

/** Both environments, sandbox first. */
export const EMULATOR_ENVIRONMENTS: readonly EmulatorEnvironment[] = Object.freeze(['sandbox', 'production'] as const);

/** True for `'sandbox'` and `'production'`. */
export function isEmulatorEnvironment(value: unknown): value is EmulatorEnvironment {
  return value === 'sandbox' || value === 'production';
}

/** A registered OAuth app, as on the Intuit developer portal: redirect URIs must match exactly. */
export interface EmulatorClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Development (sandbox) or production keys; default the instance's `environment`. */
  environment?: EmulatorEnvironment;
}

/** Tunable Intuit behaviour. Defaults are Intuit's documented (or observed) values. */
export interface EmulatorConfig {
  /** `expires_in` of access tokens. */
  accessTokenTtlSeconds: number;
  /** How long a refresh token value is handed back unchanged before a refresh rotates it (~24 h). */
  refreshRotationSeconds: number;
  /** How long a superseded refresh token still refreshes after rotation (Intuit today: 0). */
  refreshGraceSeconds: number;
  /** Rolling `x_refresh_token_expires_in`, counted from the current refresh token's issue. */
  refreshTokenTtlSeconds: number;
  /** `x_refresh_token_hard_expires_in`: the 5-year cap counted from grant creation. */
  hardExpirySeconds: number;
  /** Revoke the whole token family when a superseded refresh token is presented. */
  reuseDetection: boolean;
  /** Per-realm QBO API limit (companyinfo), requests per emulator-clock minute. */
  rateLimitPerMinute: number;
  /** QBO API requests in flight at once per app and realm before 429 ThrottleExceeded (Intuit: 10). */
  concurrentRequestsPerRealm: number;
  /** Offset added to the `Date` header and `time` fields, to simulate a skewed Intuit clock. */
  clockSkewSeconds: number;
  /** Lifetime of an authorization code. */
  authCodeTtlSeconds: number;
  /** `error_description` on refresh invalid_grant; null = bare `{"error":"invalid_grant"}`. */
  invalidGrantDescription: string | null;
}

/** The issuer Intuit's discovery document and id_tokens carry (both environments). */
export const INTUIT_ISSUER = 'https://oauth.platform.intuit.com/op/v1';

export const DEFAULT_CONFIG: Readonly<EmulatorConfig> = Object.freeze({
  accessTokenTtlSeconds: 3600,
  refreshRotationSeconds: 86_400,
  refreshGraceSeconds: 0,
  refreshTokenTtlSeconds: 8_726_400,
  hardExpirySeconds: 157_680_000,
  reuseDetection: false,
  rateLimitPerMinute: 500,
  concurrentRequestsPerRealm: 10,
  clockSkewSeconds: 0,
  authCodeTtlSeconds: 600,
  invalidGrantDescription: null,
});

/** What `startEmulator` accepts. Every field is optional. */
export interface EmulatorOptions extends Partial<EmulatorConfig> {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  clients?: EmulatorClient[];
  /**
   * Default `'sandbox'`: the environment of clients registered without one, and the one the
   * un-prefixed QBO API and userinfo paths serve (`/sandbox/…` and `/production/…` name one).
   */
  environment?: EmulatorEnvironment;
  /** Approve authorize requests without showing the consent page. */
  autoApprove?: boolean | { enabled: boolean; realmId?: string };
  /** Default true: no per-request log lines (the CLI turns logging on). */
  quiet?: boolean;
  /** Overrides the discovery `issuer` and id_token `iss` (default `<url>/op/v1`, or Intuit's in intuitCompatible mode). */
  issuer?: string;
  /**
   * Intuit-compatible mode: discovery `issuer` and id_token `iss` are Intuit's own
   * `https://oauth.platform.intuit.com/op/v1`, which intuit-oauth's validateIdToken() requires.
   */
  intuitCompatible?: boolean;
  /**
   * When set, every control API request (`/_emulator/`) must carry `Authorization: Bearer <token>`
   * (16 to 512 printable characters). The OAuth endpoints never need it.
   */
  controlToken?: string;
  /**
   * Host names the control API answers to besides loopback (`localhost`, `127.0.0.0/8`, `::1`) and
   * `host`, e.g. a container's service name. Any other Host header is refused (DNS rebinding).
   */
  controlHosts?: string[];
}

const NUMERIC_KEYS = [
  'accessTokenTtlSeconds',
  'refreshRotationSeconds',
  'refreshGraceSeconds',
  'refreshTokenTtlSeconds',
  'hardExpirySeconds',
  'rateLimitPerMinute',
  'concurrentRequestsPerRealm',
  'clockSkewSeconds',
  'authCodeTtlSeconds',
] as const;

/**
 * Validates and merges a partial config update; throws with a readable message on bad input so
 * the control API can answer 400 instead of silently running with NaN lifetimes.
 */
export function mergeConfig(base: EmulatorConfig, patch: Record<string, unknown>): EmulatorConfig {
  const next: EmulatorConfig = { ...base };
  for (const key of NUMERIC_KEYS) {
    if (patch[key] === undefined) continue;
    const value = patch[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${key} must be a finite number`);
    if (key !== 'clockSkewSeconds' && value < 0) throw new Error(`${key} must be >= 0`);
    next[key] = value;
  }
  if (patch.reuseDetection !== undefined) {
    if (typeof patch.reuseDetection !== 'boolean') throw new Error('reuseDetection must be a boolean');
    next.reuseDetection = patch.reuseDetection;
  }
  if (patch.invalidGrantDescription !== undefined) {
    const d = patch.invalidGrantDescription;
    if (d !== null && typeof d !== 'string') throw new Error('invalidGrantDescription must be a string or null');
    next.invalidGrantDescription = d;
  }
  return next;
}
