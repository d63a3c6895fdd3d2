import { EmulatorClock } from './clock';
import { controlAccessPolicy, type ControlAccessPolicy } from './control-guard';
import {
  DEFAULT_CONFIG,
  INTUIT_ISSUER,
  isEmulatorEnvironment,
  mergeConfig,
  type EmulatorClient,
  type EmulatorConfig,
  type EmulatorEnvironment,
  type EmulatorOptions,
} from './config';
import { FaultRegistry } from './faults';
import { IdTokenSigner } from './id-token';
import { isValidRealmId, RealmIdGenerator } from './ids';
import { ConcurrencyLimiter } from './concurrency-limiter';
import { RealmRateLimiter } from './rate-limiter';
import { EmulatorStats, type StatsSnapshot } from './stats';
import { EmulatorTokenIssuer } from './emulator-token-issuer';
import { TokenStore, type Grant } from './token-store';

export const DEFAULT_SCOPE = 'com.intuit.quickbooks.accounting';

export interface MintRequest {
  /** Defaults to the only registered client when exactly one is registered. */
  clientId?: string;
  /** Only with count 1; otherwise fresh realm ids are generated. */
  realmId?: string;
  /** Space-separated string or array; default com.intuit.quickbooks.accounting. */
  scope?: string | string[];
  /** 1..100000, default 1. */
  count?: number;
}

export interface MintedConnection {
  realmId: string;
  access_token: string;
  refresh_token: string;
  expires_in: number;
  x_refresh_token_expires_in: number;
  x_refresh_token_hard_expires_in: number;
  id_token?: string;
}

export interface RealmSummary {
  realmId: string;
  clientId: string;
  /** The environment whose company the realm is. */
  environment: EmulatorEnvironment;
  /** active | revoked | expired (rolling or hard expiry passed). */
  status: 'active' | 'revoked' | 'expired';
  grants: number;
  scopes: string[];
  rotations: number;
  refreshes: number;
  supersededUses: number;
  createdAt: string;
  hardExpiresAt: string;
  refreshTokenIssuedAt: string;
  refreshTokenExpiresAt: string;
  revokedAt: string | null;
  revokedReason: string | null;
  calls: { refresh_token: number; authorization_code: number };
}

export interface AutoApproveSetting {
  enabled: boolean;
  realmId?: string;
}

/**
 * Everything one emulator instance knows, plus the operations both the control API and
 * in-process tests use (`running.state`): clock, config, faults, stats, minting, reset.
 */
export class EmulatorState {
  readonly clock = new EmulatorClock();
  /** Of clients registered without one, and of the un-prefixed QBO API and userinfo paths. */
  readonly environment: EmulatorEnvironment;
  readonly store: TokenStore;
  readonly stats = new EmulatorStats();
  readonly faults = new FaultRegistry();
  readonly rateLimiter = new RealmRateLimiter();
  readonly concurrency = new ConcurrencyLimiter();
  readonly realmIds = new RealmIdGenerator();
  readonly idTokens: IdTokenSigner;
  readonly tokens: EmulatorTokenIssuer;
  /** Who may use the control API (Host names, optional token): fixed at start. */
  readonly controlAccess: ControlAccessPolicy;
  config: EmulatorConfig;
  autoApprove: AutoApproveSetting = { enabled: false };
  /** Set once the server listens; discovery and id_token `iss` derive from it. */
  baseUrl = '';

  constructor(private readonly options: EmulatorOptions = {}) {
    if (options.environment !== undefined && !isEmulatorEnvironment(options.environment)) {
      throw new Error('environment must be "sandbox" or "production"');
    }
    this.environment = options.environment ?? 'sandbox';
    this.store = new TokenStore(this.environment);
    this.config = mergeConfig({ ...DEFAULT_CONFIG }, options as Record<string, unknown>);
    this.controlAccess = controlAccessPolicy(options);
    this.idTokens = new IdTokenSigner(() => this.issuer);
    this.tokens = new EmulatorTokenIssuer({
      clock: this.clock,
      store: this.store,
      stats: this.stats,
      config: () => this.config,
      idTokens: this.idTokens,
    });
    this.applyStartOptions();
  }

  get issuer(): string {
    return this.options.issuer ?? (this.options.intuitCompatible ? INTUIT_ISSUER : `${this.baseUrl}/op/v1`);
  }

  /** The server's own idea of now, including simulated skew (Date header, `time` fields). */
  serverNow(): number {
    return this.clock.now() + this.config.clockSkewSeconds * 1000;
  }

  registerClient(client: EmulatorClient): void {
    this.store.registerClient(client);
  }

  setAutoApprove(enabled: boolean, realmId?: string): void {
    if (typeof enabled !== 'boolean') throw new Error('enabled must be a boolean');
    if (realmId !== undefined && (typeof realmId !== 'string' || !isValidRealmId(realmId))) {
      throw new Error('realmId must be 10-19 digits');
    }
    this.autoApprove = realmId ? { enabled, realmId } : { enabled };
  }

