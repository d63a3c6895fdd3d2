// README: calling the QBO API through the library's QuickBooksApiClient.
import { Injectable } from '@nestjs/common';
import { QuickBooksApiClient } from '@quickbooks-auth/nestjs';

@Injectable()
export class CompanyInfoService {
  // Calls go to the module's own API base (intuitBaseUrl, else Intuit's host for `environment`):
  // pointing the module at the emulator points these calls there too.
  constructor(private readonly qbo: QuickBooksApiClient) {}

  async companyName(tenantId: string, realmId: string): Promise<string> {
    // The token comes from withAccessToken: valid for minValiditySeconds; a 401 refreshes once and retries.
    const info = await this.qbo.getCompanyInfo({ tenantId, realmId });
    return info.CompanyName;
  }

  async activeCustomers(tenantId: string, realmId: string): Promise<unknown[]> {
    // QBO's query language; request() reaches any other path under /v3/company/{realmId}/.
    const res = await this.qbo.query({ tenantId, realmId }, 'select * from Customer where Active = true maxresults 100');
    return (res.Customer as unknown[] | undefined) ?? [];
  }
}
