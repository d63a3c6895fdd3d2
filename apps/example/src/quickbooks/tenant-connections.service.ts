import { Injectable } from '@nestjs/common';
import {
  ConnectionNotFoundError,
  ConnectService,
  QuickBooksApiClient,
  TokenService,
  type ConnectionSummary,
} from '@quickbooks-auth/nestjs';
import type { Caller } from '../auth/caller';

/**
 * The caller's connections. Every method takes the Caller, never a tenant id, so no route can
 * reach another tenant's connection (I7): the library answers ConnectionNotFoundError for those.
 */
@Injectable()
export class TenantConnectionsService {
  constructor(
    private readonly tokens: TokenService,
    private readonly connect: ConnectService,
    private readonly qbo: QuickBooksApiClient,
  ) {}

  /** Live connections (active or needing reauth); disconnected ones are history, not shown. */
  async list(caller: Caller): Promise<ConnectionSummary[]> {
    const all = await this.tokens.listConnections(caller.tenantId);
    return all.filter((c) => c.status !== 'revoked').sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async get(caller: Caller, realmId: string): Promise<ConnectionSummary> {
    const c = await this.tokens.getConnection({ tenantId: caller.tenantId, realmId });
    if (c.status === 'revoked') throw new ConnectionNotFoundError(caller.tenantId, realmId);
    return c;
  }

  disconnect(caller: Caller, realmId: string): Promise<{ revokedAtIntuit: boolean; revokePending?: boolean }> {
    return this.connect.disconnect({ tenantId: caller.tenantId, realmId });
  }

  /**
   * CompanyInfo through the library's QuickBooksApiClient (withAccessToken inside): a 401 from QBO forces one refresh and one retry. When no
   * newer token can be had in time (another replica's refresh, or a dead replica's lease), the
   * library throws a retryable QuickBooksUnavailableError (503 with Retry-After), never the token
   * QBO just rejected.
   */
  companyInfo(caller: Caller, realmId: string): Promise<Record<string, unknown>> {
    return this.qbo.getCompanyInfo({ tenantId: caller.tenantId, realmId });
  }
}
