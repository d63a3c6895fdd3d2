import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import type { TenantOverrides } from '../interfaces/quickbooks-auth-options.interface';
import type { IntuitClientCredentials } from '../intuit/intuit-oauth.client';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import { ConfigurationError } from '../errors/configuration.error';

/** One tenant's effective settings: its overrides over the module's options. */
export interface TenantSettings {
  credentials: IntuitClientCredentials;
  redirectUri: string;
  refreshLeadSeconds: number;
}

/** Per-tenant settings: a tenant may bring its own Intuit app and lead time. */
@Injectable()
export class TenantSettingsService {
  constructor(@Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions) {}

  overridesFor(tenantId: string): Promise<TenantOverrides | undefined> {
    return this.options.tenantOverrides(tenantId);
  }

  /**
   * Everything a token call and its write need for one tenant, from one `tenantOverrides` lookup:
   * read before the call, so a failing lookup can never strand tokens Intuit already issued.
   */
  async settingsFor(tenantId: string): Promise<TenantSettings> {
    const o = await this.overridesFor(tenantId);
    if (Boolean(o?.clientId) !== Boolean(o?.clientSecret)) {
      // Half an override would silently use the module's app for this tenant: refuse instead.
      throw new ConfigurationError([`tenantOverrides for tenant ${tenantId} must give both clientId and clientSecret`]);
    }
    return {
      credentials:
        o?.clientId && o.clientSecret
          ? { clientId: o.clientId, clientSecret: o.clientSecret }
          : { clientId: this.options.clientId, clientSecret: this.options.clientSecret },
      redirectUri: o?.redirectUri ?? this.options.redirectUri,
      refreshLeadSeconds: o?.refreshLeadSeconds ?? this.options.refreshLeadSeconds,
    };
  }

  async credentialsFor(tenantId: string): Promise<IntuitClientCredentials> {
    return (await this.settingsFor(tenantId)).credentials;
  }
}
