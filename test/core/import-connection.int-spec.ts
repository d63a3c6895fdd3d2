import { ImportValidationError } from '@quickbooks-auth/nestjs';
import { findLeaks } from '../support/log-capture';
import { startHarness, type Harness } from '../support/quickbooks-harness';
import { openScratchStore, type ScratchStore, type ScratchStoreKind } from '../support/scratch-stores';
import { TEST_CLIENT } from '../support/test-keys';

/**
 * TokenService.importConnection on every durable backend (and memory), against the emulator over
 * HTTP: an imported connection with only a refresh token serves an access token at its first use
 * (one on-demand refresh), existing ones are left unless overwrite, a dry run writes nothing, and a
 * bad input names its fields, never its values.
 */
describe.each<ScratchStoreKind | 'memory'>(['memory', 'sqlite', 'redis', 'file'])('TokenService.importConnection (%s)', (kind) => {
  let store: ScratchStore | null = null;
  let h: Harness;

  beforeEach(async () => {
    store = kind === 'memory' ? null : await openScratchStore(kind, 'qb-import');
    h = await startHarness({ storage: store?.storage ?? { type: 'memory' } });
  });
  afterEach(async () => {
    await h?.close();
    await store?.cleanup();
  });

  it('imports a connection that serves tokens at its first use; existing ones are left unless overwrite; dry run writes nothing', async () => {
    const [a, b] = h.emulator.state.mint({ clientId: TEST_CLIENT.clientId, count: 2 });
    const ref = { tenantId: 'tenant-imp', realmId: a.realmId };
    await expect(h.tokens.importConnection({ ...ref, refreshToken: a.refresh_token }, { dryRun: true })).resolves.toBe('imported');
    expect(await h.storage.get(ref)).toBeNull();
    await expect(h.tokens.importConnection({ ...ref, refreshToken: a.refresh_token, environment: 'sandbox' })).resolves.toBe('imported');
    expect(await h.tokens.getConnection(ref)).toMatchObject({ status: 'active', undecryptable: false });

    const calls = () => h.emulator.state.statsSnapshot().calls.byGrant.refresh_token ?? 0;
    const token = await h.tokens.getAccessTokenDetails(ref);
    expect(token.expiresAt.getTime() - h.emulator.state.clock.now()).toBeGreaterThan(300_000);
    expect(calls()).toBe(1);
    // What Intuit issued at that refresh is stored: the rotated refresh token, the real expiry.
    const stored = (await h.storage.get(ref))!;
    expect(stored.refreshTokenExpiresAt.getTime()).toBeGreaterThan(Date.now());

    // A second import of the old token never replaces the live chain, unless asked.
    await expect(h.tokens.importConnection({ ...ref, refreshToken: a.refresh_token })).resolves.toBe('exists');
    expect((await h.storage.get(ref))!.refreshToken).toBe(stored.refreshToken);
    await expect(
      h.tokens.importConnection(
        { ...ref, refreshToken: b.refresh_token, accessToken: b.access_token, accessTokenExpiresAt: Date.now() + 3_000_000 },
        { overwrite: true },
      ),
    ).resolves.toBe('overwritten');
    expect(await h.tokens.getAccessToken(ref)).toBe(b.access_token);
    expect(calls()).toBe(1); // the imported access token is served as it is
    expect(findLeaks(h.logs.lines.join('\n'), { a: a.refresh_token, b: b.refresh_token, at: b.access_token })).toEqual([]);
  });

  it('refuses a bad input with every problem named, no value in the message', async () => {
    const secret = 'RT-canary-secret-with space';
    const err = await h.tokens
      .importConnection({
        tenantId: '',
        realmId: 'r',
        refreshToken: secret,
        accessToken: 'AT-canary',
        environment: 'production',
        scopes: 7 as never,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportValidationError);
    const problems = (err as ImportValidationError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'tenantId must be a non-empty string',
        "environment must be sandbox (this app's)",
        expect.stringMatching(/^refreshToken must be a token/),
        'accessTokenExpiresAt is required with accessToken',
        expect.stringMatching(/^scopes must be/),
      ]),
    );
    expect((err as Error).message).not.toContain('canary');
  });
});
