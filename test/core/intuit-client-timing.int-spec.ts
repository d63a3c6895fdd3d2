import { startHarness, connectTenant, type Harness } from '../support/quickbooks-harness';

const HOUR = 3600;

/**
 * Timing rules of the Intuit client: a sent token call is never aborted by an app timeout
 * (a lost response after rotation would kill the connection), and the server's Date header
 * reveals clock skew without putting tokens at risk (expiries count from request time).
 */
describe('Intuit client timing', () => {
  let h: Harness;

  beforeAll(async () => {
    // A request timeout far below the token endpoint's latency: it must not apply to token calls.
    h = await startHarness({
      storage: { type: 'memory' },
      options: { http: { requestTimeoutMs: 300, connectTimeoutMs: 1000, socketTimeoutMs: 10_000 } },
    });
  });
  afterAll(async () => h?.close());

  it('waits for a slow token response instead of aborting it', async () => {
    const realmId = await connectTenant(h, 'tenant-slow');
    const ref = { tenantId: 'tenant-slow', realmId };
    h.emulator.state.clock.advance(25 * HOUR); // this refresh rotates the refresh token
    h.emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs: 1_500, count: 1 });
    const started = Date.now();
    await expect(h.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(h.emulator.state.realmSummary(realmId)!.rotations).toBe(1);
    h.emulator.state.clock.advance(2 * HOUR);
    await expect(h.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
    expect(h.emulator.state.statsSnapshot().supersededRefreshTokenUses).toBe(0);
  });

  it('still aborts calls that are safe to abort (revoke) after requestTimeoutMs', async () => {
    const realmId = await connectTenant(h, 'tenant-slow');
    h.emulator.state.faults.add({ endpoint: 'revoke', type: 'latency', latencyMs: 2_000, count: 1 });
    await expect(h.connect.disconnect({ tenantId: 'tenant-slow', realmId })).rejects.toMatchObject({ code: 'quickbooks_unavailable' });
    // Nothing was marked: the connection is still there to disconnect again.
    expect((await h.tokens.getConnection({ tenantId: 'tenant-slow', realmId })).status).toBe('active');
  });

  it('detects clock skew from the Date header and keeps expiries relative to request time', async () => {
    const realmId = await connectTenant(h, 'tenant-skew');
    h.emulator.state.updateConfig({ clockSkewSeconds: 300 });
    try {
      h.emulator.state.clock.advance(HOUR - 100);
      await h.tokens.getAccessToken({ tenantId: 'tenant-skew', realmId });
      expect(h.logs.lines.some((l) => /clock skew with Intuit of (29\d|30\d) s/.test(l))).toBe(true);
      const conn = await h.tokens.getConnection({ tenantId: 'tenant-skew', realmId });
      const validFor = conn.accessTokenExpiresAt.getTime() - h.emulator.state.clock.now();
      expect(validFor).toBeGreaterThan(3_500_000);
      expect(validFor).toBeLessThanOrEqual(3_600_000);
    } finally {
      h.emulator.state.updateConfig({ clockSkewSeconds: 0 });
    }
  });
});
