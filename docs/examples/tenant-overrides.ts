// docs/configuration.md: per-tenant overrides (a tenant with its own Intuit app).
import { Injectable, Module } from '@nestjs/common';
import { QuickBooksAuthModule, quickBooksOptionsFromEnv, type TenantOverrides } from '@quickbooks-auth/nestjs';

/** Your own lookup: a table, a secret manager, a config file. */
@Injectable()
export class TenantAppsRepository {
  private readonly apps = new Map<string, TenantOverrides>([
    ['tenant-with-own-app', { clientId: 'AB…', clientSecret: 'secret…', redirectUri: 'https://partner.example.com/qb/callback' }],
    ['tenant-with-short-lead', { refreshLeadSeconds: 900 }],
  ]);

  async find(tenantId: string): Promise<TenantOverrides | undefined> {
    return this.apps.get(tenantId);
  }
}

@Module({ providers: [TenantAppsRepository], exports: [TenantAppsRepository] })
export class TenantAppsModule {}

export const quickBooksWithOverrides = QuickBooksAuthModule.forRootAsync({
  imports: [TenantAppsModule],
  inject: [TenantAppsRepository],
  useFactory: (apps: TenantAppsRepository) => ({
    ...quickBooksOptionsFromEnv(),
    // Called on every connect, refresh and revoke for that tenant: keep it fast (cache it).
    tenantOverrides: (tenantId: string) => apps.find(tenantId),
  }),
});
