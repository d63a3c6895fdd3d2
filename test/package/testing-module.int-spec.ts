/**
 * `@quickbooks-auth/nestjs/testing`: createQuickBooksTestingModule boots the module against an
 * in-process emulator and hands back a realm connected through the real consent flow.
 */
import { Injectable } from '@nestjs/common';
import { TokenService } from '@quickbooks-auth/nestjs';
import { startIntuitEmulator } from '@quickbooks-auth/intuit-emulator';
import { createQuickBooksTestingModule, type QuickBooksTesting } from '@quickbooks-auth/nestjs/testing';

@Injectable()
class CompanyNameReader {
  constructor(private readonly tokens: TokenService) {}

  read(tenantId: string, realmId: string, apiBase: string): Promise<string> {
    return this.tokens.withAccessToken({ tenantId, realmId }, async (token) => {
      const res = await fetch(`${apiBase}/v3/company/${realmId}/companyinfo/${realmId}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      });
      const body = (await res.json()) as { CompanyInfo: { CompanyName: string } };
      return body.CompanyInfo.CompanyName;
    });
  }
}

describe('createQuickBooksTestingModule', () => {
  let qb: QuickBooksTesting | null = null;
  afterEach(async () => {
    await qb?.close();
    qb = null;
  });

  it('returns a configured module and a connected realm; the emulator clock ages its tokens', async () => {
    qb = await createQuickBooksTestingModule({ providers: [CompanyNameReader] });
    expect(qb.realm).toEqual({ tenantId: 'test-tenant', realmId: expect.any(String) });
    const { tenantId, realmId } = qb.realm!;
    expect(await qb.storage.get(qb.realm!)).toMatchObject({ status: 'active' });
    const first = await qb.tokens.getAccessToken({ tenantId, realmId });
    expect(await qb.app.get(CompanyNameReader).read(tenantId, realmId, qb.emulator.url)).toEqual(expect.any(String));

    qb.emulator.state.clock.advance(2 * 3600); // past the access token's hour
    const second = await qb.tokens.getAccessToken({ tenantId, realmId });
    expect(second).not.toBe(first);
    expect(qb.emulator.state.store.latestGrantForRealm(realmId)!.refreshes).toBe(1);
    expect(qb.logs.text()).not.toContain(second);
  });

  it('connects more tenants on demand, or none at start', async () => {
    qb = await createQuickBooksTestingModule({ connectTenant: false, options: { accessTokenCacheSeconds: 0 } });
    expect(qb.realm).toBeNull();
    const a = await qb.connectRealm('tenant-a');
    const b = await qb.connectRealm('tenant-b', '9130350000000001');
    expect(b.realmId).toBe('9130350000000001');
    expect((await qb.tokens.listConnections('tenant-a')).map((c) => c.realmId)).toEqual([a.realmId]);
  });

  it('shares an emulator the caller started and leaves it running on close', async () => {
    const intuit = await startIntuitEmulator();
    try {
      qb = await createQuickBooksTestingModule({ emulator: intuit });
      expect(qb.options.intuitBaseUrl).toBe(intuit.url);
      await qb.close();
      qb = null;
      const discovery = await fetch(intuit.discoveryUrl);
      expect(discovery.status).toBe(200);
    } finally {
      await intuit.close();
    }
  });
});
