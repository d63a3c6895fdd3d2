import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import type { TenantOverrides } from '../interfaces/quickbooks-auth-options.interface';
import type { IntuitClientCredentials } from '../intuit/intuit-oauth.client';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import { ConfigurationError } from '../errors/configuration.error';

/** Per-tenant settings: a tenant may bring its own Intuit app and lead time. */
@Injectable()
export class TenantSettingsService {
  constructor(@Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions) {}

  overridesFor(tenantId: string): Promise<TenantOverrides | undefined> {
    return this.options.tenantOverrides(tenantId);
  }

  async credentialsFor(tenantId: string): Promise<IntuitClientCredentials> {
    const o = await this.overridesFor(tenantId);
    if (Boolean(o?.clientId) !== Boolean(o?.clientSecret)) {
      // Half an override would silently use the module's app for this tenant: refuse instead.
      throw new ConfigurationError([`tenantOverrides for tenant ${tenantId} must give both clientId and clientSecret`]);
    }
    if (o?.clientId && o.clientSecret) return { clientId: o.clientId, clientSecret: o.clientSecret };
    return { clientId: this.options.clientId, clientSecret: this.options.clientSecret };
  }

  async redirectUriFor(tenantId: string): Promise<string> {
    return (await this.overridesFor(tenantId))?.redirectUri ?? this.options.redirectUri;
  }

  async leadSecondsFor(tenantId: string): Promise<number> {
    return (await this.overridesFor(tenantId))?.refreshLeadSeconds ?? this.options.refreshLeadSeconds;
  }
}
