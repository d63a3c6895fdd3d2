import { QuickBooksUnavailableError } from '@quickbooks-auth/nestjs';
import { connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';

/**
 * After a 401, the token QBO just rejected must never be handed back as "still valid": when
 * another holder keeps the lease past the wait, the caller gets a retryable error instead.
 */
describe('withAccessToken after a 401 while another replica holds the lease', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ storage: { type: 'memory' }, options: { accessTokenCacheSeconds: 0, leaseWaitTimeoutMs: 300 } });
  });
  afterAll(async () => h?.close());

  it('is a retryable QuickBooksUnavailableError, and the rejected token is not used again', async () => {
    const realmId = await connectTenant(h, 'tenant-busy-401');
    const ref = { tenantId: 'tenant-busy-401', realmId };
    // A replica that began a refresh and went silent: its lease outlives our wait.
    await h.storage.acquireLease(ref, 'silent-replica#1', 60_000);
    const seen: string[] = [];
    const err = await h.tokens
      .withAccessToken(ref, async (token) => {
        seen.push(token);
        throw Object.assign(new Error('Unauthorized'), { response: { status: 401 } });
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuickBooksUnavailableError);
    expect((err as QuickBooksUnavailableError).retryAfterMs).toBeGreaterThan(0);
    expect(seen).toHaveLength(1);
    expect(h.emulator.state.store.latestGrantForRealm(realmId)!.refreshes).toBe(0);
  });
});