  updateConfig(patch: Partial<EmulatorConfig>): EmulatorConfig {
    this.config = mergeConfig(this.config, patch as Record<string, unknown>);
    return { ...this.config };
  }

  mint(request: MintRequest = {}): MintedConnection[] {
    const clientId = request.clientId ?? (this.store.clients.size === 1 ? [...this.store.clients.keys()][0] : undefined);
    if (!clientId || !this.store.clients.has(clientId)) throw new Error('clientId must name a registered client');
    const count = request.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new Error('count must be an integer 1..100000');
    if (request.realmId !== undefined) {
      if (typeof request.realmId !== 'string' || !isValidRealmId(request.realmId)) throw new Error('realmId must be 10-19 digits');
      if (count !== 1) throw new Error('realmId can only be given with count 1');
      const realmEnvironment = this.store.realmEnvironment(request.realmId);
      const clientEnvironment = this.store.clientEnvironment(clientId);
      if (realmEnvironment && realmEnvironment !== clientEnvironment) {
        throw new Error(`realmId ${request.realmId} is a ${realmEnvironment} company; a ${clientEnvironment} client cannot connect it`);
      }
    }
    const scopes = parseScopes(request.scope ?? DEFAULT_SCOPE);
    const out: MintedConnection[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const realmId = request.realmId ?? this.realmIds.next();
      const { body } = this.tokens.mint(clientId, realmId, scopes);
      out[i] = {
        realmId,
        access_token: body.access_token,
        refresh_token: body.refresh_token,
        expires_in: body.expires_in,
        x_refresh_token_expires_in: body.x_refresh_token_expires_in,
        x_refresh_token_hard_expires_in: body.x_refresh_token_hard_expires_in ?? 0,
      };
    }
    return out;
  }

  /** What QBO "My Apps -> Disconnect" does: every grant of the realm dies. Returns how many. */
  revokeRealm(realmId: string): number {
    const grants = this.store.grantsByRealm.get(realmId) ?? [];
    let revoked = 0;
    for (const grant of grants) {
      if (grant.status === 'revoked') continue;
      this.tokens.revokeGrant(grant, 'disconnected in QuickBooks');
      revoked += 1;
    }
    return revoked;
  }

  realmSummary(realmId: string): RealmSummary | null {
    const grant = this.store.latestGrantForRealm(realmId);
    if (!grant) return null;
    const iso = (ms: number): string => new Date(ms).toISOString();
    return {
      realmId,
      clientId: grant.clientId,
      environment: grant.environment,
      status: this.grantStatus(grant),
      grants: this.store.grantsByRealm.get(realmId)?.length ?? 0,
      scopes: [...grant.scopes],
      rotations: grant.rotations,
      refreshes: grant.refreshes,
      supersededUses: grant.supersededUses,
      createdAt: iso(grant.createdAt),
      hardExpiresAt: iso(grant.hardExpiresAt),
      refreshTokenIssuedAt: iso(grant.current.issuedAt),
      refreshTokenExpiresAt: iso(grant.current.expiresAt),
      revokedAt: grant.revokedAt === null ? null : iso(grant.revokedAt),
      revokedReason: grant.revokedReason,
      calls: this.stats.realmCalls(realmId),
    };
  }

  statsSnapshot(): StatsSnapshot {
    return this.stats.snapshot(this.store.fates(this.clock.now()));
  }

  /** Back to exactly what startEmulator was given: no tokens, faults, stats, or clock offset. */
  reset(): void {
    this.store.clear();
    this.faults.clear();
    this.stats.reset();
    this.rateLimiter.clear();
    this.concurrency.clear();
    this.clock.set(0);
    this.config = mergeConfig({ ...DEFAULT_CONFIG }, this.options as Record<string, unknown>);
    this.autoApprove = { enabled: false };
    this.applyStartOptions();
  }

  private grantStatus(grant: Grant): RealmSummary['status'] {
    if (grant.status === 'revoked') return 'revoked';
    const now = this.clock.now();
    if (now >= grant.hardExpiresAt || now >= grant.current.expiresAt) return 'expired';
    return 'active';
  }

  private applyStartOptions(): void {
    for (const client of this.options.clients ?? []) this.registerClient(client);
    const auto = this.options.autoApprove;
    if (typeof auto === 'boolean') this.setAutoApprove(auto);
    else if (auto) this.setAutoApprove(auto.enabled, auto.realmId);
  }
}

export function parseScopes(scope: string | string[]): string[] {
  const list = Array.isArray(scope) ? scope : String(scope).split(/[\s+]+/);
  return [...new Set(list.map((s) => s.trim()).filter(Boolean))];
}
