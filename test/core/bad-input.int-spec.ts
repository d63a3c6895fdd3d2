import { InvalidCallbackError, QuickBooksUnavailableError, ConnectionNotFoundError } from '@quickbooks-auth/nestjs';
import { approveAtEmulator, connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';

const HOUR = 3600;

/** I8: bad input from callers, callbacks and Intuit yields typed errors; nothing is lost. */
describe('bad input (I8)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ storage: { type: 'memory' } });
  });
  afterAll(async () => h?.close());

  it.each(['garbage', 'html'] as const)(
    'a %s body from the token endpoint is a transient (in-doubt) error; the connection survives',
    async (type) => {
      const realmId = await connectTenant(h, `tenant-${type}`);
      const other = await connectTenant(h, 'tenant-bystander');
      const ref = { tenantId: `tenant-${type}`, realmId };
      const before = await h.storage.get(ref);
      h.emulator.state.clock.advance(2 * HOUR);
      // Twice: an unusable answer is in doubt (the rotation may have happened), so the refresher
      // tries the same token once more at once before it gives up for now.
      h.emulator.state.faults.add({ endpoint: 'token', type, count: 2 });
      await expect(h.tokens.getAccessToken(ref)).rejects.toBeInstanceOf(QuickBooksUnavailableError);
      const after = (await h.storage.get(ref))!;
      expect(after.status).toBe('active');
      expect(after.refreshToken).toBe(before!.refreshToken);
      expect(after.lastErrorCode).toBe('bad_response');
      // The next attempt works, and nobody else noticed.
      await expect(h.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
      await expect(h.tokens.getAccessToken({ tenantId: 'tenant-bystander', realmId: other })).resolves.toEqual(expect.any(String));
    },
  );

  it('callback parameters that are missing or malformed are refused before any exchange', async () => {
    const codeCalls = () => h.emulator.state.statsSnapshot().calls.byGrant.authorization_code;
    const cases: Array<Record<string, unknown>> = [
      { realmId: 'not-a-realm' },
      { realmId: '123; DROP TABLE' },
      { realmId: ['1', '2'] },
      { code: '' },
      { code: 'x'.repeat(5000) },
      { code: { nested: true } },
    ];
    for (const patch of cases) {
      const query = await approveAtEmulator(h, (await h.connect.createAuthorizeUrl({ tenantId: 'tenant-cb' })).url);
      const before = codeCalls();
      await expect(h.connect.handleCallback({ query: { ...query, ...patch } })).rejects.toBeInstanceOf(InvalidCallbackError);
      expect(codeCalls()).toBe(before);
    }
    expect(await h.tokens.listConnections('tenant-cb')).toHaveLength(0);
  });

  it('malformed connection refs are typed errors, never queries', async () => {
    for (const ref of [
      { tenantId: '', realmId: '1' },
      { tenantId: 't', realmId: '../1' },
      { tenantId: 't', realmId: undefined as unknown as string },
    ]) {
      await expect(h.tokens.getAccessToken(ref)).rejects.toBeInstanceOf(ConnectionNotFoundError);
    }
  });
});
