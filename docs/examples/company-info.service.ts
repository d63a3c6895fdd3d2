// README: calling the QBO API with a token from TokenService.
import { Injectable } from '@nestjs/common';
import { INTUIT_API_BASE_URLS, TokenService } from '@quickbooks-auth/nestjs';

// The QBO API host: production, sandbox, or the emulator (QB_API_BASE_URL / QB_INTUIT_BASE_URL).
const apiBase = process.env.QB_API_BASE_URL ?? INTUIT_API_BASE_URLS.sandbox;

@Injectable()
export class CompanyInfoService {
  constructor(private readonly tokens: TokenService) {}

  async companyName(tenantId: string, realmId: string): Promise<string> {
    // A token valid for at least minValiditySeconds; on a 401 it refreshes once and retries.
    return this.tokens.withAccessToken({ tenantId, realmId }, async (accessToken) => {
      const res = await fetch(`${apiBase}/v3/company/${realmId}/companyinfo/${realmId}`, {
        headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
      });
      if (res.status === 401) throw Object.assign(new Error('unauthorized'), { status: 401 });
      if (!res.ok) throw new Error(`QuickBooks API answered HTTP ${res.status}`);
      const body = (await res.json()) as { CompanyInfo: { CompanyName: string } };
      return body.CompanyInfo.CompanyName;
    });
  }
}
