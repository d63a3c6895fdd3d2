import { DecryptionError, StorageError, type TokenStorage } from '@quickbooks-auth/nestjs';
import { connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';

const HOUR = 3600;

/**
 * Faults injected into the write of refreshed tokens, on the real memory backend: a reply lost
 * after the write committed, and an error that no retry can heal.
 */
describe('faults while storing refreshed tokens', () => {
  let h: Harness;
  let realSwap: TokenStorage['compareAndSwapTokens'];

  beforeAll(async () => {
    h = await startHarness({ storage: { type: 'memory' } });
    realSwap = h.storage.compareAndSwapTokens.bind(h.storage);
  });

  afterEach(() => {
    h.storage.compareAndSwapTokens = realSwap;
  });

  afterAll(() => h?.close());

  const refreshCalls = (realmId: string) => h.emulator.state.statsSnapshot().calls.byRealm[realmId]?.refresh_token ?? 0;

  it('a write that committed but whose answer was lost counts as stored, not superseded', async () => {
    const realmId = await connectTenant(h, 'tenant-lost-reply');
    const ref = { tenantId: 'tenant-lost-reply', realmId };
    let failed = false;
    h.storage.compareAndSwapTokens = async (...args) => {
      const stored = await realSwap(...args);
      if (!failed) {
        failed = true;
        throw new StorageError('connection reset while reading the reply', 'storage_unavailable');
      }
      return stored;
    };
    const events: string[] = [];
    h.logs.lines.length = 0;
    h.emulator.state.clock.advance(25 * HOUR);
    await expect(h.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
    events.push(...h.logs.lines);
    expect(failed).toBe(true);
    expect(refreshCalls(realmId)).toBe(1);
    expect(events.some((l) => l.includes('storing refreshed tokens failed, retrying'))).toBe(true);
    expect(events.some((l) => l.includes('refresh result not stored'))).toBe(false);
    expect((await h.tokens.getConnection(ref)).failureCount).toBe(0);
  });

  it('an error no retry can heal is not retried', async () => {
    const realmId = await connectTenant(h, 'tenant-bad-key');
    const ref = { tenantId: 'tenant-bad-key', realmId };
    let writes = 0;
    h.storage.compareAndSwapTokens = async () => {
      writes++;
      throw new DecryptionError('authentication failed');
    };
    h.emulator.state.clock.advance(2 * HOUR);
    const started = Date.now();
    await expect(h.tokens.getAccessToken(ref)).rejects.toBeInstanceOf(DecryptionError);
    expect(writes).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
